"""What every command (one plain function per thing a person does) shares.

A command lives in its app's `commands.py`, takes the acting user first, checks the role
(`accounts.roles.require`), enforces its rules, does its work in one transaction and records its one
audit entry. Pages, API views, management commands and imports are thin callers: a page shows a
`Refused` as form errors, the API answers it as a 400 problem naming each field.
"""


class Refused(Exception):
    """The rules do not allow what was asked. `errors` maps each field at fault ("" for the whole) to a message
    a person can act on; messages never carry personal data or keys."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = {"": errors} if isinstance(errors, str) else dict(errors)
        super().__init__("; ".join(self.errors.values()))

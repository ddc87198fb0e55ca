"""What every command (one plain function per thing a person does) shares.

A command lives in its app's `commands.py`, takes the acting user first, checks the role
(`accounts.roles.require`), enforces its rules, does its work in one transaction and records its one
audit entry. Pages, API views, management commands and imports are thin callers: a page shows a
`Refused` as form errors (`show_on_form`), the API answers it as a 400 problem naming each field
(core/problems.py).
"""

from collections.abc import Iterator
from typing import Any


class Refused(Exception):
    """The rules do not allow what was asked. `errors` maps each field at fault ("" for the whole) to a message
    a person can act on (or a list of them); messages never carry personal data or keys. `codes` gives a
    field's stable code when it has one ("invalid" otherwise); `status` is the HTTP status the API answers."""

    status = 400

    def __init__(self, errors: dict[str, str | list[str]] | str, *, codes: dict[str, str] | None = None) -> None:
        self.errors = {"": errors} if isinstance(errors, str) else dict(errors)
        self.codes = dict(codes or {})
        super().__init__("; ".join(message for _field, _code, message in self.messages()))

    def messages(self) -> Iterator[tuple[str, str, str]]:
        """Each (field, code, message), a field with several messages once per message."""
        for field, messages in self.errors.items():
            for message in [messages] if isinstance(messages, str) else messages:
                yield field, self.codes.get(field, "invalid"), message


def show_on_form(form: Any, refused: Refused) -> None:
    """Put a refusal on a Django form: each message on its field when the form has it, else on the whole."""
    for field, _code, message in refused.messages():
        form.add_error(field if field in form.fields else None, message)

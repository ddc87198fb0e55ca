"""What a person does to their API tokens, one function each (see core/commands.py): issue one, revoke one.

The tokens page and `manage.py create_api_token` call these, so every token is audited whichever
path made it.
"""

from typing import Any

from django.db import transaction

from accounts.audit import record
from accounts.models import ApiToken
from accounts.roles import ADMIN, ENGINEER, require
from core.commands import Refused


def issue_api_token(actor: Any, *, label: str, user: Any = None) -> tuple[ApiToken, str]:
    """A personal API token for `user` (the actor's own by default; someone else's only by an admin),
    with its raw value: shown once, only its hash is stored."""
    user = actor if user is None else user
    require(actor, ENGINEER if user is actor else ADMIN)
    label = label.strip()[:200]
    if not label:
        raise Refused({"label": "Give the token a label (what uses it)."})
    with transaction.atomic():
        token, raw = ApiToken.issue(user, label)
        record(actor, "api_token_created", token, **({} if user is actor else {"user": user.get_username()}))
    return token, raw


def revoke_api_token(actor: Any, *, token: ApiToken) -> ApiToken:
    """The token stops working at once (one's own; anyone's for an admin)."""
    require(actor, ENGINEER if token.user_id == getattr(actor, "pk", None) else ADMIN)
    with transaction.atomic():
        token.revoke()
        record(actor, "api_token_revoked", token)
    return token

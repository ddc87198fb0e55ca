"""A new password revokes the user's API tokens: whoever knew the old password may have made one."""

from typing import Any

from django.utils import timezone

from accounts.audit import record
from accounts.models import ApiToken


def revoke_all_api_tokens(user: Any) -> int:
    """Revoke every active API token of `user`, unaudited (the caller's entry names it); return how many."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def revoke_api_tokens(user: Any, actor: Any, reason: str) -> int:
    """Revoke every active API token of `user` (audited, as done by `actor`); return how many."""
    revoked = revoke_all_api_tokens(user)
    if revoked:
        record(actor, "api_tokens_revoked", user, tokens=revoked, reason=reason)
    return revoked


# A receiver of the user model's post_save, connected in config.wiring.
def password_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    # Whatever set the password (a page revokes first, in the same transaction, and names its actor;
    # here `manage.py changepassword` and any other way): the old tokens stop working.
    if not created and getattr(instance, "_password", None) is not None:
        revoke_api_tokens(instance, None, "password_changed")

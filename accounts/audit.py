"""Record who did what. Entries name things (destination, action), never personal data or keys."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from accounts.models import AuditEntry


def record(actor: Any, verb: str, target: Any = None, **details: Any) -> AuditEntry:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_name=user.get_username() if user else "system",
        verb=verb,
        target_type=type(target).__name__.lower() if target is not None else "",
        target_id=str(getattr(target, "pk", "") or ""),
        target_name=str(target)[:200] if target is not None else "",
        details=details,
    )


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(user, "login")


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(user, "logout")


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # The attempted user name is kept (to spot attacks); the password never is.
    AuditEntry.objects.create(
        actor_name="anonymous", verb="login_failed", details={"username": str(credentials.get("username", ""))[:150]}
    )

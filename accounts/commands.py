"""What a person does to API tokens and users, one function each (see core/commands.py): issue and
revoke an API token; and, for admins, add a user, change a user's role or switch them off, reset a
user's password, reset a user's two-factor sign-in.

The tokens page and `manage.py create_api_token` call the first two, the users pages the others, so
each is audited once whichever path did it.
"""

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import two_factor
from accounts.audit import record
from accounts.models import ApiToken, PasswordChangeRequired
from accounts.passwords import revoke_all_api_tokens
from accounts.roles import ADMIN, ENGINEER, ROLES, assigned_role, require, set_role
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


def _checked_role(role: str) -> str:
    if role not in ROLES:
        raise Refused({"role": f"Choose one of the roles: {', '.join(ROLES)}."})
    return role


def _new_password() -> str:
    """A password an admin reads once and hands over: the user must choose their own at their next sign-in."""
    return secrets.token_urlsafe(12)


def create_user(actor: Any, *, username: str, email: str, role: str) -> tuple[Any, str]:
    """A new user with `role` and a generated password, returned to show once (only its hash is stored):
    someone else has seen it, so the user chooses their own at their first sign-in."""
    require(actor, ADMIN)
    _checked_role(role)
    username = username.strip()
    if not username:
        raise Refused({"username": "Give the user a name."})
    try:
        # The user model's own rule (letters, digits and @ . + - _): a name with a space cannot be typed
        # back reliably at sign-in.
        get_user_model()._meta.get_field("username").run_validators(username)
    except ValidationError as error:
        raise Refused({"username": " ".join(error.messages)}) from None
    if get_user_model().objects.filter(username__iexact=username).exists():
        raise Refused({"username": "A user with this name exists already."})
    password = _new_password()
    with transaction.atomic():
        user = get_user_model().objects.create_user(username, email, password)
        set_role(user, role)
        PasswordChangeRequired.objects.create(user=user)
        record(actor, "user_created", user, role=role)
    return user, password


def change_user(actor: Any, *, user: Any, role: str, active: bool) -> Any:
    """Give `user` the role `role` and switch them on or off (inactive users cannot sign in). An admin
    cannot take their own admin role away or switch themselves off: someone must still manage users."""
    require(actor, ADMIN)
    _checked_role(role)
    if user == actor and (role != ADMIN or not active):
        raise Refused({"role": "You cannot remove your own admin role or deactivate yourself."})
    if assigned_role(user) == role and user.is_active == active:
        return user  # saved as it was: nothing changed, so nothing is recorded
    with transaction.atomic():
        if user.is_superuser and role != ADMIN:
            user.is_superuser = user.is_staff = False
        user.is_active = active
        user.save(update_fields=["is_active", "is_superuser", "is_staff"])
        set_role(user, role)
        record(actor, "user_changed", user, role=role, active=active)
    return user


def reset_password(actor: Any, *, user: Any) -> tuple[str, int]:
    """Give `user` a new password, returned to show once; they must choose their own at their next sign-in.
    Their API tokens are revoked (whoever knew the old password may have made one): returns the new
    password and how many were revoked, which the one audit entry names. One's own password is changed
    on the Change my password page, which asks for the current one: a reset would sign its admin out."""
    require(actor, ADMIN)
    if user == actor:
        raise Refused("Change your own password on the Change my password page (it asks for your current one).")
    password = _new_password()
    with transaction.atomic():
        revoked = revoke_all_api_tokens(user)
        user.set_password(password)
        user.save(update_fields=["password"])
        PasswordChangeRequired.objects.update_or_create(user=user)
        record(actor, "password_reset", user, **({"revoked_tokens": revoked} if revoked else {}))
    return password, revoked


def reset_two_factor(actor: Any, *, user: Any) -> None:
    """Forget another user's authenticator and recovery codes (a lost phone): they sign in with their
    password alone, and set it up again (at once, for admins when it is required). One's own is turned
    off on one's Two-factor page, which asks for a code first."""
    require(actor, ADMIN)
    if user == actor:
        raise Refused("Turn your own two-factor sign-in off on your Two-factor page (it asks for a code).")
    with transaction.atomic():
        two_factor.remove(user)
        record(actor, "two_factor_reset", user)

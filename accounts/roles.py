"""Who may do what. Three roles, as Django groups; superusers are admins.

- admin: everything, including destinations, API keys, write keys and users;
- marketer: create, edit, enable, duplicate and delete actions; preview; send test events; replay;
- engineer: read everything but keys; preview; change nothing.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

ADMIN, MARKETER, ENGINEER = "admin", "marketer", "engineer"
ROLES = (ADMIN, MARKETER, ENGINEER)
_RANK = {ENGINEER: 1, MARKETER: 2, ADMIN: 3}


def role_of(user: AbstractBaseUser | AnonymousUser) -> str | None:
    """The role `user` acts with now: none when signed out or switched off."""
    if not user.is_authenticated or not user.is_active:
        return None
    return assigned_role(user)


def assigned_role(user: AbstractBaseUser) -> str | None:
    """The role `user` holds, switched off or not: what the users pages show, and what switching them
    on again gives back."""
    if user.is_superuser:
        return ADMIN
    cached = getattr(user, "_relay_role", False)
    if cached is not False:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = next((name for name in ROLES if name in names), None)
    user._relay_role = role
    return role


def has_role(user: AbstractBaseUser | AnonymousUser, minimum: str) -> bool:
    role = role_of(user)
    return role is not None and _RANK[role] >= _RANK[minimum]


def set_role(user: AbstractBaseUser, role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}")
    user.groups.remove(*Group.objects.filter(name__in=ROLES))
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    user.__dict__.pop("_relay_role", None)


class _System:
    """The operator at the command line (management commands): may do anything; audited as "system"."""

    is_authenticated = False

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM: Any = _System()


def refusal(needed: str) -> str:
    """What a person refused for their role is told, on a page or in the API: which role it needs."""
    return f"Your role does not allow this: it needs the {needed} role. Ask an admin if you need it."


def require(actor: AbstractBaseUser | AnonymousUser | None, minimum: str) -> None:
    """Raise PermissionDenied unless `actor` holds at least `minimum` (the first step of every command).
    `SYSTEM` (a management command, run by whoever holds the server) passes; None never does."""
    if actor is SYSTEM:
        return
    if actor is None or not has_role(actor, minimum):
        raise PermissionDenied(refusal(minimum))


def role_required(minimum: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Let in users of at least `minimum` (anonymous visitors go to the login page, others get 403)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, minimum):
                raise PermissionDenied(refusal(minimum))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def roles(request: HttpRequest) -> dict[str, Any]:
    """Template context: what the signed-in user may do. The ingest paths have no user (accounts.middleware):
    their 404 page, turned into problem+json, is rendered all the same."""
    user = getattr(request, "user", None) or AnonymousUser()
    return {
        "role": role_of(user),
        "can_edit_actions": has_role(user, MARKETER),
        "is_admin": has_role(user, ADMIN),
    }

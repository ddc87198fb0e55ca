"""What a failed sign-in keeps of the name typed: a user's name, or else a keyed hash of it.

Anyone can type anything into the sign-in form, and the audit log keeps every entry forever: a
name that belongs to nobody (often a password typed into the wrong box) is kept as a short keyed
hash, which still shows the same wrong name coming back, and never its text or its length.
django-axes counts its lockouts by the same names (AXES_USERNAME_CALLABLE).
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.crypto import salted_hmac

UNKNOWN_PREFIX = "unknown #"


def recorded_name(typed: object) -> str:
    name = "" if typed is None else str(typed)
    model = get_user_model()
    if name and model.objects.filter(**{model.USERNAME_FIELD: name}).exists():
        return name
    return UNKNOWN_PREFIX + salted_hmac("relay.login_names", name, algorithm="sha256").hexdigest()[:12]


def axes_username(request: Any, credentials: dict[str, Any] | None) -> str:
    """AXES_USERNAME_CALLABLE: the name django-axes records a sign-in attempt under."""
    source = credentials if credentials is not None else getattr(request, "POST", {})
    return recorded_name(source.get("username"))

"""Mask personal data in what the delivery log shows to people who are not admins."""

import re
from typing import Any

_EMAIL = re.compile(r"^([^@\s]{1,2})[^@\s]*(@[^@\s]+)$")
_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{7,}$")
_PERSONAL_KEYS = {
    "email",
    "phone",
    "firstname",
    "first_name",
    "lastname",
    "last_name",
    "name",
    "address",
    "birthday",
    "clientuserid",
    "userid",
    "anonymousid",
    "value",
    "ip",
    "street",
    "city",
    "postalcode",
    "postal_code",
}
MASK = "•••"


def mask(value: Any, key: str = "") -> Any:
    """Return `value` with identifiers, names, contact details and anything shaped like them masked."""
    if isinstance(value, dict):
        return {k: mask(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(item, key) for item in value]
    if isinstance(value, str):
        email = _EMAIL.match(value.strip())
        if email:
            return email.group(1) + MASK + email.group(2)
        if _PHONE_LIKE.match(value.strip()):
            digits = re.sub(r"\D", "", value)
            return MASK + digits[-2:]
        if key.replace(" ", "").lower() in _PERSONAL_KEYS:
            return MASK
    elif key.replace(" ", "").lower() in _PERSONAL_KEYS and value is not None:
        return MASK
    return value

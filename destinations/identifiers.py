"""Normalise the identifiers a destination accepts: phone numbers to E.164, emails."""

import re

import phonenumbers

_IS_POSSIBLE = phonenumbers.ValidationResult.IS_POSSIBLE
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def normalize_phone(raw: object, region: str) -> str | None:
    """Return `raw` as an E.164 number, or None when it cannot be a phone number.

    National formats are read with `region` (ISO 3166 alpha-2, such as "US").
    """
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return None
    text = str(raw).strip()
    if not text or len(text) > 40:
        return None
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return None
    # "Possible" (the right length for its country) rather than "valid" (in a range the
    # bundled metadata knows to be allocated): the metadata lags new allocations, and test
    # numbers such as (555) 123-4567 must work; Attentive itself asks only for E.164.
    if phonenumbers.is_possible_number_with_reason(number) != _IS_POSSIBLE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: object) -> str | None:
    """Return `raw` trimmed and lower-cased, or None when it does not look like an email."""
    if not isinstance(raw, str):
        return None
    email = raw.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        return None
    return email


def is_supported_region(region: str) -> bool:
    return region in phonenumbers.SUPPORTED_REGIONS

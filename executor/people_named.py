"""The people a JSON document names: every email, phone number and client user id in it, normalised.

Erasure reads documents this one way everywhere: to refuse an erased person's events at ingest, to
judge stored events again when they are routed and deliveries when they are claimed for sending,
and to find what to purge. So whatever spelling ingest would let through, the purge also finds.

- **Emails**: every address in any text, at any depth, in a value or a key (an address used as a
  property name), also inside `%40`-encoded web addresses; whole addresses only, so that
  `ne@example.co` never finds `jane@example.com`.
- **Phones**: every run of digits in any text or whole number, with its usual separators (spaces,
  dashes, dots, brackets, `/`), also inside free text ("Order 77: call 617-555-0142"); read with
  its country code (`+1…`, `1…`, `001…`, `011…`), or nationally (with or without a trunk 0) in each
  calling code given. Runs of 7 to 15 digits count, the lengths a phone number has.
- **Client user ids**: the value of any key named like a user id (`userId`, `anonymousId`,
  `previousId`, `external_id`, `customerId`, any `…UserId`; case, `_` and `-` aside).

Reading is bounded: a hostile document with more digit runs than `MAX_PHONE_RUNS` is read up to
there (an event is at most 64 KB, so an ordinary one never comes close).
"""

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import unquote

EMAIL = "email"
PHONE = "phone"
CLIENT_USER_ID = "client_user_id"

MAX_PHONE_RUNS = 2_000
MAX_CLIENT_USER_ID = 200

# The parts of an address around its @, as whole tokens (the longest local part and domain).
_LOCAL_PART = re.compile(r"[A-Za-z0-9.!#$%&'*+^_~-]{1,64}$")
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
# Digits with the separators phone numbers are written with; a leading + marks a country code.
_PHONE_RUN = re.compile(r"\+?\d[\d \t().\-/]*+")
_DIGIT_GROUP = re.compile(r"\d+")
_MIN_DIGITS, _MAX_DIGITS = 7, 15
# The end of a key named like an id, in compact JSON ("userId":, "customer_ID":).
_ID_KEY_END = re.compile(r'[dD]":')
_ID_VALUE = re.compile(r'"((?:[^"\\]|\\.)*)"|(\d+)')
_ID_KEYS = frozenset({"userid", "externalid", "anonymousid", "previousid", "customerid"})
_KEY_NOISE = str.maketrans("", "", "_- ")

Person = tuple[str, str]  # (kind, normalised value)


def people_named(document: Any, calling_codes: Iterable[str] = ("1",)) -> set[Person]:
    """Every (kind, value) `document` names, each value normalised as erasure requests are: an
    email lower-cased, a phone in E.164, a client user id trimmed."""
    # One pass of C-speed searches over the document as compact JSON, rather than a Python call
    # per value: keys and values are both text there, and quotes, commas and colons end tokens.
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str)
    found: set[Person] = set()
    _read_user_ids(text, found)
    _read_emails(text, found)
    if "%" in text:
        decoded = unquote(text)
        if decoded != text:
            _read_emails(decoded, found)
    codes = tuple(dict.fromkeys(calling_codes))
    for count, match in enumerate(_PHONE_RUN.finditer(text)):
        if count >= MAX_PHONE_RUNS:
            break
        run = match.group()
        if len(run) < _MIN_DIGITS:
            continue
        for digits, international in _digit_windows(run):
            for phone in _phone_readings(digits, international, codes):
                if phone[1] != "0":  # no country code starts with 0
                    found.add((PHONE, phone))
    return found


def _read_user_ids(text: str, found: set[Person]) -> None:
    for match in _ID_KEY_END.finditer(text):
        key_start = text.rfind('"', 0, match.start())
        if key_start < 0 or not _is_id_key(text[key_start + 1 : match.start() + 1]):
            continue
        value = _ID_VALUE.match(text, match.end())
        if value is None:
            continue
        raw = value[2] if value[2] is not None else value[1]
        if "\\" in raw:
            raw = json.loads(f'"{raw}"')
        user_id = raw.strip()
        if 0 < len(user_id) <= MAX_CLIENT_USER_ID:
            found.add((CLIENT_USER_ID, user_id))


def _is_id_key(key: str) -> bool:
    plain = key.translate(_KEY_NOISE).lower()
    return plain in _ID_KEYS or plain.endswith("userid")


def _read_emails(text: str, found: set[Person]) -> None:
    at = text.find("@")
    while at >= 0:
        local = _LOCAL_PART.search(text, max(0, at - 64), at)
        domain = _DOMAIN.match(text, at + 1)
        if local is not None and domain is not None:
            email = f"{local.group().lstrip('.')}@{domain.group()}".lower()
            if len(email) <= 254:
                found.add((EMAIL, email))
        at = text.find("@", at + 1)


def _digit_windows(run: str) -> Iterator[tuple[str, bool]]:
    """Each stretch of whole digit groups of a run that is as long as a phone number, and whether
    it starts at the run's leading +. "Order 77 617-555-0142" holds 617-555-0142 after 77."""
    groups = _DIGIT_GROUP.findall(run)
    plus = run.startswith("+")
    for start in range(len(groups)):
        digits = ""
        for group in groups[start:]:
            digits += group
            if len(digits) > _MAX_DIGITS:
                break
            if len(digits) >= _MIN_DIGITS:
                yield digits, plus and start == 0


def _phone_readings(digits: str, international: bool, codes: tuple[str, ...]) -> Iterator[str]:
    """The E.164 numbers `digits` can be: with its country code, or nationally in each calling code."""
    if international:
        yield "+" + digits
        return
    yield "+" + digits
    if digits.startswith("00"):
        yield "+" + digits[2:]
    elif digits.startswith("011"):
        yield "+" + digits[3:]
    for code in codes:
        yield f"+{code}{digits}"
        if digits.startswith("0"):
            yield f"+{code}{digits[1:]}"

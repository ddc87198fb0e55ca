"""What people see of event bodies and delivery payloads.

Admins see them whole. Everyone else sees their structure and types, never their values: text
shows as •••, numbers as 0, true/false as false, null as null. The envelope fields that say how an
event travelled (its type and times) stay visible, and so does the event name unless it looks like
health information, and its message id unless it could be personal. A page writes a masked number
as <number> and a masked true/false as <true/false> (shown_json): a masked value must not read as a
real one. Whatever the role, nothing shown can fail to render: a number that is not
finite (stored before ingest refused them) is shown as text.
"""

import json
import math
import re
from typing import Any

from destinations.definition import BodyLayout
from destinations.privacy import PrivacyPolicy

MASK = "•••"
# Top-level fields whose values describe the event's journey, never the person.
_VISIBLE_KEYS = frozenset({"timestamp", "originalTimestamp", "sentAt", "receivedAt", "occurredAt", "channel"})
# Top-level fields of an event that hold its name or kind (Relay's and Segment's `event` and `type`). In a
# request body, the event's name is where its destination type declares it (payload_for_viewer).
_NAME_KEYS = frozenset({"type", "event"})
_MESSAGE_ID_KEY = "messageId"
# What a page shows for a masked number or true/false (shown_json).
MASKED_NUMBER = "<number>"
MASKED_TRUE_FALSE = "<true/false>"
_HEALTH = PrivacyPolicy()
_PLAIN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
_LONG_DIGITS = re.compile(r"\d{7,}")


def for_viewer(value: Any, *, is_admin: bool) -> Any:
    """Return `value` as a person of this role may see it."""
    return displayable(value) if is_admin else mask(value)


def payload_for_viewer(payload: Any, layout: BodyLayout, *, is_admin: bool) -> Any:
    """Return a request body of a destination type as a person of this role may see it: its event's name
    shown where the type's bodies hold it (BodyLayout.event_name, at their top), unless it looks like health
    information, and every other value masked but the envelope fields."""
    return displayable(payload) if is_admin else mask(payload, name_keys=event_name_keys(layout))


def event_name_keys(layout: BodyLayout) -> frozenset[str]:
    """The top-level member a destination type's bodies hold the event's name in, if any."""
    where = layout.event_name
    return frozenset({str(where[0])}) if where and len(where) == 1 else frozenset()


def mask(value: Any, *, name_keys: frozenset[str] = _NAME_KEYS) -> Any:
    """Return a body or payload with every value masked but its envelope fields (see module), and the event's
    name in `name_keys` (an event's own by default)."""
    if not isinstance(value, dict):
        return _masked(value)
    shown: dict[str, Any] = {}
    for key, member in value.items():
        if key in _VISIBLE_KEYS and isinstance(member, str):
            shown[key] = member
        elif key in name_keys and isinstance(member, str):
            shown[key] = event_name(member)
        elif key == _MESSAGE_ID_KEY and isinstance(member, str):
            shown[key] = message_id(member)
        else:
            shown[key] = _masked(member)
    return shown


def event_name(name: str) -> str:
    """The event name, unless a default privacy rule finds health information in it."""
    return MASK if _HEALTH.blocked_name(name) or _HEALTH.blocked_text(name) else name


def message_id(value: str) -> str:
    """A message id, unless it could be personal (an email, a phone number, free text)."""
    return value if _PLAIN_ID.match(value) and not _LONG_DIGITS.search(value) else MASK


def shown_json(value: Any, *, masked: bool) -> str:
    """`value` as JSON text for a page; when `masked` (every number and true/false in it is a mask),
    those show as <number> and <true/false>, not as a 0 or a false someone could take for real."""
    if not masked:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    markers = {
        json.dumps(_MARK_NUMBER): MASKED_NUMBER,
        json.dumps(_MARK_TRUE_FALSE): MASKED_TRUE_FALSE,
    }
    text = json.dumps(_marked(value), indent=2, ensure_ascii=False, default=str)
    for quoted, marker in markers.items():
        text = text.replace(quoted, marker)
    return text


# Texts no event can hold (ingest refuses NUL in text) that stand for masked numbers and true/false
# until shown_json writes the markers.
_MARK_NUMBER = "\x00number\x00"
_MARK_TRUE_FALSE = "\x00true/false\x00"


def _marked(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _marked(member) for key, member in value.items()}
    if isinstance(value, list):
        return [_marked(member) for member in value]
    if isinstance(value, bool):
        return _MARK_TRUE_FALSE
    if isinstance(value, int | float):
        return _MARK_NUMBER
    return value


def unmask(shown: Any, real: Any) -> Any:
    """`shown` (a masked event, perhaps edited since) with each value still as the mask left it
    replaced by the real one at the same place, and every edit kept: what a person without the
    right to see values means, judged on the values they cannot see."""
    if isinstance(shown, dict) and isinstance(real, dict):
        return {key: unmask(member, real[key]) if key in real else member for key, member in shown.items()}
    if isinstance(shown, list) and isinstance(real, list):
        return [unmask(member, real[i]) if i < len(real) else member for i, member in enumerate(shown)]
    if isinstance(shown, dict | list) or isinstance(real, dict | list):
        return shown
    if shown == MASK and isinstance(real, str):
        return real
    if type(shown) is type(_masked(real)) and shown == _masked(real):  # 0 for a number, false for true/false
        return real
    return shown


def holds_mask(value: Any) -> bool:
    """True when a text anywhere in `value` holds the mask: a masked value that must never be sent or saved."""
    if isinstance(value, dict):
        return any(holds_mask(key) or holds_mask(member) for key, member in value.items())
    if isinstance(value, list):
        return any(holds_mask(member) for member in value)
    return isinstance(value, str) and MASK in value


def displayable(value: Any) -> Any:
    """`value` with numbers that are not finite written as text, so that strict JSON can carry it."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: displayable(member) for key, member in value.items()}
    if isinstance(value, list):
        return [displayable(member) for member in value]
    return value


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _masked(member) for key, member in value.items()}
    if isinstance(value, list):
        return [_masked(member) for member in value]
    if isinstance(value, str):
        return MASK
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return 0
    return None

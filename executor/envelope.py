"""Check what sources send before anything is stored. Pure: bytes in, events or problems out.

Every refusal names the field at fault (a JSON pointer) and never quotes a value.
"""

from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from json.encoder import encode_basestring
from typing import Any

from core import crypto, jsondoc
from core.jsondoc import MAX_DEPTH, MAX_EVENT_BYTES, json_text
from destinations.timestamps import format_rfc3339, parse_timestamp

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_BATCH_EVENTS = 1_000
__all__ = ["MAX_BATCH_EVENTS", "MAX_BODY_BYTES", "MAX_DEPTH", "MAX_EVENT_BYTES"]
EVENT_TYPES = frozenset({"track", "identify", "page", "screen", "group", "alias"})
MAX_EVENT_NAME_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one event: `pointer` is a JSON pointer into the request body."""

    pointer: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"pointer": self.pointer, "detail": self.detail}


class EnvelopeError(Exception):
    """The request as a whole cannot be accepted; `status` is the HTTP status to answer."""

    def __init__(self, status: int, title: str, detail: str, problems: list[Problem] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.problems = problems or []


@dataclass(slots=True)
class CheckedEvent:
    index: int
    event: dict[str, Any] | None = None
    problems: list[Problem] = field(default_factory=list)
    # The event's JSON text as core.fields.json_text writes it, when check_event had it at hand.
    text: str | None = None

    @property
    def accepted(self) -> bool:
        return self.event is not None


def parse_body(body: bytes) -> Any:
    """Return the JSON document in `body`, or raise EnvelopeError (400, 413, 422)."""
    if len(body) > MAX_BODY_BYTES:
        raise EnvelopeError(413, "Request too large", f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise EnvelopeError(400, "Invalid UTF-8", f"The body is not valid UTF-8 (byte {error.start}).") from None
    try:
        return jsondoc.loads(text)
    except jsondoc.DocumentError as error:
        if "nest" in str(error):
            raise EnvelopeError(422, "Too deeply nested", str(error)) from None
        raise EnvelopeError(400, "Invalid JSON", str(error)) from None


def check_event(
    raw: Any, index: int, pointer: str, now: datetime, sent_at: Any = None, received: str | None = None
) -> CheckedEvent:
    """Return the event ready to store (normalised), or its problems.

    `sent_at` is the batch's sentAt (analytics libraries put it on the batch), used when the event
    has none of its own to correct the source's clock skew (see _correct_clock_skew). `received`:
    format_rfc3339(now), when the caller has it (one batch, one time: written once).
    """
    checked = CheckedEvent(index)
    if not isinstance(raw, dict):
        checked.problems.append(Problem(pointer, "An event must be a JSON object."))
        return checked
    shape, raw_text = jsondoc.shape_problem_and_text(raw)
    if shape:
        where, detail = shape
        checked.problems.append(Problem(pointer + where, detail))
        return checked
    event = dict(raw)
    event_type = event.get("type")
    if event_type is None and "event" in event:
        event_type = event["type"] = "track"
    if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
        checked.problems.append(Problem(f"{pointer}/type", "type must be one of: " + ", ".join(sorted(EVENT_TYPES))))
    elif event_type == "track":
        name = event.get("event")
        if not isinstance(name, str) or not name.strip():
            checked.problems.append(Problem(f"{pointer}/event", "A track event needs an event name (text)."))
        elif len(name) > MAX_EVENT_NAME_LENGTH:
            checked.problems.append(
                Problem(f"{pointer}/event", f"The event name is longer than {MAX_EVENT_NAME_LENGTH} characters.")
            )
    for key in ("userId", "anonymousId", "messageId"):
        value = event.get(key)
        if isinstance(value, bool) or (value is not None and not isinstance(value, str | int)):
            checked.problems.append(Problem(f"{pointer}/{key}", f"{key} must be text."))
    for key in ("properties", "traits", "context"):
        if key in event and event[key] is not None and not isinstance(event[key], dict):
            checked.problems.append(Problem(f"{pointer}/{key}", f"{key} must be an object."))
    if "timestamp" in event and event["timestamp"] is not None and parse_timestamp(event["timestamp"]) is None:
        checked.problems.append(Problem(f"{pointer}/timestamp", "timestamp must be an ISO 8601 date and time."))
    if checked.problems:
        return checked
    if received is None:
        received = format_rfc3339(now)
    event["messageId"] = str(event.get("messageId") or random_uuid())
    if event.get("userId") is not None:
        event["userId"] = str(event["userId"])
    event.setdefault("timestamp", received)
    if event["timestamp"] is None:
        event["timestamp"] = received
    else:
        _correct_clock_skew(event, event.get("sentAt", sent_at), now)
    event["receivedAt"] = received
    checked.event = event
    if raw_text is not None:
        checked.text = _text_of_normalised(raw, event, raw_text)
    return checked


# JSON's text of a text, as json_text writes one (text as is): the C encoder's function.
_json_string = encode_basestring


def _text_of_normalised(raw: dict[str, Any], event: dict[str, Any], raw_text: str) -> str | None:
    """The JSON text of `event`, normalised from `raw`, from raw's own (`raw_text`): when normalising
    kept raw's members as they were, in their order (it sets members, never changes what is inside
    one), the text is raw's with the members it added written after them. None when it did not:
    the event is written afresh. tests/executor/test_envelope.py holds the text to json_text's."""
    if len(event) < len(raw) or list(islice(event, len(raw))) != list(raw):
        return None
    for key, value in raw.items():
        if event[key] is not value:
            return None
    if len(event) == len(raw):
        return raw_text
    added = ",".join(
        # Names and most values added are texts: written by the encoder's own function for a text.
        f"{_json_string(key)}:{_json_string(value) if type(value) is str else json_text(value)}"
        for key, value in islice(event.items(), len(raw), None)
    )
    return f"{raw_text[:-1]},{added}}}" if raw else f"{{{added}}}"


def random_uuid() -> str:
    """A random (version 4) UUID's text, from `crypto.random_bytes`: str(uuid.UUID(bytes=..., version=4)),
    written from the bytes' hex (the UUID object cost three times as much; a test holds the two equal)."""
    data = crypto.random_bytes(16)
    # Version 4 in the high nibble of byte 6, the RFC 4122 variant (binary 10) in the top bits of byte 8.
    digits = (
        ((int.from_bytes(data) & ~(0xF000 << 64) & ~(0xC000 << 48)) | (0x4000 << 64) | (0x8000 << 48))
        .to_bytes(16)
        .hex()
    )
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def _correct_clock_skew(event: dict[str, Any], sent_at: Any, now: datetime) -> None:
    """Correct the source's clock as Segment's tracking API does: with the time the source says it
    sent the event (sentAt) and the time it says the event happened (timestamp), both on its
    clock, timestamp = receivedAt - (sentAt - timestamp). The source's value stays as
    originalTimestamp. An unreadable sentAt, or one that puts the event out of the calendar's
    range, changes nothing."""
    sent = parse_timestamp(sent_at) if sent_at is not None else None
    if sent is None:
        return
    happened = parse_timestamp(event["timestamp"])
    if happened is None:
        return
    try:
        corrected = now - (sent - happened)
    except OverflowError:  # a sentAt and a timestamp millennia apart: no clock is that wrong
        return
    event["originalTimestamp"] = event["timestamp"]
    event["timestamp"] = format_rfc3339(corrected)

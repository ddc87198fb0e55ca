"""JSON documents from outside (ingest bodies, preview samples, API bodies): read strictly, and
checked for the shape Relay can store and map. Pure: no ORM, no HTTP.

Messages name where the problem is (a JSON pointer) and never quote a value.
"""

import json
import math
from typing import Any

# One event: its encoded size and how deep it may nest (ingest and the preview's sample alike).
MAX_EVENT_BYTES = 64 * 1024
MAX_DEPTH = 32


class DocumentError(ValueError):
    """The text is not a JSON document Relay accepts; the message says why, without values."""


def loads(text: str | bytes) -> Any:
    """Return the JSON document in `text`, refusing NaN, Infinity and numbers too large to be finite."""
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as error:
        raise DocumentError(f"Invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}.") from None
    except RecursionError:
        raise DocumentError(f"JSON may nest at most {MAX_DEPTH} levels.") from None
    except DocumentError:
        raise
    except ValueError:  # an integer of more digits than Python reads
        raise DocumentError("The document contains a number with too many digits.") from None


def _reject_constant(name: str) -> None:
    raise DocumentError(f"The document contains {name}, which is not a JSON number.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise DocumentError("The document contains a number too large to represent (such as 1e400).")
    return value


# How a JSON value is stored (an EncryptedJSONField's text, an ingested event's body): compact JSON,
# text as is. One encoder for every value (json.dumps made one at each call).
json_text = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def encoded_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def shape_problem(
    value: Any, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_EVENT_BYTES
) -> tuple[str, str] | None:
    """Return (JSON pointer, message) for the first reason `value` cannot be stored and mapped:
    too deep, a NUL character or a lone surrogate in a name or a text, a non-finite number, too
    large. None when it is fine.

    Most values are fine, which _clearly_fine tells from their JSON text (C's work, where the walk
    called a Python function for every name and text); the others are walked to find the first
    problem and where it is (tests/core/test_jsondoc.py holds the two answers equal)."""
    return shape_problem_and_text(value, max_depth=max_depth, max_bytes=max_bytes)[0]


def shape_problem_and_text(
    value: Any, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_EVENT_BYTES
) -> tuple[tuple[str, str] | None, str | None]:
    """shape_problem's answer and, when `value` was told fine from its JSON text, that text: compact,
    text as is (what encoded_size measures and core.fields.json_text writes). None otherwise."""
    text = _clearly_fine(value, max_depth, max_bytes)
    if text is not None:
        return None, text
    return _walked_shape_problem(value, max_depth, max_bytes), None


# Compact JSON, text as is, refusing NaN and the infinities.
_strict_json_text = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def _clearly_fine(value: Any, max_depth: int, max_bytes: int) -> str | None:
    """`value`'s JSON text only if _walked_shape_problem finds nothing wrong with it; None when it might.

    Its JSON text (compact, text as is, as encoded_size writes it) holds every name and text: a NUL
    is written escaped (\\u0000: a false alarm for the text "\\u0000" itself, which the walk then
    clears), a lone surrogate as is (and UTF-8 cannot encode it), a non-finite number not at all
    (the encoder refuses it). The depth is counted on the objects and lists alone, as the walk
    counts it: a member sits one level below its container.
    """
    if max_depth < 1:
        return None
    try:
        text = _strict_json_text(value)
    except (ValueError, TypeError, RecursionError):
        return None
    if "\\u0000" in text:
        return None
    if text.isascii():
        size = len(text)
    else:
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError:
            return None
    if size > max_bytes:
        return None
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict):
            if current and depth >= max_depth:
                return None
            for key, member in current.items():
                if type(key) is not str:  # the encoder writes some other names as text; the walk does not
                    return None
                if isinstance(member, dict | list):
                    stack.append((member, depth + 1))
        elif isinstance(current, list):
            if current and depth >= max_depth:
                return None
            stack.extend((member, depth + 1) for member in current if isinstance(member, dict | list))
    return text


def _walked_shape_problem(value: Any, max_depth: int, max_bytes: int) -> tuple[str, str] | None:
    """shape_problem, found by walking every value."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > max_depth:  # the document itself, with no level allowed
            return "", _too_deep(max_depth)
        if isinstance(current, dict):
            for key, member in current.items():
                if not _is_clean_text(key):
                    return _locate(value, current, key=key), _text_problem(key, "A property name")
                if depth >= max_depth:  # the member is a level too deep: point at it
                    return _locate(value, current, key=key), _too_deep(max_depth)
                stack.append((member, depth + 1))
        elif isinstance(current, list):
            if current and depth >= max_depth:
                return f"{_locate(value, current)}/0", _too_deep(max_depth)
            stack.extend((member, depth + 1) for member in current)
        elif isinstance(current, str):
            if not _is_clean_text(current):
                return _locate(value, current), _text_problem(current, "This text")
        elif isinstance(current, float) and not math.isfinite(current):
            return _locate(value, current), "This number is not finite."
    if encoded_size(value) > max_bytes:
        return "", f"The event is larger than {max_bytes} bytes."
    return None


def _too_deep(max_depth: int) -> str:
    return f"The event nests more than {max_depth} levels deep."


def _is_clean_text(text: str) -> bool:
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text_problem(text: str, what: str) -> str:
    if "\x00" in text:
        return f"{what} contains a NUL character (\\u0000), which cannot be stored or sent."
    return f"{what} is not valid Unicode (a lone surrogate)."


def _locate(root: Any, target: Any, key: str | None = None) -> str:
    """Return the JSON pointer of `target` (an object holding `key`, or a value) inside `root`."""
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        current, pointer = stack.pop()
        if current is target and key is None:
            return pointer
        if isinstance(current, dict):
            if current is target and key is not None:
                return f"{pointer}/{_escape(key)}"
            stack.extend((member, f"{pointer}/{_escape(name)}") for name, member in current.items())
        elif isinstance(current, list):
            stack.extend((member, f"{pointer}/{index}") for index, member in enumerate(current))
    return ""


def _escape(name: str) -> str:
    # RFC 6901, and the NUL itself is not repeated into the pointer.
    return name.replace("~", "~0").replace("/", "~1").replace("\x00", "\\u0000")

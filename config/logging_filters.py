"""Keep personal data and secrets out of every log line, traceback and error report."""

import logging
import re
import traceback
from typing import Any

import re2
from django.core.exceptions import PermissionDenied
from django.views.debug import SafeExceptionReporterFilter

# RE2 runs in time linear in its input whatever the pattern: log lines quote what anonymous
# visitors send (Django logs "Not Found: /<path>"), and a backtracking engine took seconds on them.
_PATTERNS = [
    (re2.compile(r"[^\s\"'<>@,;:()\[\]{}]+@[^\s\"'<>@,;:()\[\]{}]+\.[A-Za-z]{2,}"), "[email]"),
    # A UUID (a task's, a delivery's) is not a phone: its digit runs were masked into
    # "b20d6dd[number]cc-…". One with no letter at all is masked whole, as any run of digits is.
    # A date and time (2026-12-06 20:25:31+00:00, as Python and Django write them) is not one either.
    (
        re2.compile(
            r"(?P<uuid>\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)"
            r"|(?P<time>\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)"
            r"|\+?\d[\d\s().-]{5,}\d"
        ),
        lambda match: (
            match.group("time") or (match.group("uuid") if _has_a_letter(match.group("uuid")) else "[number]")
        ),
    ),
    (re2.compile(r"(?i)bearer\s+\S+"), "Bearer [secret]"),
    (re2.compile(r"\b(rwk|rat)_[A-Za-z0-9_-]{8,}"), "[token]"),
]


def _has_a_letter(text: str | None) -> bool:
    return text is not None and not text.replace("-", "").isdigit()


# A log line is cut to this length after it is scrubbed (cutting first could split an email
# so that its remains no longer look like one).
MAX_LOGGED_CHARS = 8_192
CUT_MARK = " [cut]"


# A web address or a path in a log line: Django logs "Not Found: /<path>", and a path is whatever a
# visitor typed ("/x/diagnosedwithzebrafever"). The lead character keeps "a/b" and "HTTP/1.1" out.
_ADDRESS = re2.compile(
    r"(?P<site>[A-Za-z][A-Za-z0-9+.-]*://[^/\s\"'<>]*)(?P<site_path>/[^\s\"'<>]*)?"
    r"|(?P<lead>^|[\s\"'(=,\[])(?P<path>/[^\s\"'<>]*)"
)
_MASKED_SEGMENT = "[…]"
_MASKED_ID = "[id]"
_route_words: frozenset[str] | None = None
# Waitress formats these itself, the request's path to the end of the line (spaces and all).
_PATH_TO_THE_END = ("Exception while serving ", "Client disconnected while serving ")


def scrub(text: str) -> str:
    text = _ADDRESS.sub(_masked_address, text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    if len(text) > MAX_LOGGED_CHARS:
        text = text[:MAX_LOGGED_CHARS] + CUT_MARK
    return text


def scrub_path(path: str) -> str:
    """A request path as a log line may show it: the words of our own routes stay ("/api/v1/actions"),
    every other segment becomes […] and every number [id] (a phone can hide in one), and a query
    string goes ("?[…]"). "/x/diagnosedwithzebrafever" is logged "/[…]/[…]"."""
    path, question, _ = path.partition("?")
    words = route_words()
    segments = [
        segment
        if not segment or segment in words or segment in (_MASKED_SEGMENT, _MASKED_ID)
        else _MASKED_ID
        if segment.isdigit()
        else _MASKED_SEGMENT
        for segment in path.split("/")
    ]
    return "/".join(segments) + ("?" + _MASKED_SEGMENT if question else "")


def route_words() -> frozenset[str]:
    """The literal words of the site's URL patterns ("api", "deliveries", "track"), read once the
    URLconf can be read (before that, no word is known and every segment is masked)."""
    global _route_words
    if _route_words is None:
        from django.apps import apps

        if not apps.ready:  # reading the URLconf now would import views before their models
            return frozenset()
        try:
            from django.urls import URLResolver, get_resolver

            def walk(patterns: Any) -> Any:
                for pattern in patterns:
                    yield str(pattern.pattern)
                    if isinstance(pattern, URLResolver):
                        yield from walk(pattern.url_patterns)

            texts = list(walk(get_resolver().url_patterns))
        except Exception:  # the URLconf is still being imported (something logged meanwhile)
            return frozenset()
        words: set[str] = set()
        for text in texts:
            # Converters (<id:pk>), named groups' names, character classes and counts are not words.
            text = re.sub(r"<[^>]*>|\(\?P|\[[^\]]*\]|\{[^}]*\}", " ", text)
            words.update(word for word in re.split(r"[^A-Za-z0-9_.-]+", text) if re.search(r"[A-Za-z]", word))
        _route_words = frozenset(words)
    return _route_words


def _masked_address(match: Any) -> str:
    if match.group("site") is not None:
        return match.group("site") + scrub_path(match.group("site_path") or "")
    return (match.group("lead") or "") + scrub_path(match.group("path"))


class PersonalDataFilter(logging.Filter):
    """Rewrites each record: message, arguments and traceback text, with anything personal masked.

    Code never logs event data on purpose; this is the net under that rule.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            # A path given as an argument ("Not Found: %s") is masked whole, spaces and all: in the
            # formatted line a path with spaces ("/x/diagnosed with zebra fever") has no visible end.
            record.args = tuple(
                scrub_path(arg) if isinstance(arg, str) and arg.startswith("/") else arg for arg in record.args
            )
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format
            message = str(record.msg)
        if message.startswith(_PATH_TO_THE_END):
            prefix, _, path = message.partition(" serving ")
            message = f"{prefix} serving {scrub_path(path)}"
        record.msg, record.args = scrub(message), ()
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            # A refusal is the product working: "Forbidden (Permission denied): /path" says it all,
            # and a traceback per refused click buried real failures in the server log.
            record.exc_text = None if isinstance(error, PermissionDenied) else withheld_traceback(error)
            record.exc_info = None
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


def withheld_traceback(error: BaseException) -> str:
    """The traceback without exception messages: where it failed and what type, never the data
    a message may quote (libraries put values in their messages)."""
    parts = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current)
        frames = "".join(traceback.format_tb(current.__traceback__))
        parts.append(
            f"Traceback (most recent call last):\n{frames}{kind.__module__}.{kind.__qualname__}: [message withheld]"
        )
        current = current.__cause__ or current.__context__
    return "\n\nWhile handling:\n".join(reversed(parts))


class NoRequestDataReporterFilter(SafeExceptionReporterFilter):
    """Error reports show where it failed, never what was sent or what variables held."""

    hidden_settings = re.compile(
        r"API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|ENCRYPTION|AUTHORIZATION", flags=re.IGNORECASE
    )

    def get_post_parameters(self, request: Any) -> dict[str, str]:
        return {}

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> list[tuple[str, Any]]:
        return []

    def is_active(self, request: Any) -> bool:
        return True


def install_record_factory() -> None:
    """Scrub every log record as it is created, whichever logger or handler it goes to."""
    current = logging.getLogRecordFactory()
    if getattr(current, "relay_scrubbing", False):
        return
    scrubber = PersonalDataFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        scrubber.filter(record)
        return record

    factory.relay_scrubbing = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)

"""Keep personal data and secrets out of every log line, traceback and error report."""

import logging
import re
import traceback
from typing import Any

import re2
from django.views.debug import SafeExceptionReporterFilter

# RE2 runs in time linear in its input whatever the pattern: log lines quote what anonymous
# visitors send (Django logs "Not Found: /<path>"), and a backtracking engine took seconds on them.
_PATTERNS = [
    (re2.compile(r"[^\s\"'<>@,;:()\[\]{}]+@[^\s\"'<>@,;:()\[\]{}]+\.[A-Za-z]{2,}"), "[email]"),
    (re2.compile(r"\+?\d[\d\s().-]{5,}\d"), "[number]"),
    (re2.compile(r"(?i)bearer\s+\S+"), "Bearer [secret]"),
    (re2.compile(r"\b(rwk|rat)_[A-Za-z0-9_-]{8,}"), "[token]"),
]
# A log line is cut to this length after it is scrubbed (cutting first could split an email
# so that its remains no longer look like one).
MAX_LOGGED_CHARS = 8_192
CUT_MARK = " [cut]"


def scrub(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    if len(text) > MAX_LOGGED_CHARS:
        text = text[:MAX_LOGGED_CHARS] + CUT_MARK
    return text


class PersonalDataFilter(logging.Filter):
    """Rewrites each record: message, arguments and traceback text, with anything personal masked.

    Code never logs event data on purpose; this is the net under that rule.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format
            message = str(record.msg)
        record.msg, record.args = scrub(message), ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = withheld_traceback(record.exc_info[1])
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

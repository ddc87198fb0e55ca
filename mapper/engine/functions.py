"""The functions marketers need beyond JMESPath's built-ins (e164, lower, sha256, to_iso8601, …), and
join() and to_string() charged against the evaluation's text budget."""

import hashlib
import json
import re
from typing import Any

import jmespath
from jmespath import functions as jmespath_functions

from destinations.identifiers import normalize_phone
from destinations.timestamps import format_rfc3339, parse_timestamp
from mapper.engine.errors import EvaluationError
from mapper.engine.limits import MAX_OUTPUT_SIZE, MAX_STRING_LENGTH, charge_text, measure

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class _Functions(jmespath_functions.Functions):
    """The functions marketers need beyond JMESPath's built-ins."""

    @jmespath_functions.signature({"types": ["string", "number", "null"]}, {"types": ["string", "null"]})
    def _func_e164(self, phone: Any, region: Any) -> Any:
        # An invalid number comes back unchanged, so the phone check downstream reports it
        # instead of the number vanishing.
        if phone is None:
            return None
        return normalize_phone(phone, region or "") or phone

    @jmespath_functions.signature({"types": ["string", "null"]})
    def _func_lower(self, value: Any) -> Any:
        return None if value is None else value.lower()

    @jmespath_functions.signature({"types": ["string", "null"]})
    def _func_trim(self, value: Any) -> Any:
        return None if value is None else value.strip()

    @jmespath_functions.signature({"types": ["string", "number", "boolean", "null"]})
    def _func_sha256(self, value: Any) -> Any:
        if value is None:
            return None
        text = str(value).lower() if isinstance(value, bool) else str(value)
        normalized = text.strip().lower()
        if _SHA256_HEX.match(normalized):
            return normalized
        return hashlib.sha256(normalized.encode()).hexdigest()

    @jmespath_functions.signature({"types": ["string", "number", "boolean", "null"]})
    def _func_redact(self, value: Any) -> Any:
        # Keeps that a value was there (for a journey's branch) without what it was.
        return None if value is None else "[redacted]"

    @jmespath_functions.signature({"types": ["string", "null"]})
    def _func_email_domain(self, value: Any) -> Any:
        if value is None:
            return None
        _, at, domain = value.strip().rpartition("@")
        return domain.lower() if at and domain else None

    @jmespath_functions.signature({"types": ["string", "number", "null"]})
    def _func_to_iso8601(self, value: Any) -> Any:
        if value is None:
            return None
        moment = parse_timestamp(value)
        if moment is None:
            raise EvaluationError("to_iso8601() could not read the value as a date or time.")
        return format_rfc3339(moment)

    @jmespath_functions.signature({"types": ["string"]}, {"types": ["array-string"]})
    def _func_join(self, separator: str, array: list[str]) -> str:
        length = sum(len(item) for item in array) + len(separator) * len(array)
        if length > MAX_STRING_LENGTH:
            raise EvaluationError(f"join() would build a string longer than {MAX_STRING_LENGTH} characters.")
        charge_text(length)
        return separator.join(array)

    @jmespath_functions.signature({"types": []})
    def _func_to_string(self, value: Any) -> Any:
        if isinstance(value, str):
            return value
        # Charge the estimate before building the text, and what escapes added after.
        estimate = measure(value, MAX_OUTPUT_SIZE)
        charge_text(estimate)
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        charge_text(max(0, len(text) - estimate))
        return text


FUNCTIONS = _Functions()
# JMESPath's options with these functions, for its own interpreter.
OPTIONS = jmespath.Options(custom_functions=FUNCTIONS)

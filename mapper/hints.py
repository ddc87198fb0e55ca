"""Warnings that catch silent loss: mistakes the engine accepts but that lose data quietly.

Pure: expressions and a sample event in, warnings (FieldError, severity "warning") out. The
preview shows them on the field at fault; they never block a save.
"""

import re
from collections.abc import Mapping
from typing import Any

from jmespath import exceptions as jmespath_errors
from jmespath.lexer import Lexer

from destinations.definition import FieldError
from mapper import engine, validation

_COMPARATORS = frozenset({"eq", "ne", "lt", "lte", "gt", "gte"})
_BARE_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def for_preview(trigger: str, mappings: Mapping[str, str], values: Mapping[str, Any], sample: Any) -> list[FieldError]:
    """Warnings about this configuration on this sample: double-quoted text, a path the sample
    lacks (when the field resolved to nothing), a trigger comparing to a field name."""
    hints = [*_trigger_hints(trigger)]
    for key, expression in mappings.items():
        if not isinstance(expression, str) or not expression.strip() or values.get(key) not in (None, "", [], {}):
            continue
        hints.extend(_mapping_hints(key, expression.strip(), sample))
    return hints


def duplicate_rows(prefix: str, names: list[str]) -> dict[int, FieldError]:
    """For rows of one group: the later rows that repeat an earlier name, by index."""
    seen: set[str] = set()
    duplicates = {}
    for index, name in enumerate(names):
        if name in seen:
            duplicates[index] = FieldError(
                f"{prefix}.{name}",
                "duplicate_row",
                f"Two rows are named “{name}”: only the last one is sent, the other value is lost.",
                "warning",
            )
        seen.add(name)
    return duplicates


def _tokens(expression: str) -> list[dict[str, Any]]:
    try:
        return list(Lexer().tokenize(expression))
    except jmespath_errors.JMESPathError:
        return []


def _names_a_field_on_purpose(tokens: list[dict[str, Any]], index: int) -> bool:
    """Whether the quoted name at `index` is surely a field: a step of a path (`properties."Order Total"`),
    or a field compared with a fixed value (`"first name" == 'Jane'`), as the trigger builder writes them.
    `event == "Order Shipped"` compares two fields, one of them most likely meant as text."""

    def kind(at: int) -> str:
        return tokens[at]["type"] if 0 <= at < len(tokens) else ""

    if kind(index - 1) == "dot":
        return True
    if kind(index + 1) in _COMPARATORS:
        return kind(index + 2) in ("literal", "number")
    return False


def _trigger_hints(trigger: str) -> list[FieldError]:
    tokens = _tokens(trigger)
    for index, token in enumerate(tokens):
        if token["type"] != "quoted_identifier":
            continue
        if _names_a_field_on_purpose(tokens, index):
            continue
        around = {tokens[i]["type"] for i in (index - 1, index + 1) if 0 <= i < len(tokens)}
        if around & _COMPARATORS:
            text = token["value"].replace("'", "\\'")
            return [
                FieldError(
                    validation.TRIGGER,
                    "double_quoted_text",
                    f"“{token['value']}” in double quotes is a field name, not text, so this comparison is never "
                    f"true. Text goes in single quotes: '{text}'.",
                    "warning",
                )
            ]
    return []


def _mapping_hints(key: str, expression: str, sample: Any) -> list[FieldError]:
    tokens = [token for token in _tokens(expression) if token["type"] != "eof"]
    if len(tokens) == 1 and tokens[0]["type"] == "quoted_identifier":
        text = tokens[0]["value"].replace("'", "\\'")
        return [
            FieldError(
                key,
                "double_quoted_text",
                f"Text goes in single quotes: '{text}'. In double quotes it is the name of a field, which this "
                "event does not have.",
                "warning",
            )
        ]
    missing = [path for path in engine.source_paths(expression) if path and not _in_sample(sample, path)]
    if not missing:
        return []
    if _BARE_WORD.fullmatch(expression):
        return [
            FieldError(
                key,
                "path_not_in_sample",
                f"“{expression}” is not in this event. If you meant the text, write it in single quotes: "
                f"'{expression}'.",
                "warning",
            )
        ]
    return [FieldError(key, "path_not_in_sample", f"“{missing[0]}” is not in this event.", "warning")]


def _in_sample(sample: Any, path: str) -> bool:
    """Whether `path` (a.b, * for any member) leads somewhere in `sample`, through lists too."""
    current = [sample]
    for part in path.split("."):
        found = []
        for value in current:
            if isinstance(value, dict):
                found.extend(value.values() if part == "*" else [value[part]] if part in value else [])
        if not found:
            return False
        # A list on the way (properties.items.sku): its members carry the next part.
        current = [member for value in found for member in (value if isinstance(value, list) else [value])]
    return True

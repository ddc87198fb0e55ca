"""The trigger builder's model: event type, event names and property conditions, to JMESPath and back.

JMESPath stays the one language underneath: the builder in the editor writes a trigger with
`compile_trigger`'s rules (static/mapper/js/trigger_builder.js is the same rules in the browser),
and `parse_trigger` reads a trigger back into the builder when it has exactly that shape; any other
trigger is edited as an expression. Pure: text in, model out.

The shape, every part optional but not all empty:

    type == 'track' && contains(['Order Shipped', 'Order Completed'], event) && (cond || cond)

- event names: `event == 'A'`, or `lower(event) == 'a'` when case is ignored; several names through
  `contains([...], event)`;
- conditions: `path == 'text'`, `` path == `10` `` (a number or true/false), `` path != `null` ``
  (exists), `` path > `10` `` and `` path < `10` `` (or text: ISO dates order as text),
  `` to_number(path) > `10` `` (a number sent as text, such as "88.00", compared as a number), and
  `contains(to_string(path || ''), 'text')`, which never fails on a missing value, a number or a list;
- all conditions must hold (`&&`) or any one of them (`(... || ...)`).
"""

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from jmespath import exceptions as jmespath_errors
from jmespath.parser import Parser

from mapper import engine
from mapper.engine.limits import MAX_EXPRESSION_LENGTH

# The event types of the ingest envelope (the executor's; mirrored here because imports flow one way).
EVENT_TYPES = ("track", "identify", "page", "screen", "group", "alias")
OPERATORS = ("equals", "contains", "exists", "greater_than", "less_than")
MATCHES = ("all", "any")

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A number as JSON writes it; a value typed like this is compared as a number, not as text.
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_COMPARATORS = {"eq": "equals", "gt": "greater_than", "lt": "less_than"}
_SYMBOLS = {"equals": "==", "greater_than": ">", "less_than": "<"}

Value = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Condition:
    path: str
    operator: str
    value: Value = None
    # Compare the field as a number (to_number): for numbers the event sends as text, "88.00".
    as_number: bool = False


@dataclass(frozen=True, slots=True)
class TriggerModel:
    event_type: str = ""
    event_names: tuple[str, ...] = ()
    ignore_case: bool = False
    match: str = "all"
    conditions: tuple[Condition, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """The model as the editor's script reads it."""
        return {
            "event_type": self.event_type,
            "event_names": list(self.event_names),
            "ignore_case": self.ignore_case,
            "match": self.match,
            "conditions": [
                {
                    "path": c.path,
                    "operator": c.operator,
                    "value": "" if c.value is None else typed_text(c.value),
                    "as_number": c.as_number,
                }
                for c in self.conditions
            ],
        }


def quote_text(text: str) -> str:
    """JMESPath for the fixed text `text`: in single quotes, or a JSON literal when it holds a
    backslash (a raw string keeps backslashes as typed, so one before a quote would end it)."""
    if "\\" not in text:
        return "'" + text.replace("'", "\\'") + "'"
    return "`" + json.dumps(text, ensure_ascii=False).replace("`", "\\`") + "`"


def typed_value(text: str) -> Value:
    """A value as typed in a condition: true/false and numbers as such, anything else as text."""
    if text in ("true", "false"):
        return text == "true"
    if _NUMBER.fullmatch(text):
        number = float(text) if any(c in text for c in ".eE") else int(text)
        if isinstance(number, float) and not math.isfinite(number):
            return text
        return number
    return text


def typed_text(value: Value) -> str:
    """The inverse of `typed_value`: what the person types for `value`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def path_text(keys: list[str | int]) -> str:
    """A field path as the editor writes it: plain names as they are, others quoted, [n] for indexes."""
    text = ""
    for key in keys:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            step = key if _IDENTIFIER.fullmatch(key) else json.dumps(key, ensure_ascii=False)
            text += ("." if text else "") + step
    return text


def compile_trigger(model: TriggerModel) -> str:
    """The trigger `model` stands for, in JMESPath ("" when it holds nothing)."""
    parts = []
    if model.event_type:
        parts.append(f"type == {quote_text(model.event_type)}")
    names = [name.lower() if model.ignore_case else name for name in model.event_names]
    subject = "lower(event)" if model.ignore_case else "event"
    if len(names) == 1:
        parts.append(f"{subject} == {quote_text(names[0])}")
    elif names:
        parts.append(f"contains([{', '.join(quote_text(name) for name in names)}], {subject})")
    conditions = [_condition_text(condition) for condition in model.conditions]
    if model.match == "any" and len(conditions) > 1:
        parts.append("(" + " || ".join(conditions) + ")")
    else:
        parts.extend(conditions)
    return " && ".join(parts)


def _condition_text(condition: Condition) -> str:
    path, value = condition.path, condition.value
    if condition.operator == "exists":
        return f"{path} != `null`"
    if condition.operator == "contains":
        return f"contains(to_string({path} || ''), {quote_text(typed_text(value))})"
    literal = quote_text(value) if isinstance(value, str) else f"`{json.dumps(value)}`"
    subject = f"to_number({path})" if condition.as_number else path
    return f"{subject} {_SYMBOLS[condition.operator]} {literal}"


def parse_trigger(source: str) -> TriggerModel | None:
    """The builder's model of `source`, or None when the trigger is not one the builder writes
    (it is then edited as an expression). `compile_trigger(parse_trigger(s))` means what `s` means."""
    if not source.strip():
        return TriggerModel()
    if len(source) > MAX_EXPRESSION_LENGTH:  # the engine refuses it anyway: do not parse it on every keystroke
        return None
    try:
        tree = Parser().parse(source).parsed
    except (jmespath_errors.JMESPathError, RecursionError):
        return None
    event_type, names, ignore_case = "", (), False
    conditions: list[Condition] = []
    match = "all"
    for part in _flatten(tree, "and_expression"):
        if not event_type and not names and not conditions and (found := _event_type(part)):
            event_type = found
        elif not names and not conditions and (found_names := _event_names(part)) is not None:
            names, ignore_case = found_names
        elif part["type"] == "or_expression" and not conditions:
            conditions = [_condition(child) for child in _flatten(part, "or_expression")]
            match = "any"
            if None in conditions:
                return None
        elif match == "all" and (condition := _condition(part)) is not None:
            conditions.append(condition)
        else:
            return None
    return TriggerModel(event_type, names, ignore_case, match, tuple(c for c in conditions if c is not None))


def _flatten(node: dict, kind: str) -> list[dict]:
    if node["type"] != kind:
        return [node]
    return [part for child in node["children"] for part in _flatten(child, kind)]


def _literal_text(node: dict) -> str | None:
    return node["value"] if node["type"] == "literal" and isinstance(node["value"], str) else None


def _event_type(node: dict) -> str:
    if node["type"] != "comparator" or node["value"] != "eq":
        return ""
    left, right = node["children"]
    found = _literal_text(right)
    return found if left == _FIELD_TYPE and found in EVENT_TYPES else ""


_FIELD_TYPE = {"type": "field", "children": [], "value": "type"}
_FIELD_EVENT = {"type": "field", "children": [], "value": "event"}
_LOWER_EVENT = {"type": "function_expression", "children": [_FIELD_EVENT], "value": "lower"}


def _event_names(node: dict) -> tuple[tuple[str, ...], bool] | None:
    if node["type"] == "comparator" and node["value"] == "eq":
        subject, literal = node["children"]
        names = [_literal_text(literal)]
    elif node["type"] == "function_expression" and node["value"] == "contains" and len(node["children"]) == 2:
        listed, subject = node["children"]
        if listed["type"] != "multi_select_list" or len(listed["children"]) < 2:
            return None
        names = [_literal_text(child) for child in listed["children"]]
    else:
        return None
    if subject not in (_FIELD_EVENT, _LOWER_EVENT) or None in names:
        return None
    ignore_case = subject == _LOWER_EVENT
    if ignore_case and any(name != name.lower() for name in names):  # lower(event) never equals them
        return None
    return tuple(names), ignore_case


def _condition(node: dict) -> Condition | None:
    if node["type"] == "function_expression" and node["value"] == "contains":
        return _contains(node)
    if node["type"] != "comparator":
        return None
    left, right = node["children"]
    as_number = left["type"] == "function_expression" and left["value"] == "to_number" and len(left["children"]) == 1
    path = _path(left["children"][0] if as_number else left)
    if path is None or right["type"] != "literal":
        return None
    value = right["value"]
    if as_number:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return (
            Condition(path, _COMPARATORS[node["value"]], value, True)
            if number and node["value"] in _COMPARATORS
            else None
        )
    if node["value"] == "ne":
        return Condition(path, "exists") if value is None else None
    operator = _COMPARATORS.get(node["value"])
    if operator is None or value is None or isinstance(value, list | dict):
        return None
    if isinstance(value, str) and typed_value(value) != value:
        return None  # text that the builder would read back as a number or true/false
    if operator != "equals" and isinstance(value, bool):
        return None
    return Condition(path, operator, value)


def _contains(node: dict) -> Condition | None:
    if len(node["children"]) != 2:
        return None
    subject, searched = node["children"]
    text = _literal_text(searched)
    if (
        text is None
        or subject["type"] != "function_expression"
        or subject["value"] != "to_string"
        or len(subject["children"]) != 1
    ):
        return None
    either = subject["children"][0]
    if either["type"] != "or_expression" or _literal_text(either["children"][1]) != "":
        return None
    path = _path(either["children"][0])
    if path is None:
        return None
    return Condition(path, "contains", text)


def _path(node: dict) -> str | None:
    keys = path_keys(node)
    return path_text(keys) if keys else None


def path_keys(node: dict) -> list[str | int] | None:
    """The steps of a plain field path (`a.b[0]."c d"`) in a parsed expression, or None for anything else."""
    kind = node["type"]
    if kind == "field":
        return [node["value"]]
    if kind == "subexpression" or kind == "index_expression":
        keys: list[str | int] = []
        for child in node["children"]:
            if child["type"] == "index" and kind == "index_expression" and keys:
                keys.append(child["value"])
                continue
            found = path_keys(child)
            if found is None:
                return None
            keys.extend(found)
        return keys
    return None


_WORDS = {"equals": "equals", "greater_than": "is greater than", "less_than": "is less than", "contains": "contains"}


def condition_words(condition: Condition) -> str:
    """A condition as the builder shows it: “properties.total” is greater than 50."""
    if condition.operator == "exists":
        return f"“{condition.path}” exists"
    number = " (as a number)" if condition.as_number else ""
    return f"“{condition.path}”{number} {_WORDS[condition.operator]} {typed_text(condition.value)}"


def text_numbers(model: TriggerModel, event: Any) -> list[int]:
    """The conditions that compare a number with a field this event sends as text ("88.00"):
    JMESPath never orders text against a number, so they can never match as written."""
    found = []
    for index, condition in enumerate(model.conditions):
        if condition.as_number or condition.operator not in ("greater_than", "less_than", "equals"):
            continue
        if isinstance(condition.value, bool) or not isinstance(condition.value, int | float):
            continue
        value = _value_at(condition.path, event)
        if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
            found.append(index)
    return found


def text_number_advice(condition: Condition) -> str:
    """Why a condition on a number sent as text never matches, and what the builder offers."""
    return (
        f"“{condition.path}” is text in this event (a number in quotes), so “{_WORDS[condition.operator]} "
        f"{typed_text(condition.value)}” never matches it: compare it as a number "
        f"(the builder writes to_number({condition.path}))."
    )


def explain(trigger: str, event: Any) -> list[str]:
    """Why `trigger` does not match `event`, part by part, in the builder's words. It names the
    failing parts of the trigger, never a value of the event (the log shows it to every role)."""
    model = parse_trigger(trigger)
    if model is None:
        return [
            "its expression is false for this event (it is more than the builder can show, so its parts are not named)"
        ]
    reasons = []
    event_type = event.get("type") if isinstance(event, dict) else None
    if model.event_type and event_type != model.event_type:
        reasons.append(f"the event type is not “{model.event_type}”")
    if model.event_names:
        name = event.get("event") if isinstance(event, dict) else None
        subject = name.lower() if model.ignore_case and isinstance(name, str) else name
        if subject not in model.event_names:
            listed = ", ".join(f"“{n}”" for n in model.event_names)
            case = " (ignoring case)" if model.ignore_case else ""
            reasons.append(
                f"the event name is not {listed}{case}"
                if len(model.event_names) == 1
                else f"the event name is none of {listed}{case}"
            )
    offers = set(text_numbers(model, event))
    failing = []
    for index, condition in enumerate(model.conditions):
        if _holds(condition, event):
            continue
        if index in offers:
            failing.append(text_number_advice(condition))
        elif condition.operator != "exists" and _value_at(condition.path, event) is None:
            failing.append(f"{condition_words(condition)} is false: the event has no “{condition.path}”")
        else:
            failing.append(f"{condition_words(condition)} is false")
    if model.match == "any" and len(model.conditions) > 1:
        if len(failing) == len(model.conditions):
            reasons.append("none of its conditions holds: " + "; ".join(failing))
    else:
        reasons.extend(failing)
    return reasons


def _holds(condition: Condition, event: Any) -> bool:
    try:
        return engine.compile_expression(_condition_text(condition)).is_true(event)
    except engine.MappingError:
        return False


def _value_at(path: str, event: Any) -> Any:
    try:
        return engine.compile_expression(path).evaluate(event)
    except engine.MappingError:
        return None

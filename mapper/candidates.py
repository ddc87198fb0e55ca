"""A mapping as a list of candidates, in order: "use the first valid one".

`context.traits.email || properties.email || traits.email` is three candidates. The editor shows
such a mapping as a list (picking a field adds a candidate; candidates move and go), writes the
expression back with `write`, and reads a hand-written one with `parse`. Only a plain list is a
list: each candidate a field path or a fixed text. Anything else (functions, comparisons,
projections) is None, and the editor keeps it as an expression, untouched.

The JavaScript side (static/mapper/js/candidates.js) writes with the same rule: the candidates
joined by " || ".
"""

from typing import Any

from jmespath import exceptions as jmespath_errors
from jmespath.parser import Parser

from mapper.engine.limits import MAX_EXPRESSION_LENGTH
from mapper.trigger_builder import path_keys, path_text, quote_text

SEPARATOR = " || "


def write(candidates: list[str]) -> str:
    """The expression for `candidates` (each itself JMESPath): the first valid one is used."""
    return SEPARATOR.join(candidate.strip() for candidate in candidates if candidate.strip())


def parse(source: str) -> list[str] | None:
    """The candidates of `source`, each as the editor writes it, or None when `source` is not a
    plain list of fields and texts. An empty mapping is an empty list.
    `parse(write(parse(s)))` is `parse(s)`, and `write(parse(s))` means what `s` means."""
    if not source.strip():
        return []
    if len(source) > MAX_EXPRESSION_LENGTH:
        return None
    try:
        tree = Parser().parse(source).parsed
    except (jmespath_errors.JMESPathError, RecursionError):
        return None
    return of_node(tree)


def of_node(node: dict[str, Any]) -> list[str] | None:
    """The candidates of a parsed expression (a node of jmespath's tree), or None."""
    found = []
    for part in _flatten(node):
        text = candidate_text(part)
        if text is None:
            return None
        found.append(text)
    return found


def candidate_text(node: dict[str, Any]) -> str | None:
    """One candidate as the editor writes it: a field path, or a fixed text; else None."""
    if node["type"] == "literal":
        return quote_text(node["value"]) if isinstance(node["value"], str) else None
    keys = path_keys(node)
    return path_text(keys) if keys else None


def _flatten(node: dict[str, Any]) -> list[dict[str, Any]]:
    if node["type"] != "or_expression":
        return [node]
    return [part for child in node["children"] for part in _flatten(child)]


def for_expressions(expressions: list[str]) -> dict[str, list[str] | None]:
    """Each expression's candidates (None: not a plain list), for the editor to show as lists."""
    return {expression: parse(expression) for expression in dict.fromkeys(expressions)}

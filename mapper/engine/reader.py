"""One generated Python function per action that reads all its fields from an event at once.

An action's mappings are mostly field paths (`context.traits.email`, `properties.total`), fixed
texts and `||` chains of them. Called one closure at a time, each path starts again at the event;
written out as one function, each step is a dict lookup on a shared variable (`context.traits` is
looked up once for both `phone` and `email`) and the values dict is one literal. Only expressions
that can neither fail nor grow (Expression.direct) are read this way, and only when all of an
action's are: whatever the function does not write out itself it calls as its own closure. A
trigger is written out the same way, as a test. Property tests hold both to the closures they
replace (tests/mapper/test_engine.py).
"""

from collections.abc import Callable, Sequence
from typing import Any

import jmespath

from mapper.engine.closures import compile_node, field_keys
from mapper.engine.expressions import Expression
from mapper.engine.truth_and_order import is_truthy

Reader = Callable[[Any], dict[str, Any]]
Test = Callable[[Any], bool]


def compile_reader(mappings: Sequence[tuple[str, Expression]]) -> Reader | None:
    """Return a function giving `{key: expression's value}` for every mapping, in their order, or
    None when one of them is not called directly (it may fail or grow: the caller evaluates it)."""
    if any(expression.direct is None for _, expression in mappings):
        return None
    return _Writer().function([(key, jmespath.compile(expression.source).parsed) for key, expression in mappings])


def compile_test(expression: Expression) -> Test | None:
    """Return a function giving whether `expression` is true on an event (a trigger), written out
    the same way, or None when it is not called directly."""
    if expression.direct is None:
        return None
    return _Writer().test(jmespath.compile(expression.source).parsed)


class _Writer:
    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"is_truthy": is_truthy}
        self.lines: list[str] = []
        # The variable already holding each path read from the event, ("context", "traits") -> "_v3".
        self.paths: dict[tuple[str, ...], str] = {(): "event"}
        self.counter = 0

    def function(self, fields: list[tuple[str, dict]]) -> Reader:
        values = [f"{key!r}: {self._value(node)}" for key, node in fields]
        source = "\n".join(["def read(event):", *self.lines, f"    return {{{', '.join(values)}}}"])
        exec(source, self.namespace)  # noqa: S102 - our own generated source, names and values as constants
        return self.namespace["read"]

    def test(self, node: dict) -> Test:
        value = self._value(node)
        truth = value if self._gives_a_bool(node) else f"is_truthy({value})"
        source = "\n".join(["def test(event):", *self.lines, f"    return {truth}"])
        exec(source, self.namespace)  # noqa: S102 - our own generated source, names and values as constants
        return self.namespace["test"]

    def _name(self, prefix: str) -> str:
        self.counter += 1
        return f"_{prefix}{self.counter}"

    def _constant(self, value: Any) -> str:
        name = self._name("c")
        self.namespace[name] = value
        return name

    def _value(self, node: dict) -> str:
        """A Python expression giving the node's value on `event`."""
        keys = field_keys(node)
        if keys is not None:
            return self._path(tuple(keys))
        kind = node["type"]
        if kind == "literal":
            return self._constant(node["value"])
        if kind in ("current", "identity"):
            return "event"
        if kind in ("or_expression", "and_expression"):
            left, right = (self._value(child) for child in node["children"])
            held = self._name("t")
            # A bool is its own truth: is_truthy's call (a Python frame) only around other values.
            truth = f"({held} := {left})" if self._gives_a_bool(node["children"][0]) else f"is_truthy({held} := {left})"
            if kind == "or_expression":
                return f"({held} if {truth} else {right})"
            return f"({right} if {truth} else {held})"
        if kind == "comparator" and node["value"] == "eq":
            left, right = node["children"]
            if right["type"] == "literal" and isinstance(right["value"], str):
                # Only an equal text equals a text: plain == says it (as the closure does).
                return f"({self._value(left)} == {self._constant(right['value'])})"
        closure = compile_node(node)
        if closure is None:  # not reached for a direct expression, whose every node compiles
            raise ValueError(f"No closure for a {kind} node.")
        return f"{self._constant(closure)}(event)"

    @staticmethod
    def _gives_a_bool(node: dict) -> bool:
        """Whether the expression `_value` writes for `node` always gives a bool: a comparison with a
        text (plain ==), or `&&`/`||` of two such (either side's value is a bool)."""
        kind = node["type"]
        if kind == "comparator" and node["value"] == "eq":
            right = node["children"][1]
            return right["type"] == "literal" and isinstance(right["value"], str) and field_keys(node) is None
        if kind in ("or_expression", "and_expression"):
            return all(_Writer._gives_a_bool(child) for child in node["children"])
        return False

    def _path(self, keys: tuple[str, ...]) -> str:
        """The variable holding the value at `keys` from the event, its lookups written once."""
        known = self.paths.get(keys)
        if known is not None:
            return known
        parent = self._path(keys[:-1])
        name = self._name("v")
        self.lines.append(f"    {name} = {parent}.get({keys[-1]!r}) if isinstance({parent}, dict) else None")
        self.paths[keys] = name
        return name

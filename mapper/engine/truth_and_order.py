"""JMESPath's truth and ordering rules, shared by the closures and the interpreter."""

from typing import Any

from jmespath.visitor import _is_comparable


def is_truthy(value: Any) -> bool:
    """JMESPath's truth: false are null, false, "", [] and {}; numbers, 0 included, are true."""
    kind = type(value)
    # The common cases by exact type first (a comparison's bool, a field's text): one test.
    if kind is bool:
        return value
    if kind is str or kind is list or kind is dict:
        return bool(value)
    return not (value is None or value is False or value == "" or value == [] or value == {})


def orderable(a: Any, b: Any) -> bool:
    """Whether `<`, `>` and the like compare `a` and `b`: two numbers or two texts. Anything else
    (a text against a number: `properties.total > `100`` on "lots") is null, not a failure."""
    return _is_comparable(a) and _is_comparable(b) and isinstance(a, str) == isinstance(b, str)

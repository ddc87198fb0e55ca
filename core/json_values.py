"""Walk a JSON document's values."""

from collections.abc import Iterator
from typing import Any


def leaves(document: Any) -> Iterator[Any]:
    """Every value of `document` that is neither an object nor a list. Iterative, so a deeply nested
    document cannot exhaust the stack; a caller looking for one value may stop at the first."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        else:
            yield value

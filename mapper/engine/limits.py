"""How much one expression may be and build: the limits, the text budget of an evaluation, and
`measure`, which sizes a result as JSON and stops as soon as a limit is passed."""

import contextvars
import math
from typing import Any

from mapper.engine.errors import EvaluationError

MAX_EXPRESSION_LENGTH = 2_000
MAX_NESTING_DEPTH = 32
# How many values one evaluation may create or return (list items, object members, nodes).
MAX_OUTPUT_ITEMS = 10_000
MAX_STRING_LENGTH = 100_000
# The size of what one evaluation may return, and of all the text it may build on the way
# (to_string(), join()), in characters of JSON. Shared references count each time they appear,
# as serialising them would: `[@, @]` is twice the size of `@`.
MAX_OUTPUT_SIZE = 200_000
# How deep the parsed expression may be (`a || a || …` nests one level per `||`).
MAX_TREE_DEPTH = 100


# What is left of the current evaluation's text budget (a one-item list, so that it can be
# charged in place); None outside an evaluation.
text_budget: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("text_budget", default=None)


def charge_text(length: int) -> None:
    """Take `length` characters of built text from the current evaluation's budget (none outside one)."""
    budget = text_budget.get()
    if budget is None:
        return
    budget[0] -= length
    if budget[0] < 0:
        raise EvaluationError(f"The expression builds more than {MAX_OUTPUT_SIZE} characters of text.")


def check_output_size(value: Any) -> None:
    """Raise EvaluationError unless `value` is JSON within MAX_OUTPUT_ITEMS values and MAX_OUTPUT_SIZE."""
    measure(value, MAX_OUTPUT_SIZE)


def measure(value: Any, limit: int) -> int:
    """Return about how many characters `value` takes as JSON, or raise EvaluationError when it
    is more than `limit`, holds more than MAX_OUTPUT_ITEMS values, a string longer than
    MAX_STRING_LENGTH, a number that is not finite, or something that is not JSON at all.

    Stops as soon as a limit is passed, so it costs at most about `limit` steps. Shared
    references count each time they appear, as serialising them would.
    """
    items = MAX_OUTPUT_ITEMS
    size = 0
    stack = [value]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        current = pop()
        kind = type(current)  # exact types first: the common case, and cheaper than isinstance
        if kind is str:
            if len(current) > MAX_STRING_LENGTH:
                raise EvaluationError(f"The result holds a text longer than {MAX_STRING_LENGTH} characters.")
            size += len(current) + 2
        elif kind is dict:
            items -= len(current)
            # Keys are texts (JSON's are): their lengths summed in one C-level pass.
            size += 2 + 4 * len(current) + sum(map(len, current))
            for member in current.values():
                if type(member) is str:  # most members: counted here, not pushed and popped
                    if len(member) > MAX_STRING_LENGTH:
                        raise EvaluationError(f"The result holds a text longer than {MAX_STRING_LENGTH} characters.")
                    size += len(member) + 2
                else:
                    push(member)
        elif kind is list:
            items -= len(current)
            size += 2 + len(current)
            extend(current)
        elif kind is int:
            size += len(str(current))
        elif kind is bool or current is None:
            size += 5
        elif isinstance(current, float):
            if not math.isfinite(current):
                raise EvaluationError("The expression gives a number that is not finite (too large for JSON).")
            size += 24
        elif isinstance(current, str | dict | list | int):
            push(_plain(current))  # a subclass (never from JSON, but from a custom function): as its base type
        else:
            # Such as an expression reference (&field) used outside sort_by() and friends.
            raise EvaluationError("The expression does not give a JSON value.")
        if items < 0:
            raise EvaluationError(f"The result holds more than {MAX_OUTPUT_ITEMS} values.")
        if size > limit:
            raise EvaluationError(f"The result is larger than {limit} characters of JSON.")
    return size


def _plain(value: Any) -> Any:
    for base in (bool, str, dict, list, int):
        if isinstance(value, base):
            return base(value)
    return value

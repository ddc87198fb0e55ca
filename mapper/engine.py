"""The mapping engine: compile and evaluate JMESPath expressions over events. Pure: no ORM, no HTTP.

Expressions are compiled once and cached. Simple ones (field paths, literals, `||`, `&&`, `!`,
comparisons, indexes, multiselect hashes and calls of plain functions) are compiled further into
Python closures, which run several times faster than JMESPath's tree interpreter and give the
same results (a property test holds them together). Everything else runs on a tree interpreter
that counts what it builds, so no expression can explode in time or memory.
"""

import contextvars
import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jmespath
from jmespath import exceptions as jmespath_errors
from jmespath import functions as jmespath_functions
from jmespath.visitor import TreeInterpreter, _equals, _is_comparable

from destinations.identifiers import normalize_phone
from destinations.timestamps import format_rfc3339, parse_timestamp

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

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class MappingError(Exception):
    """An expression that cannot be compiled or evaluated. Messages never contain event data."""

    code = "mapping_error"

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


class ExpressionError(MappingError):
    """The expression is not valid JMESPath, or breaks a limit."""

    code = "invalid_expression"


class EvaluationError(MappingError):
    """The expression is valid but failed on this event (a wrong type, a limit)."""

    code = "evaluation_error"


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
        _charge_text(length)
        return separator.join(array)

    @jmespath_functions.signature({"types": []})
    def _func_to_string(self, value: Any) -> Any:
        if isinstance(value, str):
            return value
        # Charge the estimate before building the text, and what escapes added after.
        estimate = measure(value, MAX_OUTPUT_SIZE)
        _charge_text(estimate)
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        _charge_text(max(0, len(text) - estimate))
        return text


# What is left of the current evaluation's text budget (a one-item list, so that it can be
# charged in place); None outside an evaluation.
_text_budget: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("text_budget", default=None)


def _charge_text(length: int) -> None:
    budget = _text_budget.get()
    if budget is None:
        return
    budget[0] -= length
    if budget[0] < 0:
        raise EvaluationError(f"The expression builds more than {MAX_OUTPUT_SIZE} characters of text.")


FUNCTIONS = _Functions()
_OPTIONS = jmespath.Options(custom_functions=FUNCTIONS)


class _BoundedInterpreter(TreeInterpreter):
    """JMESPath's interpreter, counting every value it creates against MAX_OUTPUT_ITEMS."""

    def __init__(self) -> None:
        super().__init__(_OPTIONS)
        self.created = 0

    def _charge(self, result: Any) -> Any:
        if isinstance(result, list | dict):
            self.created += len(result)
            if self.created > MAX_OUTPUT_ITEMS:
                raise EvaluationError(f"The expression builds more than {MAX_OUTPUT_ITEMS} values.")
        return result

    def visit_multi_select_list(self, node: dict, value: Any) -> Any:
        return self._charge(super().visit_multi_select_list(node, value))

    def visit_multi_select_dict(self, node: dict, value: Any) -> Any:
        return self._charge(super().visit_multi_select_dict(node, value))

    def visit_projection(self, node: dict, value: Any) -> Any:
        return self._charge(super().visit_projection(node, value))

    def visit_value_projection(self, node: dict, value: Any) -> Any:
        return self._charge(super().visit_value_projection(node, value))

    def visit_filter_projection(self, node: dict, value: Any) -> Any:
        return self._charge(super().visit_filter_projection(node, value))

    def visit_flatten(self, node: dict, value: Any) -> Any:
        return self._charge(super().visit_flatten(node, value))

    def visit_slice(self, node: dict, value: Any) -> Any:
        return self._charge(super().visit_slice(node, value))

    def visit_function_expression(self, node: dict, value: Any) -> Any:
        return self._charge(super().visit_function_expression(node, value))

    def visit_comparator(self, node: dict, value: Any) -> Any:
        if node["value"] in self._EQUALITY_OPS:
            return super().visit_comparator(node, value)
        left, right = (self.visit(child, value) for child in node["children"])
        return self.COMPARATOR_FUNC[node["value"]](left, right) if _orderable(left, right) else None


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


Evaluator = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Expression:
    """A compiled expression. `evaluate` raises only EvaluationError."""

    source: str
    _run: Evaluator
    _needs_bounds: bool
    # Set when the expression can neither fail nor grow (field paths, literals, comparisons and
    # logic over them): callers on the hot path may call it directly, without evaluate's guards.
    direct: Evaluator | None = None

    def evaluate(self, data: Any) -> Any:
        budget = _text_budget.set([MAX_OUTPUT_SIZE]) if self._needs_bounds else None
        try:
            result = self._run(data)
            if self._needs_bounds:
                check_output_size(result)
            return result
        except MappingError:
            raise
        except jmespath_errors.JMESPathTypeError as error:
            expected = ", ".join(error.expected_types)
            raise EvaluationError(
                f"{error.function_name}() got a value of type {error.actual_type}; it expects {expected}."
            ) from None
        except jmespath_errors.ArityError as error:
            raise EvaluationError(
                f"{error.function_name}() takes {error.expected_arity} argument(s), got {error.actual_arity}."
            ) from None
        except jmespath_errors.UnknownFunctionError:
            raise EvaluationError("The expression calls an unknown function.") from None
        except RecursionError:
            raise EvaluationError("The data or the expression is nested too deeply.") from None
        except (TypeError, ValueError, OverflowError, ArithmeticError):
            # Built-in functions on unexpected values (such as sorting mixed types). The
            # original message may quote event data, so it is not passed on.
            raise EvaluationError("The expression cannot be evaluated on this value.") from None
        except MemoryError:
            raise EvaluationError("The expression needs more memory than an evaluation may take.") from None
        finally:
            if budget is not None:
                _text_budget.reset(budget)

    def is_true(self, data: Any) -> bool:
        """Return whether the expression is truthy on `data`, by JMESPath's rules."""
        return is_truthy(self.evaluate(data))


def is_truthy(value: Any) -> bool:
    """JMESPath's truth: false are null, false, "", [] and {}; numbers, 0 included, are true."""
    kind = type(value)
    # The common cases by exact type first (a comparison's bool, a field's text): one test.
    if kind is bool:
        return value
    if kind is str or kind is list or kind is dict:
        return bool(value)
    return not (value is None or value is False or value == "" or value == [] or value == {})


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> Expression:
    """Return the compiled expression, or raise ExpressionError saying what is wrong and where."""
    if not isinstance(source, str):
        raise ExpressionError("An expression must be text.")
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"The expression is longer than {MAX_EXPRESSION_LENGTH} characters.")
    depth, position = _nesting_depth(source)
    if depth > MAX_NESTING_DEPTH:
        raise ExpressionError(
            f"The expression nests more than {MAX_NESTING_DEPTH} levels deep.",
            position=position,
        )
    try:
        parsed = jmespath.compile(source).parsed
    except jmespath_errors.IncompleteExpressionError:
        raise ExpressionError(
            f"The expression is incomplete at position {len(source)}.",
            position=len(source),
        ) from None
    except jmespath_errors.LexerError as error:
        raise ExpressionError(
            f"Unexpected character at position {error.lexer_position}.",
            position=error.lexer_position,
        ) from None
    except jmespath_errors.ParseError as error:
        raise ExpressionError(
            f"Invalid syntax at position {error.lex_position}: unexpected {error.token_type.lower()}.",
            position=error.lex_position,
        ) from None
    except jmespath_errors.JMESPathError:
        raise ExpressionError("The expression is not valid JMESPath.") from None
    except RecursionError:
        raise ExpressionError("The expression nests too deeply.") from None
    if _tree_depth(parsed) > MAX_TREE_DEPTH:
        raise ExpressionError(f"The expression combines more than {MAX_TREE_DEPTH} parts in one chain.")
    _check_functions(parsed)
    _check_literals(parsed)
    return _expression_of(source, parsed)


def _expression_of(source: str, parsed: dict) -> Expression:
    fast = _compile_node(parsed)
    if fast is not None:
        needs_bounds = _builds_values(parsed)
        direct = fast if not needs_bounds and _cannot_fail(parsed) else None
        return Expression(source, fast, _needs_bounds=needs_bounds, direct=direct)
    return Expression(
        source,
        lambda data: _BoundedInterpreter().visit(parsed, data),
        _needs_bounds=True,
    )


@lru_cache(maxsize=1024)
def alternatives(source: str) -> tuple[Expression, ...]:
    """The alternatives of a fallback chain `a || b || c`, left to right; () when `source` is not
    one. Identifiers use them to take the first *valid* value, where `||` takes the first non-empty."""
    compile_expression(source)  # within the limits
    parsed = jmespath.compile(source).parsed
    if parsed["type"] != "or_expression":
        return ()
    found: list[dict] = []
    stack = [parsed]
    while stack:
        node = stack.pop()
        if node["type"] == "or_expression":
            stack.extend(reversed(node["children"]))
        else:
            found.append(node)
    return tuple(_expression_of(source, node) for node in found)


def evaluate(source: str, data: Any) -> Any:
    """Compile (cached) and evaluate `source` on `data`."""
    return compile_expression(source).evaluate(data)


def _nesting_depth(source: str) -> tuple[int, int]:
    """Return the deepest bracket nesting outside string literals, and where it is reached."""
    depth = deepest = where = 0
    quote = ""
    escaped = False
    for index, char in enumerate(source):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "'\"`":
            quote = char
        elif char in "([{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, index
        elif char in ")]}":
            depth -= 1
    return deepest, where


def _tree_depth(node: dict) -> int:
    deepest = 0
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in current.get("children", ()) if isinstance(child, dict))
    return deepest


def _check_literals(node: dict) -> None:
    """Refuse a literal that is not plain JSON, such as `1e400` (infinite once read)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.get("type") == "literal":
            try:
                measure(current["value"], MAX_EXPRESSION_LENGTH * 8)
            except EvaluationError:
                raise ExpressionError(
                    "A literal holds a number too large for JSON (such as 1e400); write a smaller one."
                ) from None
        stack.extend(child for child in current.get("children", ()) if isinstance(child, dict))


def _check_functions(node: dict) -> None:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.get("type") == "function_expression":
            name = current["value"]
            spec = FUNCTIONS.FUNCTION_TABLE.get(name)
            if spec is None:
                raise ExpressionError(f"Unknown function {name}().")
            signature = spec["signature"]
            count = len(current["children"])
            variadic = bool(signature) and signature[-1].get("variadic")
            if (variadic and count < len(signature)) or (not variadic and count != len(signature)):
                raise ExpressionError(f"{name}() takes {len(signature)} argument(s), got {count}.")
        stack.extend(child for child in current.get("children", ()) if isinstance(child, dict))


_SAFE_NODES = frozenset(
    {
        "field",
        "subexpression",
        "literal",
        "current",
        "identity",
        "index_expression",
        "index",
        "or_expression",
        "and_expression",
        "not_expression",
        "comparator",
    }
)


def _cannot_fail(node: dict) -> bool:
    """Whether the compiled `node` cannot raise on any JSON input: lookups, literals, and logic and
    comparisons over them (ordering different types gives null; see _orderable)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current["type"] not in _SAFE_NODES:
            return False
        stack.extend(child for child in current.get("children", ()) if isinstance(child, dict))
    return True


def _builds_values(node: dict) -> bool:
    """Return whether the expression can return something bigger than a piece of its input."""
    stack = [node]
    while stack:
        current = stack.pop()
        # A projection gathers pieces of its input into a new list, which can outgrow any one piece.
        if current["type"] in ("multi_select_dict", "multi_select_list", "function_expression", "projection"):
            return True
        stack.extend(child for child in current.get("children", ()) if isinstance(child, dict))
    return False


def _compile_node(node: dict) -> Evaluator | None:
    """Return a closure that evaluates `node` as JMESPath would, or None to use the interpreter."""
    kind = node["type"]
    children = node.get("children", [])
    if kind == "field":
        return _field_path([node["value"]])
    if kind == "subexpression":
        keys = _field_keys(node)
        if keys is not None:
            return _field_path(keys)
        parts = [_compile_node(child) for child in children]
        if any(part is None for part in parts):
            return None
        return _chain(parts)
    if kind == "current" or kind == "identity":
        return lambda data: data
    if kind == "literal":
        literal = node["value"]
        return lambda data: literal
    if kind == "index_expression" or kind == "pipe":
        parts = [_compile_node(child) for child in children]
        if any(part is None for part in parts):
            return None
        return _chain(parts)
    if kind == "index":
        index = node["value"]

        def at_index(data: Any) -> Any:
            if not isinstance(data, list):
                return None
            try:
                return data[index]
            except IndexError:
                return None

        return at_index
    if kind in ("or_expression", "and_expression", "not_expression", "comparator"):
        return _compile_logic(node)
    if kind == "multi_select_dict":
        pairs = [(child["value"], _compile_node(child["children"][0])) for child in children]
        if any(fn is None for _, fn in pairs):
            return None

        def select_dict(data: Any) -> Any:
            if data is None:
                return None
            return {key: fn(data) for key, fn in pairs}

        return select_dict
    if kind == "projection":
        return _projection(children)
    if kind == "multi_select_list" and all(child["type"] == "literal" for child in children):
        # A list written out of literals (contains(['a', 'b'], event)): the same list every time,
        # so nothing it builds can grow with the event.
        constant = [child["value"] for child in children]
        return lambda data: None if data is None else list(constant)
    if kind == "function_expression":
        name = node["value"]
        args = [_compile_node(child) for child in children]
        if any(arg is None for arg in args):
            return None
        call = FUNCTIONS.call_function
        general = lambda data: call(name, [arg(data) for arg in args])  # noqa: E731
        return _common_call(name, children, args, general) or general
    return None


def _common_call(name: str, children: list[dict], args: list[Evaluator], general: Evaluator) -> Evaluator | None:
    """Shortcuts for the calls triggers make on every event, `lower(event)` and
    `contains(['a', 'b'], …)`; anything they do not cover (a type error included) takes `general`,
    JMESPath's own call with its checks."""
    if name == "lower" and len(args) == 1:
        (arg,) = args

        def lower(data: Any) -> Any:
            value = arg(data)
            return value.lower() if type(value) is str else general(data)

        return lower
    listed = children[0] if children else {}
    if (
        name == "contains"
        and len(args) == 2
        and listed.get("type") == "multi_select_list"
        and all(child["type"] == "literal" and type(child["value"]) is str for child in listed["children"])
    ):
        texts = frozenset(child["value"] for child in listed["children"])
        search = args[1]

        def contains_text(data: Any) -> Any:
            if data is None:  # [...] on null is null, and contains() refuses it
                return general(data)
            value = search(data)
            # Only a text can equal one of these texts.
            return type(value) is str and value in texts

        return contains_text
    return None


def _projection(children: list[dict]) -> Evaluator | None:
    """`left[*].right`: right on every member of the list left gives, the nulls left out. Each
    member gives at most what right builds from it, so the result grows only with the event."""
    left, right = (_compile_node(child) for child in children)
    if left is None or right is None:
        return None

    def project(data: Any) -> Any:
        members = left(data)
        if not isinstance(members, list):
            return None
        collected = []
        for member in members:
            result = right(member)
            if result is not None:
                collected.append(result)
        return collected

    return project


def _compile_logic(node: dict) -> Evaluator | None:
    kind = node["type"]
    parts = [_compile_node(child) for child in node["children"]]
    if any(part is None for part in parts):
        return None
    if kind == "not_expression":
        (inner,) = parts

        def negate(data: Any) -> Any:
            result = inner(data)
            if _is_number(result) and result == 0:
                return False
            return not result

        return negate
    left, right = parts
    if kind == "or_expression":
        return lambda data: result if is_truthy(result := left(data)) else right(data)
    if kind == "and_expression":
        return lambda data: right(data) if is_truthy(result := left(data)) else result
    operator = TreeInterpreter.COMPARATOR_FUNC[node["value"]]
    literal = node["children"][1]
    if node["value"] == "eq" and literal["type"] == "literal" and isinstance(literal["value"], str):
        # Equality with a text (type == 'track'): only an equal text is equal, so plain == says it,
        # without the checks that keep true from equalling 1.
        text = literal["value"]
        return lambda data: left(data) == text
    if node["value"] == "eq":
        return lambda data: _equals(left(data), right(data))
    if node["value"] == "ne":
        return lambda data: not _equals(left(data), right(data))

    def compare(data: Any) -> Any:
        a, b = left(data), right(data)
        return operator(a, b) if _orderable(a, b) else None

    return compare


def _orderable(a: Any, b: Any) -> bool:
    """Whether `<`, `>` and the like compare `a` and `b`: two numbers or two texts. Anything else
    (a text against a number: `properties.total > `100`` on "lots") is null, not a failure."""
    return _is_comparable(a) and _is_comparable(b) and isinstance(a, str) == isinstance(b, str)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _field_keys(node: dict) -> list[str] | None:
    if node["type"] == "field":
        return [node["value"]]
    if node["type"] != "subexpression":
        return None
    keys: list[str] = []
    for child in node["children"]:
        child_keys = _field_keys(child)
        if child_keys is None:
            return None
        keys.extend(child_keys)
    return keys


def _field_path(keys: list[str]) -> Evaluator:
    if len(keys) == 1:
        (key,) = keys

        def one_field(data: Any) -> Any:
            return data.get(key) if isinstance(data, dict) else None

        return one_field
    # The common depths unrolled (context.traits.email): a loop costs more than the lookups.
    if len(keys) == 2:
        first, second = keys

        def two_fields(data: Any) -> Any:
            if isinstance(data, dict) and isinstance(data := data.get(first), dict):
                return data.get(second)
            return None

        return two_fields
    if len(keys) == 3:
        first, second, third = keys

        def three_fields(data: Any) -> Any:
            if (
                isinstance(data, dict)
                and isinstance(data := data.get(first), dict)
                and isinstance(data := data.get(second), dict)
            ):
                return data.get(third)
            return None

        return three_fields

    def field_path(data: Any) -> Any:
        for key in keys:
            if not isinstance(data, dict):
                return None
            data = data.get(key)
        return data

    return field_path


def _chain(parts: list[Evaluator]) -> Evaluator:
    def chained(data: Any) -> Any:
        for part in parts:
            data = part(data)
        return data

    return chained


MAX_SOURCE_PATHS = 64


@lru_cache(maxsize=4096)
def source_paths(source: str) -> tuple[str, ...]:
    """Return the paths of the event that `source` reads values from, such as
    ("properties.diagnosis",) for `lower(properties.diagnosis)`. `*` stands for any member; the
    current value (`@`) is "". Privacy rules judge a value by where it came from."""
    try:
        compile_expression(source)  # within the limits, so the walk below is bounded
    except MappingError:
        return ()
    found = _paths(jmespath.compile(source).parsed)
    return tuple(dict.fromkeys(".".join(path) for path in found))[:MAX_SOURCE_PATHS]


def _paths(node: dict) -> list[tuple[str, ...]]:
    """The relative paths a node reads, as tuples of names (an empty tuple is the current value)."""
    kind = node["type"]
    children = [child for child in node.get("children", ()) if isinstance(child, dict)]
    if kind == "field":
        return [(node["value"],)]
    if kind in ("current", "identity", "index", "slice"):
        return [()]
    if kind == "literal":
        return []
    if kind in ("subexpression", "pipe", "projection", "index_expression", "value_projection"):
        left, *rest = children
        paths = _paths(left)
        if kind == "value_projection":
            paths = [(*path, "*") for path in paths]
        for child in rest:
            inner = _paths(child)
            paths = [(*outer, *tail) for outer in paths for tail in inner] if inner else []
            paths = paths[:MAX_SOURCE_PATHS]
        return paths
    if kind == "filter_projection":
        left, right, condition = children
        outer = _paths(left)
        return [(*base, *tail) for base in outer for tail in _paths(right) + _paths(condition)][:MAX_SOURCE_PATHS]
    found: list[tuple[str, ...]] = []
    for child in children:  # functions, logic, comparisons, multi-selects, flatten, key/value pairs
        found.extend(_paths(child))
    return found[:MAX_SOURCE_PATHS]

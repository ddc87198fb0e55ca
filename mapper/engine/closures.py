"""The fast path: simple expressions (field paths, literals, `||`, `&&`, `!`, comparisons, indexes,
projections, multiselect hashes and calls of plain functions) compiled into Python closures, which
run several times faster than JMESPath's tree interpreter and give the same results (a property
test holds them together: tests/mapper/test_engine.py)."""

from collections.abc import Callable
from typing import Any

from jmespath.visitor import TreeInterpreter, _equals

from mapper.engine.functions import FUNCTIONS
from mapper.engine.truth_and_order import is_truthy, orderable

Evaluator = Callable[[Any], Any]


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


def cannot_fail(node: dict) -> bool:
    """Whether the compiled `node` cannot raise on any JSON input: lookups, literals, and logic and
    comparisons over them (ordering different types gives null; see truth_and_order.orderable)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current["type"] not in _SAFE_NODES:
            return False
        stack.extend(child for child in current.get("children", ()) if isinstance(child, dict))
    return True


def builds_values(node: dict) -> bool:
    """Return whether the expression can return something bigger than a piece of its input."""
    stack = [node]
    while stack:
        current = stack.pop()
        # A projection gathers pieces of its input into a new list, which can outgrow any one piece.
        if current["type"] in ("multi_select_dict", "multi_select_list", "function_expression", "projection"):
            return True
        stack.extend(child for child in current.get("children", ()) if isinstance(child, dict))
    return False


def compile_node(node: dict) -> Evaluator | None:
    """Return a closure that evaluates `node` as JMESPath would, or None to use the interpreter."""
    kind = node["type"]
    children = node.get("children", [])
    if kind == "field":
        return _field_path([node["value"]])
    if kind == "subexpression":
        keys = field_keys(node)
        if keys is not None:
            return _field_path(keys)
        parts = [compile_node(child) for child in children]
        if any(part is None for part in parts):
            return None
        return _chain(parts)
    if kind == "current" or kind == "identity":
        return lambda data: data
    if kind == "literal":
        literal = node["value"]
        return lambda data: literal
    if kind == "index_expression" or kind == "pipe":
        parts = [compile_node(child) for child in children]
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
        pairs = [(child["value"], compile_node(child["children"][0])) for child in children]
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
        args = [compile_node(child) for child in children]
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
    left, right = (compile_node(child) for child in children)
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
    parts = [compile_node(child) for child in node["children"]]
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
        return operator(a, b) if orderable(a, b) else None

    return compare


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def field_keys(node: dict) -> list[str] | None:
    """The names of a plain field path (a.b.c), or None for any other node."""
    if node["type"] == "field":
        return [node["value"]]
    if node["type"] != "subexpression":
        return None
    keys: list[str] = []
    for child in node["children"]:
        child_keys = field_keys(child)
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

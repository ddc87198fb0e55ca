import contextlib
import json
import time
import tracemalloc
from typing import Any, ClassVar

import jmespath
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapper import engine
from mapper.engine import EvaluationError, ExpressionError, compile_expression, evaluate

EVENT = {
    "type": "track",
    "event": "Order Shipped",
    "userId": 1042,
    "properties": {
        "order_id": "54321",
        "total": 86.4,
        "items": [{"sku": "a"}, {"sku": "b"}],
        "zero": 0,
    },
    "context": {"traits": {"email": "Jane@Example.com", "phone": "(415) 555-2671"}},
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("event", "Order Shipped"),
        ("properties.order_id", "54321"),
        ("properties.missing.deeper", None),
        ("event.not_an_object", None),
        ("'Order Shipped'", "Order Shipped"),
        ("`42`", 42),
        ("properties.items[0].sku", "a"),
        ("properties.items[-1].sku", "b"),
        ("properties.items[5]", None),
        ("properties.items[*].sku", ["a", "b"]),
        ("properties.missing || userId", 1042),
        ("properties.zero || 'fallback'", 0),
        ("type == 'track' && event == 'Order Shipped'", True),
        ("type == 'identify'", False),
        ("properties.total > `50`", True),
        ("properties.total > properties.missing", None),
        ("!(properties.zero)", False),
        ("!(properties.missing)", True),
        (
            '{"Order": properties.order_id, "Total": properties.total}',
            {"Order": "54321", "Total": 86.4},
        ),
        ("lower(context.traits.email)", "jane@example.com"),
        ("trim(' padded ')", "padded"),
        ("e164(context.traits.phone, 'US')", "+14155552671"),
        ("e164('not a phone', 'US')", "not a phone"),
        (
            "sha256('  Jane@Example.com ')",
            "8c87b489ce35cf2e2f39f80e282cb2e804932a56a213983eeeb428407d43b52d",
        ),
        (
            "sha256(sha256('jane@example.com'))",
            "8c87b489ce35cf2e2f39f80e282cb2e804932a56a213983eeeb428407d43b52d",
        ),
        ("to_iso8601(`1795771800`)", "2026-11-27T09:30:00.000Z"),
        ("to_iso8601(`1795771800000`)", "2026-11-27T09:30:00.000Z"),
        ("to_iso8601('2026-11-27T04:30:00-05:00')", "2026-11-27T09:30:00.000Z"),
        ("to_iso8601('11/27/2026')", "2026-11-27T00:00:00.000Z"),
        ("length(properties.items)", 2),
        ("properties | keys(@) | sort(@)", ["items", "order_id", "total", "zero"]),
    ],
    ids=lambda value: str(value)[:40],
)
def test_evaluates_expression(expression: str, expected: Any) -> None:
    assert evaluate(expression, EVENT) == expected


@pytest.mark.parametrize(
    ("expression", "position"),
    [
        ("properties.", 11),
        ("event ==", 8),
        ("properties.[", None),
        ("foo)", 3),
        ("'unterminated", None),
    ],
)
def test_rejects_invalid_expression_with_its_position(expression: str, position: int | None) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(expression)
    assert caught.value.code == "invalid_expression"
    if position is not None:
        assert caught.value.position == position
        assert str(position) in caught.value.message


def test_rejects_unknown_function_when_compiling() -> None:
    with pytest.raises(ExpressionError, match=r"Unknown function nope\(\)"):
        compile_expression("nope(event)")


def test_rejects_wrong_number_of_arguments_when_compiling() -> None:
    with pytest.raises(ExpressionError, match=r"e164\(\) takes 2"):
        compile_expression("e164(context.traits.phone)")


def test_rejects_expression_longer_than_the_limit() -> None:
    with pytest.raises(ExpressionError, match="longer than"):
        compile_expression("a" * (engine.MAX_EXPRESSION_LENGTH + 1))


def test_rejects_500_nested_parentheses_without_recursion_error() -> None:
    with pytest.raises(ExpressionError, match="nests more than"):
        compile_expression("(" * 500 + "a" + ")" * 500)


def test_brackets_inside_string_literals_do_not_count_as_nesting() -> None:
    assert evaluate("'" + "(" * 100 + "'", {}) == "(" * 100


def test_stops_an_exploding_expression_quickly() -> None:
    expression = " | ".join(["[@,@][]"] * 22)
    started = time.perf_counter()
    with pytest.raises(EvaluationError, match="more than"):
        evaluate(expression, [1])
    assert time.perf_counter() - started < 1.0


def test_stops_a_result_that_shares_references_and_would_explode_when_serialised() -> None:
    with pytest.raises(EvaluationError):
        evaluate(" | ".join(["[@,@]"] * 30) + " | to_string(@)", 1)


def test_type_errors_never_quote_the_value() -> None:
    with pytest.raises(EvaluationError) as caught:
        evaluate("length(properties.total)", {"properties": {"total": 8675309}})
    assert "8675309" not in caught.value.message
    assert "length()" in caught.value.message


def test_unreadable_date_is_an_evaluation_error_without_the_value() -> None:
    with pytest.raises(EvaluationError) as caught:
        evaluate("to_iso8601(@)", "secret-not-a-date")
    assert "secret" not in caught.value.message


def test_trigger_truthiness_follows_jmespath() -> None:
    expression = compile_expression("properties.items")
    assert expression.is_true(EVENT)
    assert not expression.is_true({"properties": {"items": []}})


def test_compiles_each_expression_once() -> None:
    assert compile_expression("properties.order_id") is compile_expression("properties.order_id")


# Expressions that the closure compiler handles, checked against JMESPath's own interpreter.
FAST_EXPRESSIONS = [
    "a",
    "a.b",
    "a.b.c",
    "a[0]",
    "a[-1].b",
    "a || b",
    "a && b",
    "!a",
    "a == b",
    "a != b",
    "a < b",
    "a >= b",
    "a.b == 'x' || c",
    "{x: a, y: b.c}",
    "a | b",
    "@",
    "`1` == a",
    "a == `true`",
    "a[*]",
    "a[*].b",
    "a[*].{x: b, y: c || a}",
    "x.a[*].b[*].c",
    "contains(['x', ''], a)",
    "contains(['x', 'X'], lower(a))",
    "lower(a)",
    "['x', `1`]",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2, allow_nan=False) | st.sampled_from(["", "x"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from("abcx"), children, max_size=3),
    max_leaves=12,
)


@given(data=json_values, expression=st.sampled_from(FAST_EXPRESSIONS))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_closure_compiler_agrees_with_jmespath(data: Any, expression: str) -> None:
    try:
        expected = jmespath.search(expression, data, jmespath.Options(custom_functions=engine.FUNCTIONS))
    except jmespath.exceptions.JMESPathTypeError:  # a function given the wrong type: ours says so too
        with pytest.raises(EvaluationError):
            evaluate(expression, data)
        return
    except TypeError:  # jmespath.py orders a number against text with Python's own comparison and fails;
        assert evaluate(expression, data) is None  # JMESPath's rule is null, and so is ours
        return
    assert evaluate(expression, data) == expected


class _Text(str):
    pass


@given(value=json_values | st.builds(_Text, st.sampled_from(["", "x"])) | st.sampled_from([(), 0.0, -0.0]))
def test_truth_is_jmespaths_own(value: Any) -> None:
    # The exact-type shortcuts give what JMESPath's interpreter says, subclasses and tuples included.
    from jmespath.visitor import TreeInterpreter

    assert engine.is_truthy(value) == (not TreeInterpreter()._is_false(value))


@given(expression=st.text(max_size=60))
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
def test_any_text_compiles_or_raises_expression_error(expression: str) -> None:
    with contextlib.suppress(ExpressionError):
        compile_expression(expression)


JMESPATH_ALPHABET = st.sampled_from([*list("ab.[]*@|&!=<>(){}`',:?0123 -"), "length(", "sort(", "to_string("])


@given(tokens=st.lists(JMESPATH_ALPHABET, max_size=25), data=json_values)
@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
def test_engine_raises_only_its_own_errors(tokens: list[str], data: Any) -> None:
    try:
        result = evaluate("".join(tokens), data)
    except engine.MappingError:
        return
    json.dumps(result)


def _peak_allocation_of(call: Any) -> int:
    tracemalloc.start()
    try:
        with contextlib.suppress(engine.MappingError):
            call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_doubling_to_string_ten_times_stops_under_the_output_bound() -> None:
    # Reproduced: a 1 KB event and ten `to_string([@,@])` stages built a 1 MB string, and took an
    # engineer's preview from 112 MB to 1.3 GB resident.
    expression = " | ".join(["to_string([@, @])"] * 10)
    event = {"properties": {"note": "x" * 1000}}
    with pytest.raises(EvaluationError):
        evaluate(expression, event)
    assert _peak_allocation_of(lambda: evaluate(expression, event)) < 2 * 1024 * 1024


def test_text_built_across_a_projection_counts_toward_one_budget() -> None:
    event = {"note": "x" * 60_000}
    with pytest.raises(EvaluationError, match="characters of text"):
        evaluate("[@, @, @, @, @, @, @, @][*].to_string(@)", event)


def test_a_long_chain_of_fallbacks_is_an_expression_error_not_a_recursion_error() -> None:
    with pytest.raises(ExpressionError, match="chain"):
        compile_expression("a||" * 600 + "a")


def test_an_infinite_literal_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError, match="too large"):
        compile_expression("`1e400`")


@pytest.mark.parametrize("expression", ["to_number('1e400')", "sum([`1e308`, `1e308`])"])
def test_a_computed_infinity_is_an_evaluation_error(expression: str) -> None:
    with pytest.raises(EvaluationError, match="not finite"):
        evaluate(expression, {})


# Pieces that build large values: doubling, projections, flattening, text from structure.
HOSTILE_PIECES = st.sampled_from(
    [
        "@",
        "[@, @]",
        "[@, @, @, @]",
        "{a: @, b: @}",
        "to_string(@)",
        "to_string([@, @])",
        "join(',', [to_string(@), to_string(@)])",
        "[*]",
        "[]",
        "*",
        "values(@)",
        "merge(@, {z: @})",
        "map(&to_string(@), @)",
        "sort_by(@, &to_string(@))",
        "to_array(@)",
        "reverse(to_string(@))",
        "`1e400`",
        "to_number('1e400')",
        "a",
        "note",
        "items",
    ]
)
SEPARATORS = st.sampled_from([" | ", ".", " || ", " && ", "[*].", "[].", " | [*]."])
# Events up to the ingest limit (64 KB): one long text, many small items, deep nesting.
LARGE_EVENTS = st.sampled_from(
    [
        {"note": "x" * 60_000},
        {"items": [{"a": "yy"} for _ in range(4_000)]},
        {"a": json.loads("[" * 30 + "1" + "]" * 30)},
        {"a": {"a": {"a": {"a": "z" * 1000}}}, "note": "n" * 20_000},
    ]
)


@given(
    first=HOSTILE_PIECES,
    rest=st.lists(st.tuples(SEPARATORS, HOSTILE_PIECES), max_size=12),
    event=LARGE_EVENTS | json_values,
)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_expression_on_any_event_ends_bounded_or_in_a_mapping_error(
    first: str, rest: list[tuple[str, str]], event: Any
) -> None:
    expression = first + "".join(separator + piece for separator, piece in rest)
    outcome: dict[str, Any] = {}

    def run() -> None:
        outcome["result"] = evaluate(expression, event)

    try:
        peak = _peak_allocation_of(run)
    except Exception as error:  # anything but a MappingError is a bug
        pytest.fail(f"{type(error).__name__} escaped the engine for {expression!r}")
    assert peak < 8 * 1024 * 1024, expression
    if "result" in outcome:
        assert engine.measure(outcome["result"], engine.MAX_OUTPUT_SIZE) <= engine.MAX_OUTPUT_SIZE, expression
        json.dumps(outcome["result"], allow_nan=False)


def test_ordering_a_text_against_a_number_is_null_not_a_failure() -> None:
    event = {"properties": {"total": "lots", "items": [{"price": "free"}, {"price": 20}]}}
    assert engine.evaluate("properties.total > `100`", event) is None
    assert engine.evaluate("properties.items[?price > `10`].price", event) == [20]
    assert engine.evaluate("properties.total < 'm'", event) is True


READER_EXPRESSIONS = [
    *FAST_EXPRESSIONS,
    "a.b || a.c",
    "'x'",
    "a.b.c || `1` || c",
    "x.a.b && a",
    "!(a.b || b)",
    "a == 'x' && b.c == ''",
    "(a == 'x' || a.b == 'x') && !c",
    "type == 'track' && event == 'Order Shipped'",
    "a == 'x' || b.c == 'y' && c",
    "a.b == '' && (b == 'x' || a)",
]


@given(
    data=json_values,
    expressions=st.lists(st.sampled_from(READER_EXPRESSIONS), min_size=1, max_size=6),
)
@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
def test_an_actions_reader_gives_what_its_expressions_give_one_by_one(data: Any, expressions: list[str]) -> None:
    mappings = [(f"field {index}", compile_expression(expression)) for index, expression in enumerate(expressions)]
    reader = engine.compile_reader(mappings)
    if any(expression.direct is None for _, expression in mappings):
        assert reader is None  # one that may fail or grow is evaluated on its own
        return
    assert reader is not None
    values = reader(data)
    assert list(values) == [key for key, _ in mappings]
    assert values == {key: expression.direct(data) for key, expression in mappings}


@given(data=json_values, expression=st.sampled_from(READER_EXPRESSIONS))
@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
def test_a_trigger_written_out_is_true_where_its_closure_is(data: Any, expression: str) -> None:
    compiled = compile_expression(expression)
    test = engine.compile_test(compiled)
    if compiled.direct is None:
        assert test is None
        return
    assert test is not None
    assert test(data) is engine.is_truthy(compiled.direct(data))


class _CountingDict(dict):
    looked_up: ClassVar[list[str]] = []

    def get(self, key: Any, default: Any = None) -> Any:
        self.looked_up.append(key)
        return super().get(key, default)


def test_an_actions_reader_looks_up_a_path_its_fields_share_once() -> None:
    traits = _CountingDict(phone="+14155552671", email="a@b.co")
    event = _CountingDict(context=_CountingDict(traits=traits), userId="u-1")
    mappings = [
        (key, compile_expression(source))
        for key, source in [("phone", "context.traits.phone"), ("email", "context.traits.email"), ("id", "userId")]
    ]
    _CountingDict.looked_up = []
    values = engine.compile_reader(mappings)(event)
    assert values == {"phone": "+14155552671", "email": "a@b.co", "id": "u-1"}
    assert sorted(_CountingDict.looked_up) == ["context", "email", "phone", "traits", "userId"]


@given(data=json_values, expression=st.sampled_from(FAST_EXPRESSIONS))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_an_expression_called_directly_gives_what_evaluate_gives_and_never_fails(data: Any, expression: str) -> None:
    compiled = compile_expression(expression)
    if compiled.direct is None:
        return
    try:
        expected = compiled.evaluate(data)
    except EvaluationError:
        pytest.fail(f"{expression!r} is called directly but can fail")
    assert compiled.direct(data) == expected


def test_only_lookups_literals_and_logic_are_called_directly() -> None:
    assert compile_expression("context.traits.email || properties.email").direct is not None
    assert compile_expression("type == 'track' && properties.total > `10`").direct is not None
    assert compile_expression("lower(event)").direct is None
    assert compile_expression("properties.items[*].sku").direct is None

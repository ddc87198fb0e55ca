"""The trigger builder's model: what it compiles to, what it reads back, and that both agree."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from executor.envelope import EVENT_TYPES
from mapper import engine
from mapper.trigger_builder import (
    Condition,
    TriggerModel,
    compile_trigger,
    parse_trigger,
    path_text,
    quote_text,
    typed_value,
)

texts = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=20)
keys = st.one_of(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True), texts.filter(bool))
paths = st.builds(
    lambda first, rest: path_text(["properties", first, *rest]),
    keys,
    st.lists(st.one_of(keys, st.integers(0, 5)), max_size=2),
)
finite_numbers = st.one_of(st.integers(-(10**12), 10**12), st.floats(allow_nan=False, allow_infinity=False, width=32))
# Text compared with == is only text when it would not read back as a number or true/false.
plain_texts = texts.filter(lambda text: typed_value(text) == text)
conditions = st.one_of(
    st.builds(Condition, paths, st.just("equals"), st.one_of(plain_texts, finite_numbers, st.booleans())),
    st.builds(Condition, paths, st.just("contains"), texts),
    st.builds(Condition, paths, st.just("exists")),
    st.builds(Condition, paths, st.sampled_from(["greater_than", "less_than"]), st.one_of(finite_numbers, plain_texts)),
)
models = st.builds(
    TriggerModel,
    event_type=st.sampled_from(["", *sorted(EVENT_TYPES)]),
    event_names=st.lists(texts, max_size=3).map(tuple),
    ignore_case=st.booleans(),
    match=st.sampled_from(["all", "any"]),
    conditions=st.lists(conditions, max_size=4).map(tuple),
)


def normalized(model: TriggerModel) -> TriggerModel:
    """The model as it reads back: names lowered when case is ignored, "all" for one condition."""
    ignore_case = model.ignore_case and bool(model.event_names)
    return TriggerModel(
        model.event_type,
        tuple(name.lower() for name in model.event_names) if ignore_case else model.event_names,
        ignore_case,
        model.match if len(model.conditions) > 1 else "all",
        model.conditions,
    )


def test_the_envelope_and_the_builder_know_the_same_event_types() -> None:
    from mapper.trigger_builder import EVENT_TYPES as BUILDER_TYPES

    assert set(BUILDER_TYPES) == EVENT_TYPES


@given(models)
def test_every_model_compiles_to_an_expression_the_engine_accepts(model: TriggerModel) -> None:
    source = compile_trigger(model)
    if source:
        engine.compile_expression(source)


@given(models)
def test_a_compiled_trigger_reads_back_as_the_same_model(model: TriggerModel) -> None:
    assert parse_trigger(compile_trigger(model)) == normalized(model)


@given(texts)
def test_quoted_text_is_exactly_the_text(text: str) -> None:
    assert engine.evaluate(quote_text(text), {}) == text


def test_a_simple_trigger_compiles_to_what_a_person_would_write() -> None:
    model = TriggerModel("track", ("Order Shipped",))
    assert compile_trigger(model) == "type == 'track' && event == 'Order Shipped'"


def test_several_names_ignoring_case_compile_to_one_lowered_list() -> None:
    model = TriggerModel("track", ("Order Completed", "order_completed"), ignore_case=True)
    assert compile_trigger(model) == "type == 'track' && contains(['order completed', 'order_completed'], lower(event))"


def test_any_of_the_conditions_is_grouped_in_parentheses() -> None:
    model = TriggerModel(
        conditions=(Condition("properties.total", "greater_than", 100), Condition("properties.vip", "exists")),
        match="any",
    )
    assert compile_trigger(model) == "(properties.total > `100` || properties.vip != `null`)"


def test_the_presets_triggers_open_in_the_builder() -> None:
    from destinations.registry import DESTINATION_TYPES

    for destination in DESTINATION_TYPES.values():
        for action_type in destination.actions:
            for preset in action_type.presets:
                assert parse_trigger(preset.trigger) is not None, preset.trigger


@pytest.mark.parametrize(
    "source",
    [
        "!(type == 'track')",
        "properties.total > `10` && (properties.a != `null` || properties.b != `null`)",  # all mixed with any
        "properties.total == '10'",  # text that the builder would read as a number
        "lower(event) == 'Order Shipped'",  # never true: the builder cannot show it
        "length(properties.items) > `2`",
        "not_null(properties.email)",
        "properties.a == properties.b",
        "type == 'track' &&",
    ],
)
def test_a_trigger_the_builder_does_not_write_stays_an_expression(source: str) -> None:
    assert parse_trigger(source) is None


@pytest.mark.parametrize(
    ("event", "matches"),
    [
        ({"type": "track", "event": "ORDER COMPLETED", "properties": {"total": 150}}, True),
        ({"type": "track", "event": "order completed", "properties": {"tags": ["vip", "new"]}}, True),
        ({"type": "track", "event": "Order Completed", "properties": {"total": 50}}, False),
        ({"type": "identify", "event": "Order Completed", "properties": {"total": 150}}, False),
        ({"type": "track", "event": "Order Completed", "properties": {"total": "lots", "tags": 7}}, False),
    ],
)
def test_a_compiled_trigger_matches_as_the_builder_says(event: dict, matches: bool) -> None:
    model = TriggerModel(
        "track",
        ("Order Completed",),
        ignore_case=True,
        match="any",
        conditions=(
            Condition("properties.total", "greater_than", 100),
            Condition("properties.tags", "contains", "vip"),
        ),
    )
    assert engine.compile_expression(compile_trigger(model)).is_true(event) is matches


def test_a_typed_value_is_a_number_only_when_written_as_one() -> None:
    assert typed_value("10") == 10
    assert typed_value("2.5") == 2.5
    assert typed_value("true") is True
    assert typed_value("02134") == "02134"
    assert typed_value("1e400") == "1e400"
    assert not math.isnan(typed_value("1e3"))


def test_a_trigger_longer_than_the_engine_takes_is_not_parsed_for_the_builder() -> None:
    huge = " && ".join(["properties.a != `null`"] * 200)
    assert len(huge) > 2_000
    assert parse_trigger(huge) is None


def test_a_number_sent_as_text_is_compared_as_a_number_through_to_number() -> None:
    model = TriggerModel(conditions=(Condition("properties.cart_value", "greater_than", 50, as_number=True),))
    trigger = compile_trigger(model)
    assert trigger == "to_number(properties.cart_value) > `50`"
    assert parse_trigger(trigger) == model
    assert engine.compile_expression(trigger).is_true({"properties": {"cart_value": "88.00"}})


def test_the_builder_finds_the_conditions_comparing_a_number_with_text() -> None:
    from mapper.trigger_builder import text_numbers

    model = parse_trigger("properties.cart_value > `50` && properties.items > `1`")
    assert text_numbers(model, {"properties": {"cart_value": "88.00", "items": 3}}) == [0]


def test_explain_names_each_failing_part_of_the_trigger_never_a_value() -> None:
    from mapper.trigger_builder import explain

    trigger = "type == 'track' && event == 'Checkout' && properties.cart_value > `50` && properties.coupon != `null`"
    reasons = explain(trigger, {"type": "track", "event": "Cart", "properties": {"cart_value": "88.00"}})
    assert reasons[0] == "the event name is not “Checkout”"
    assert "“properties.cart_value” is text in this event" in reasons[1]
    assert reasons[2] == "“properties.coupon” exists is false"
    assert not any("88" in reason for reason in reasons)


def test_explain_says_when_any_condition_would_do_and_none_holds() -> None:
    from mapper.trigger_builder import explain

    reasons = explain("(properties.a == 'x' || properties.b > `2`)", {"properties": {"b": 1}})
    assert reasons == [
        "none of its conditions holds: “properties.a” equals x is false: the event has no “properties.a”; "
        "“properties.b” is greater than 2 is false"
    ]

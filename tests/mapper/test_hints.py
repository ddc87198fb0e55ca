"""Warnings that catch silent loss, shown in the preview on the field at fault."""

import pytest

from mapper import hints
from mapper.trigger_builder import Condition, TriggerModel, compile_trigger, path_text

SAMPLE = {
    "type": "track",
    "event": "Order Shipped",
    "properties": {"email": "a@b.co", "items": [{"sku": "A1"}]},
    "context": {"traits": {}},
}


def warnings(mappings: dict, values: dict | None = None, trigger: str = "@") -> list[tuple[str, str]]:
    found = hints.for_preview(trigger, mappings, values or {}, SAMPLE)
    assert all(hint.severity == "warning" for hint in found)
    return [(hint.field, hint.code) for hint in found]


def test_a_misspelt_path_is_named() -> None:
    (hint,) = hints.for_preview("@", {"email": "properties.emial"}, {}, SAMPLE)
    assert hint.message == "“properties.emial” is not in this event."


def test_a_path_that_resolved_to_something_is_not_flagged_even_with_a_missing_fallback() -> None:
    assert warnings({"email": "context.traits.email || properties.email"}, {"email": "a@b.co"}) == []


def test_paths_through_lists_are_found() -> None:
    assert warnings({"properties.Sku": "properties.items[0].sku"}) == []
    assert warnings({"properties.Sku": "properties.items[*].sku"}) == []


def test_text_typed_without_quotes_suggests_single_quotes() -> None:
    (hint,) = hints.for_preview("@", {"event_name": "Shipped"}, {}, SAMPLE)
    assert "write it in single quotes: 'Shipped'" in hint.message


def test_text_in_double_quotes_suggests_single_quotes() -> None:
    (hint,) = hints.for_preview("@", {"event_name": '"Order Shipped"'}, {}, SAMPLE)
    assert hint.code == "double_quoted_text"
    assert "'Order Shipped'" in hint.message


def test_a_trigger_comparing_to_a_double_quoted_string_is_flagged() -> None:
    assert warnings({}, trigger='event == "Order Shipped"') == [("trigger", "double_quoted_text")]
    assert warnings({}, trigger="event == 'Order Shipped'") == []


@pytest.mark.parametrize("operator", ["equals", "greater_than", "less_than", "contains", "exists"])
@pytest.mark.parametrize(
    "path", [["properties", "Order Total"], ["first name"], ["properties", "line items", 0, "sku"]]
)
def test_a_trigger_the_builder_wrote_with_a_quoted_field_name_is_not_flagged(path: list, operator: str) -> None:
    condition = Condition(path_text(path), operator, 50 if operator.endswith("_than") else "x")
    trigger = compile_trigger(TriggerModel("track", ("Order Completed",), conditions=(condition,)))
    assert '"' in trigger
    assert warnings({}, trigger=trigger) == []


def test_a_field_compared_with_a_double_quoted_name_is_still_flagged() -> None:
    assert warnings({}, trigger='properties."Order Status" == "shipped"') == [("trigger", "double_quoted_text")]


def test_two_rows_with_the_same_name_flag_the_later_one() -> None:
    duplicates = hints.duplicate_rows("properties", ["Total", "Carrier", "Total"])
    assert list(duplicates) == [2]
    assert "only the last one is sent" in duplicates[2].message

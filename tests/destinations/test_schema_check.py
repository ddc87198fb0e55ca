"""Request schemas compiled to closures: the same verdict as jsonschema, or no closures at all."""

from typing import Any

import pytest
from hypothesis import given, settings
from jsonschema import Draft202012Validator

from destinations.attentive import ATTENTIVE
from destinations.definition import _compiled_check, _without_presence
from destinations.schema_check import UnsupportedSchema, compile_check
from tests.mapper.test_validation import attribute_bodies, custom_event_bodies


@pytest.mark.parametrize("action", ATTENTIVE.actions, ids=lambda action: action.key)
def test_every_attentive_schema_compiles_to_closures(action) -> None:
    compile_check(action.schema)
    compile_check(_without_presence(action.schema))


@given(body=custom_event_bodies | attribute_bodies)
@settings(max_examples=500)
def test_ignoring_presence_agrees_with_jsonschema_on_the_schema_without_requirements(body: dict[str, Any]) -> None:
    for action in ATTENTIVE.actions:
        relaxed = _without_presence(action.schema)
        assert action.is_valid_ignoring_presence(body) == Draft202012Validator(relaxed).is_valid(body)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "enum": ["a"]},
        {"oneOf": [{"type": "string"}]},
        {"type": "object", "properties": {"a": {"$ref": "https://example.com/other"}}},
        {"type": "decimal"},
    ],
)
def test_a_keyword_the_closures_do_not_check_is_refused_not_ignored(schema: dict) -> None:
    with pytest.raises(UnsupportedSchema):
        compile_check(schema)


def test_a_schema_the_closures_refuse_is_still_checked_by_fastjsonschema() -> None:
    check = _compiled_check({"type": "string", "enum": ["a", "b"]})
    assert check("a")
    assert not check("c")


def test_a_final_dollar_is_the_very_end_not_before_a_newline() -> None:
    phone = compile_check({"type": "string", "pattern": r"^\+[1-9][0-9]{6,14}$"})
    assert phone("+14155552671")
    assert not phone("+14155552671\n")


def test_references_may_be_recursive() -> None:
    check = compile_check(
        {
            "$defs": {"tree": {"propertyNames": {"minLength": 1}, "additionalProperties": {"$ref": "#/$defs/tree"}}},
            "$ref": "#/$defs/tree",
        }
    )
    assert check({"a": {"b": {"c": 1}}})
    assert not check({"a": {"b": {"": 1}}})

"""Request schemas compiled to generated Python: the same verdict as jsonschema, or no such check at all."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from destinations.attentive import ATTENTIVE
from destinations.definition import _compiled_check, _without_presence
from destinations.schema_check import UnsupportedSchema, compile_check
from tests.mapper.test_validation import attribute_bodies, custom_event_bodies


@pytest.mark.parametrize("action", ATTENTIVE.actions, ids=lambda action: action.key)
def test_every_attentive_schema_compiles_to_generated_checks(action) -> None:
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


# Schemas of the subset the compiler writes out, nested, and JSON values to judge with them.
_names = st.sampled_from(["a", "b", "c"])
_texts = st.text("ab0 ", max_size=4)  # no newline: a final "$" is read as fastjsonschema reads it
_leaf_schemas = st.one_of(
    st.booleans(),
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["string", "integer", "number", "boolean", "null", ["string", "null"]]),
            "minLength": st.integers(0, 3),
            "maxLength": st.integers(0, 3),
            "pattern": st.sampled_from(["^a", "b$", "[0-9]", "^[^ ]*$"]),
        },
    ),
)


def _composite(children: st.SearchStrategy) -> st.SearchStrategy:
    objects = st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["object", ["object", "null"]]),
            "properties": st.dictionaries(_names, children, max_size=2),
            "required": st.lists(_names, max_size=2, unique=True),
            "additionalProperties": children,
            "propertyNames": st.sampled_from([{"minLength": 1}, {"pattern": "^[ab]*$"}, {"type": "string"}]),
            "minProperties": st.integers(0, 2),
            "maxProperties": st.integers(0, 2),
        },
    )
    arrays = st.fixed_dictionaries(
        {},
        optional={
            "type": st.just("array"),
            "items": children,
            "minItems": st.integers(0, 2),
            "maxItems": st.integers(0, 2),
        },
    )
    references = st.just({"$ref": "#/$defs/tree"})
    return objects | arrays | references


_schemas = st.recursive(_leaf_schemas, _composite, max_leaves=6)
_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from([0.5, 2.0]) | _texts,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_names | st.just(""), children, max_size=3),
    max_leaves=8,
)
# A recursive definition the generated schemas may refer to: objects and lists of themselves.
_TREE = {
    "propertyNames": {"minLength": 1},
    "additionalProperties": {"$ref": "#/$defs/tree"},
    "items": {"$ref": "#/$defs/tree"},
}


@given(schema=_schemas.filter(lambda schema: isinstance(schema, dict)), value=_values)
@settings(max_examples=1500, deadline=None)
def test_the_compiled_check_agrees_with_jsonschema_on_any_schema_of_its_subset(schema: dict, value: Any) -> None:
    whole = {**schema, "$defs": {"tree": _TREE}}
    assert compile_check(whole)(value) == Draft202012Validator(whole).is_valid(value)

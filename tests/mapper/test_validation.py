import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from destinations.attentive import ATTENTIVE
from destinations.definition import ActionType
from mapper import validation
from mapper.validation import check_configuration, validate_body

CUSTOM_EVENT = ATTENTIVE.action("custom_event")
USER_ATTRIBUTES = ATTENTIVE.action("user_attributes")


@pytest.mark.parametrize("action", ATTENTIVE.actions, ids=lambda action: action.key)
def test_schema_is_a_valid_draft_2020_12_schema(action: ActionType) -> None:
    Draft202012Validator.check_schema(action.schema)
    assert action.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_configuration_requires_a_trigger() -> None:
    errors = check_configuration(CUSTOM_EVENT, "  ", {"event_name": "event"})
    assert [(e.field, e.code) for e in errors] == [("trigger", "missing_required")]


def test_configuration_requires_required_fields() -> None:
    errors = check_configuration(CUSTOM_EVENT, "type == 'track'", {"phone": "context.traits.phone"})
    assert [(e.field, e.code) for e in errors] == [("event_name", "missing_required")]


def test_configuration_rejects_a_mapping_that_is_not_text() -> None:
    errors = check_configuration(CUSTOM_EVENT, "type == 'track'", {"event_name": ["event"]})
    assert [(e.field, e.code) for e in errors] == [("event_name", "invalid_expression")]


def test_configuration_accepts_rows_of_declared_groups() -> None:
    mappings = {
        "event_name": "event",
        "properties.Order Id": "properties.order_id",
        "custom_identifiers.x": "userId",
    }
    assert check_configuration(CUSTOM_EVENT, "type == 'track'", mappings) == []


def test_configuration_rejects_rows_of_groups_the_action_does_not_have() -> None:
    errors = check_configuration(USER_ATTRIBUTES, "type == 'identify'", {"properties.x": "traits.x"})
    assert [(e.field, e.code) for e in errors] == [("properties.x", "unknown_field")]


def test_valid_body_has_no_errors() -> None:
    body = {"type": "Order Shipped", "user": {"email": "a@b.co"}}
    assert validate_body(CUSTOM_EVENT, body, {}) == []


def test_error_without_a_known_origin_still_names_the_location() -> None:
    errors = validate_body(
        CUSTOM_EVENT,
        {"type": "x", "user": {"email": "a@b.co"}, "occurredAt": "soon"},
        {},
    )
    assert [(e.field, e.code) for e in errors] == [("", "invalid_value")]
    assert "occurredAt" in errors[0].message


# The compiled validator and jsonschema must judge every body alike.
scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
keys = st.sampled_from(["a", "b{", "c|", "d\\", "", "x" * 201, 'q"'])
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=8,
)
users = st.fixed_dictionaries(
    {},
    optional={
        "phone": st.sampled_from(["+14155552671", "4155552671", ""]),
        "email": st.sampled_from(["a@b.co", "nope", 5]),
        "externalIdentifiers": st.dictionaries(
            st.sampled_from(["clientUserId", "customIdentifiers", "other"]),
            st.one_of(
                st.text(max_size=3),
                st.lists(st.dictionaries(st.sampled_from(["name", "value"]), st.text(max_size=2))),
            ),
        ),
    },
)
custom_event_bodies = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["Order Shipped", "Order, Shipped", "", 3]),
        "properties": values,
        "externalEventId": st.text(max_size=3),
        "occurredAt": st.sampled_from(["2026-11-27T09:30:00.000Z", "2026-11-27T09:30:00+01:00", "yesterday"]),
        "user": users,
        "extra": scalars,
    },
)
attribute_bodies = st.fixed_dictionaries(
    {},
    optional={
        "properties": st.dictionaries(keys, values, max_size=4),
        "user": users,
        "extra": scalars,
    },
)


def _agree(action: ActionType, body: Any) -> None:
    slow = Draft202012Validator(action.schema).is_valid(body)
    assert action.is_valid(body) == slow


@given(body=custom_event_bodies)
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_the_compiled_check_agrees_with_jsonschema_on_custom_events(
    body: dict[str, Any],
) -> None:
    _agree(CUSTOM_EVENT, body)


@given(body=attribute_bodies)
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_the_compiled_check_agrees_with_jsonschema_on_attributes(
    body: dict[str, Any],
) -> None:
    _agree(USER_ATTRIBUTES, body)


@given(body=custom_event_bodies | attribute_bodies, custom=st.booleans())
@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
def test_validate_body_reports_exactly_what_jsonschema_explains(body: dict[str, Any], custom: bool) -> None:
    # The shortcut for bodies that only miss something must never hide an error jsonschema finds.
    action = CUSTOM_EVENT if custom else USER_ATTRIBUTES
    assert validation.validate_body(action, body, {}) == validation.explain(action, body, {})


@pytest.mark.parametrize("action", [CUSTOM_EVENT, USER_ATTRIBUTES])
def test_the_schemas_have_no_branching_that_dropping_requirements_could_break(action: ActionType) -> None:
    text = json.dumps(action.schema)
    assert not any(keyword in text for keyword in ('"oneOf"', '"anyOf"', '"not"', '"if"'))

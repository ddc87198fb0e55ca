from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from destinations.definition import FieldError
from mapper.pipeline import ActionConfig, ActionResult, run_action

BASE = {
    "event_name": "event",
    "phone": "context.traits.phone",
    "email": "context.traits.email",
    "external_id": "userId",
    "properties": "properties",
    "occurred_at": "timestamp",
}


def custom_event(
    event: dict[str, Any],
    now: datetime,
    trigger: str = "type == 'track'",
    **mappings: str,
) -> ActionResult:
    merged = {key: value for key, value in {**BASE, **mappings}.items() if value is not None}
    return run_action(
        ActionConfig.of("attentive", "custom_event", trigger, merged, 11),
        event,
        now=now,
    )


def attributes(event: dict[str, Any], now: datetime, **mappings: str) -> ActionResult:
    merged = {"email": "traits.email", **mappings}
    return run_action(
        ActionConfig.of("attentive", "user_attributes", "type == 'identify'", merged, 12),
        event,
        now=now,
    )


def codes(result: ActionResult) -> set[tuple[str, str, str]]:
    return {(error.field, error.code, error.severity) for error in result.errors}


def test_comma_in_event_name_is_flagged_on_the_event_name(track_event, now) -> None:
    result = custom_event(track_event, now, event_name="'Order, Shipped'")
    assert codes(result) == {("event_name", "forbidden_character", "error")}
    assert not result.ok


def test_a_forbidden_character_message_names_the_one_found_not_the_whole_list(track_event, now) -> None:
    (error,) = custom_event(track_event, now, event_name="'Order (Shipped)'").errors
    assert "contains “(”" in error.message
    assert "|" not in error.message
    (error,) = custom_event(track_event, now, **{"properties.Order {Id}": "properties.order_id"}).errors
    assert "contains “{”" in error.message


def test_forbidden_character_in_a_property_row_names_the_row(track_event, now) -> None:
    result = custom_event(track_event, now, **{"properties.Order {Id}": "properties.order_id"})
    assert codes(result) == {("properties.Order {Id}", "forbidden_character", "error")}
    assert "Order {Id}" in result.errors[0].message


def test_forbidden_character_in_a_mapped_object_names_the_key(track_event, now) -> None:
    track_event["properties"]["bad|key"] = "x"
    result = custom_event(track_event, now)
    assert codes(result) == {("properties", "forbidden_character", "error")}
    assert "bad|key" in result.errors[0].message


def test_forbidden_character_in_a_nested_key_is_flagged(track_event, now) -> None:
    track_event["properties"]["shipment"] = {"carrier[0]": "UPS"}
    assert ("properties", "forbidden_character", "error") in codes(custom_event(track_event, now))


def test_invalid_phone_with_another_identifier_is_a_warning_and_not_sent(track_event, now) -> None:
    track_event["context"]["traits"]["phone"] = "12"
    result = custom_event(track_event, now)
    assert codes(result) == {("phone", "invalid_phone", "warning")}
    assert result.ok
    assert "phone" not in result.request.body["user"]


def test_invalid_phone_as_the_only_identifier_is_an_error(track_event, now) -> None:
    track_event["context"]["traits"]["phone"] = "12"
    result = custom_event(track_event, now, email=None, external_id=None)
    assert codes(result) == {("phone", "invalid_phone", "error")}
    assert not result.ok


def test_invalid_email_with_a_phone_is_a_warning(track_event, now) -> None:
    track_event["context"]["traits"]["email"] = "jane at example"
    result = custom_event(track_event, now, external_id=None)
    assert codes(result) == {("email", "invalid_email", "warning")}
    assert result.request.body["user"] == {"phone": "+14155552671"}


def test_missing_identifier_is_an_error(track_event, now) -> None:
    result = custom_event(track_event, now, phone=None, email=None, external_id=None)
    assert codes(result) == {("phone", "missing_identifier", "error")}
    assert not result.ok


def test_messages_never_quote_the_personal_values(track_event, now) -> None:
    track_event["context"]["traits"] = {
        "phone": "555-0199-77",
        "email": "secret.person@nowhere",
    }
    result = custom_event(track_event, now, external_id=None)
    text = " ".join(error.message for error in result.errors)
    assert "555" not in text
    assert "secret.person" not in text


def test_national_phone_is_read_with_the_destination_region(track_event, now) -> None:
    track_event["context"]["traits"]["phone"] = "020 7183 8750"
    config = ActionConfig.of("attentive", "custom_event", "type == 'track'", BASE, 1)
    result = run_action(config, track_event, region="GB", now=now)
    assert result.request.body["user"]["phone"] == "+442071838750"


def test_issue_example_phone_becomes_e164(track_event, now) -> None:
    track_event["context"]["traits"]["phone"] = "(555) 123-4567"
    assert custom_event(track_event, now).request.body["user"]["phone"] == "+15551234567"


def test_event_older_than_12_hours_is_a_warning_not_an_error(track_event, now) -> None:
    track_event["timestamp"] = "2026-11-26T09:00:00Z"
    result = custom_event(track_event, now)
    assert codes(result) == {("occurred_at", "stale_event", "warning")}
    assert result.ok
    assert "will not trigger journeys" in result.errors[0].message


def test_unreadable_timestamp_is_an_error(track_event, now) -> None:
    track_event["timestamp"] = "last tuesday"
    assert codes(custom_event(track_event, now)) == {("occurred_at", "invalid_timestamp", "error")}


def test_empty_and_null_values_are_dropped_before_validation(track_event, now) -> None:
    track_event["properties"] = {
        "order_id": "1",
        "note": "",
        "gift": None,
        "tags": [],
        "meta": {"a": None},
    }
    result = custom_event(track_event, now, **{"properties.Coupon": "properties.coupon"})
    assert result.ok
    assert result.request.body["properties"] == {"order_id": "1"}


def test_rows_are_merged_over_the_properties_object(track_event, now) -> None:
    result = custom_event(track_event, now, **{"properties.total": "'overridden'"})
    assert result.request.body["properties"]["total"] == "overridden"
    assert result.request.body["properties"]["order_id"] == "54321"


def test_properties_must_be_an_object(track_event, now) -> None:
    assert codes(custom_event(track_event, now, properties="event")) == {("properties", "not_object", "error")}


def test_missing_event_name_is_an_error(track_event, now) -> None:
    assert codes(custom_event(track_event, now, event_name="properties.nothing")) == {
        ("event_name", "missing_required", "error")
    }


def test_invalid_expression_is_flagged_on_its_field(track_event, now) -> None:
    result = custom_event(track_event, now, email="context.traits.")
    assert ("email", "invalid_expression", "error") in codes(result)
    assert not result.ok


def test_invalid_trigger_is_flagged_on_the_trigger(track_event, now) -> None:
    result = custom_event(track_event, now, trigger="type ==")
    assert codes(result) == {("trigger", "invalid_expression", "error")}
    assert not result.trigger_matched


def test_evaluation_error_is_flagged_on_its_field(track_event, now) -> None:
    result = custom_event(track_event, now, **{"properties.When": "to_iso8601(event)"})
    assert ("properties.When", "evaluation_error", "error") in codes(result)


def test_unknown_field_key_is_flagged(track_event, now) -> None:
    assert ("colour", "unknown_field", "error") in codes(custom_event(track_event, now, colour="event"))


def test_unmatched_trigger_builds_nothing_for_the_executor(track_event, now) -> None:
    result = custom_event(track_event, now, trigger="event == 'Other'")
    assert not result.trigger_matched
    assert result.request is None
    assert not result.ok


def test_preview_builds_the_request_even_when_the_trigger_does_not_match(track_event, now) -> None:
    config = ActionConfig.of("attentive", "custom_event", "event == 'Other'", BASE, 1)
    result = run_action(config, track_event, now=now, evaluate_unmatched=True)
    assert not result.trigger_matched
    assert result.request.body["type"] == "Order Shipped"
    assert result.fields["event_name"] == "Order Shipped"


def test_external_event_id_is_stable_per_event_and_action(track_event, now) -> None:
    first = custom_event(track_event, now).request.body["externalEventId"]
    again = custom_event(dict(track_event), now).request.body["externalEventId"]
    other_action = run_action(
        ActionConfig.of("attentive", "custom_event", "type == 'track'", BASE, 99),
        track_event,
        now=now,
    )
    assert first == again
    assert other_action.request.body["externalEventId"] != first


def test_external_event_id_is_derived_even_without_message_id(track_event, now) -> None:
    del track_event["messageId"]
    first = custom_event(track_event, now).request.body["externalEventId"]
    assert first == custom_event(track_event, now).request.body["externalEventId"]


def test_mapped_external_event_id_wins(track_event, now) -> None:
    assert custom_event(track_event, now, external_event_id="messageId").request.body["externalEventId"] == "msg-0001"


def test_custom_identifiers_are_sent_as_name_value_pairs(track_event, now) -> None:
    result = custom_event(track_event, now, **{"custom_identifiers.loyaltyId": "`1122334455`"})
    assert result.request.body["user"]["externalIdentifiers"]["customIdentifiers"] == [
        {"name": "loyaltyId", "value": "1122334455"}
    ]


def test_attribute_with_a_list_value_is_not_scalar(identify_event, now) -> None:
    identify_event["traits"]["tags"] = ["a", "b"]
    result = attributes(identify_event, now, **{"attributes.Tags": "traits.tags"})
    assert codes(result) == {("attributes.Tags", "not_scalar", "error")}


def test_attribute_object_with_a_nested_value_is_not_scalar(identify_event, now) -> None:
    identify_event["traits"]["address"] = {"city": "Oakland"}
    result = attributes(identify_event, now, attributes="traits")
    assert codes(result) == {("attributes", "not_scalar", "error")}
    assert "address" in result.errors[0].message


def test_more_than_100_attributes_is_an_error(identify_event, now) -> None:
    identify_event["traits"] = {f"a{index}": index for index in range(101)} | {"email": "a@b.co"}
    assert ("attributes", "too_many_attributes", "error") in codes(attributes(identify_event, now, attributes="traits"))


def test_attribute_name_longer_than_200_characters_is_an_error(identify_event, now) -> None:
    name = "n" * 201
    result = attributes(identify_event, now, **{f"attributes.{name}": "traits.firstName"})
    assert codes(result) == {(f"attributes.{name}", "name_too_long", "error")}


def test_attributes_need_at_least_one_value(identify_event, now) -> None:
    result = attributes(identify_event, now, **{"attributes.Tier": "traits.tier"})
    assert codes(result) == {("attributes", "missing_required", "error")}


def test_field_error_serialises_with_its_four_members() -> None:
    assert FieldError("phone", "invalid_phone", "m", "warning").as_dict() == {
        "field": "phone",
        "code": "invalid_phone",
        "message": "m",
        "severity": "warning",
    }


@pytest.mark.parametrize("event", [None, [], "text", 5])
def test_non_object_events_do_not_crash(event: Any, now) -> None:
    result = run_action(
        ActionConfig.of("attentive", "custom_event", "type == 'track'", BASE, 1),
        event,
        now=now,
    )
    assert not result.trigger_matched


def test_a_fallback_chain_of_emails_sends_the_first_valid_one_not_the_first_non_empty(track_event, now) -> None:
    # `a || b` takes the first non-empty value: an invalid context email hid a valid one in properties.
    track_event["context"]["traits"]["email"] = "not-an-email"
    track_event["properties"]["email"] = "jane@example.com"
    result = custom_event(track_event, now, email="context.traits.email || properties.email")
    assert result.request.body["user"]["email"] == "jane@example.com"
    assert not [error for error in result.errors if error.field == "email"]


def test_a_fallback_chain_of_phones_skips_one_that_is_not_a_phone(track_event, now) -> None:
    track_event["context"]["traits"]["phone"] = "call me"
    track_event["properties"]["mobile"] = "(415) 555-2671"
    result = custom_event(track_event, now, phone="context.traits.phone || properties.mobile")
    assert result.request.body["user"]["phone"] == "+14155552671"


def test_when_no_candidate_is_valid_the_identifier_is_reported(track_event, now) -> None:
    track_event["context"]["traits"]["email"] = "nope"
    track_event["properties"]["email"] = "still nope"
    result = custom_event(track_event, now, email="context.traits.email || properties.email")
    assert ("email", "invalid_email", "warning") in codes(result)


@given(st.text(min_size=1, max_size=40), st.text(max_size=10), st.text(max_size=10))
def test_the_derived_event_id_is_exactly_uuid5(message_id: str, action_id: str, source: str) -> None:
    import uuid

    from mapper.pipeline import EXTERNAL_EVENT_ID_NAMESPACE, _derived_event_id

    config = ActionConfig("attentive", "custom_event", "type == 'track'", (), action_id)
    prefix = f"{action_id or 'unsaved'}:{source}:" if source else f"{action_id or 'unsaved'}:"
    expected = str(uuid.uuid5(EXTERNAL_EVENT_ID_NAMESPACE, prefix + message_id))
    assert _derived_event_id(config, {"messageId": message_id}, source) == expected


@given(st.dictionaries(st.sampled_from(["phone", "email", "external_id"]), st.text(max_size=5)), st.text(max_size=5))
def test_configs_that_are_equal_hash_alike_and_others_tell_apart(mappings: dict[str, str], action_id: str) -> None:
    # compile_action's cache relies on the hash a config works out once, when it is made.
    config = ActionConfig.of("attentive", "custom_event", "`true`", mappings, action_id)
    same = ActionConfig.of("attentive", "custom_event", "`true`", dict(mappings), action_id)
    other = ActionConfig.of("attentive", "custom_event", "`true`", {**mappings, "email": "x.y"}, action_id + "!")
    assert config == same
    assert hash(config) == hash(same)
    assert config != other


def test_an_event_given_as_another_mapping_has_the_same_derived_id_and_name(track_event) -> None:
    from types import MappingProxyType

    from mapper.pipeline import _derived_event_id, _event_name

    config = ActionConfig.of("attentive", "custom_event", "`true`", BASE, 11)
    proxy = MappingProxyType(track_event)
    assert _derived_event_id(config, proxy, "src") == _derived_event_id(config, track_event, "src")
    assert _event_name(proxy) == _event_name(track_event) == track_event["event"]


def test_the_outcome_says_what_the_executor_would_do(track_event, now) -> None:
    def outcome(**mappings: str) -> tuple[str, str]:
        result = run_action(
            ActionConfig.of("attentive", "custom_event", "@", {**BASE, **mappings}), track_event, now=now
        )
        return result.outcome.kind, result.outcome.reason

    assert outcome() == ("queued", "")
    assert outcome(phone="", email="", external_id="")[0] == "skipped"
    kind, reason = outcome(event_name="'Order, Shipped'")
    assert kind == "invalid"
    assert reason.startswith("Not sent, Attentive would refuse it. “event_name”:")
    unmatched = run_action(ActionConfig.of("attentive", "custom_event", "`false`", BASE), track_event, now=now)
    assert unmatched.outcome.kind == "unmatched"


def _with_consent(event: dict[str, Any], now: datetime, requirement: Any, **options: Any) -> ActionResult:
    from mapper.consent import Requirement

    config = ActionConfig.of("attentive", "custom_event", "type == 'track'", BASE, 11, Requirement(*requirement))
    return run_action(config, event, now=now, **options)


def test_route_step_skips_an_event_without_the_required_consent_with_a_readable_reason(track_event, now) -> None:
    result = _with_consent(track_event, now, ("Marketing",))
    assert result.outcome.kind == "skipped"
    assert result.outcome.reason == "Skipped: no consent for Marketing: the event carries no consent information."
    assert not result.ok
    # The executor builds nothing it will not send: no request is kept with the skipped delivery.
    assert result.request is None


def test_route_step_sends_an_event_that_grants_the_required_consent(track_event, now) -> None:
    track_event["context"]["consent"] = {"categoryPreferences": {"marketing": True}}
    result = _with_consent(track_event, now, ("Marketing",))
    assert result.ok
    assert result.outcome.kind == "queued"


def test_route_step_skips_a_denied_category_even_when_only_a_no_stops_it(track_event, now) -> None:
    track_event["context"]["consentManagement"] = {"allowedConsentIds": [], "deniedConsentIds": ["Marketing"]}
    result = _with_consent(track_event, now, ("Marketing", "send"))
    assert result.outcome.reason == "Skipped: no consent for Marketing: the page says the person did not agree to it."


def test_route_step_sends_without_consent_information_when_only_a_no_stops_it(track_event, now) -> None:
    assert _with_consent(track_event, now, ("Marketing", "send")).ok


def test_route_step_judges_consent_only_once_the_trigger_matches(track_event, now) -> None:
    track_event["type"] = "identify"
    result = _with_consent(track_event, now, ("Marketing",))
    assert result.outcome.kind == "unmatched"
    assert result.errors == []


def test_preview_mode_builds_the_request_and_still_says_the_consent_skip(track_event, now) -> None:
    result = _with_consent(track_event, now, ("Marketing",), evaluate_unmatched=True)
    assert result.request is not None
    assert result.outcome.reason.startswith("Skipped: no consent for Marketing")
    assert ("consent_category", "no_consent_for_category", "warning") in codes(result)


def _texts_reachable_from(root: object) -> list[str]:
    """Every text reachable from `root` through containers, instances and closures (not through
    modules, classes or a function's globals: those are the program's, not the object's)."""
    import gc
    import types

    seen: set[int] = set()
    texts: list[str] = []
    stack = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, types.ModuleType | type):
            continue
        seen.add(id(item))
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, types.FunctionType):
            stack.extend([item.__closure__ or (), item.__defaults__ or (), item.__code__.co_consts])
        else:
            stack.extend(gc.get_referents(item))
    return texts


def test_the_action_a_config_keeps_compiled_holds_no_value_of_the_events_it_ran_on(track_event, now) -> None:
    from tests.events import BENCH_MAPPINGS, BENCH_TRIGGER

    config = ActionConfig.of("attentive", "custom_event", BENCH_TRIGGER, BENCH_MAPPINGS, 1)
    track_event["context"]["traits"] = {"phone": "+1 415 555 0987", "email": "kept.nowhere@example.com"}
    track_event["properties"]["carrier"] = "Carrier Kept Nowhere"
    assert run_action(config, track_event, now=now).ok
    assert config.compiled is not None
    texts = _texts_reachable_from(config.compiled)
    assert "type" in texts  # the walk reaches the action's own texts
    assert not [text for text in texts if "0987" in text or "Kept" in text or "kept" in text]


def test_a_result_the_route_step_makes_has_every_field_of_an_action_result_set(track_event, now) -> None:
    # The route step fills an ActionResult's slots itself (without its __init__): a field added to
    # ActionResult and not set there would be missing from every result it sends.
    from dataclasses import fields

    result = custom_event(track_event, now, phone="context.traits.phone || properties.mobile")
    assert result.ok
    assert all(hasattr(result, field.name) for field in fields(ActionResult))

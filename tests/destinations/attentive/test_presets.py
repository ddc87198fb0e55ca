"""Every preset and every default mapping, run through the real pipeline over its example event."""

from datetime import datetime
from typing import Any

import pytest

from destinations.attentive import ATTENTIVE
from destinations.definition import ActionType, Preset
from mapper.pipeline import ActionConfig, run_action
from tests.fake_attentive import body_problem

PRESETS = [(action, preset) for action in ATTENTIVE.actions for preset in action.presets]


def _run(
    action: ActionType,
    trigger: str,
    mappings: dict[str, str],
    event: dict[str, Any],
    now: datetime,
):
    return run_action(ActionConfig.of("attentive", action.key, trigger, mappings, 1), event, now=now)


@pytest.mark.parametrize(("action", "preset"), PRESETS, ids=[preset.key for _, preset in PRESETS])
def test_preset_gives_a_valid_request_for_its_example_event(action: ActionType, preset: Preset, now: datetime) -> None:
    result = _run(action, preset.trigger, dict(preset.mappings), dict(preset.example_event), now)
    assert result.trigger_matched
    assert result.errors == []
    assert result.ok
    body = result.request.body
    assert body.get("user", body)["phone"] == "+14155552671"  # identify sends the identifiers flat
    assert body_problem(action.path, body) is None  # the strict fake takes it


def test_every_seed_use_case_has_a_preset() -> None:
    names = {preset.name for _, preset in PRESETS}
    assert names == {
        "Order Shipped",
        "Order Delivered",
        "Account Created",
        "Appointment Booked",
        "Appointment Cancelled",
        "Subscription Cancelled",
        "Profile Enrichment",
        "Product Viewed",
        "Product Added",
        "Order Completed",
        "Link Identities",
        "Subscribed",
        "Unsubscribed",
    }


@pytest.mark.parametrize(("action", "preset"), PRESETS, ids=[preset.key for _, preset in PRESETS])
def test_preset_trigger_ignores_other_events(action: ActionType, preset: Preset, now: datetime) -> None:
    other = {**preset.example_event, "event": "Something Else", "type": "page"}
    assert not _run(action, preset.trigger, dict(preset.mappings), other, now).trigger_matched


def test_order_shipped_over_a_typical_track_event(track_event: dict[str, Any], now: datetime) -> None:
    action = ATTENTIVE.action("custom_event")
    preset = action.preset("order_shipped")
    result = _run(action, preset.trigger, dict(preset.mappings), track_event, now)
    body = result.request.body
    assert result.ok
    assert (result.request.method, result.request.path) == ("POST", "/v1/events/custom")
    assert body["type"] == "Order Shipped"
    assert body["properties"] == {"Order Id": "54321", "Carrier": "UPS"}
    assert body["occurredAt"] == "2026-11-27T09:30:00.000Z"
    assert len(body["externalEventId"]) == 36
    assert body["user"] == {
        "phone": "+14155552671",
        "email": "jane.doe@example.com",
        "externalIdentifiers": {"clientUserId": "user-1042"},
    }


def test_custom_event_default_mappings_over_a_track_event(track_event: dict[str, Any], now: datetime) -> None:
    action = ATTENTIVE.action("custom_event")
    result = _run(action, action.default_trigger, action.default_mappings(), track_event, now)
    assert result.ok, result.errors
    assert result.request.body["type"] == "Order Shipped"
    assert result.request.body["properties"] == track_event["properties"]


def test_user_attributes_default_mappings_over_an_identify_event(identify_event: dict[str, Any], now: datetime) -> None:
    action = ATTENTIVE.action("user_attributes")
    result = _run(action, action.default_trigger, action.default_mappings(), identify_event, now)
    assert result.ok, result.errors
    assert result.request.path == "/v1/attributes/custom"
    assert result.request.body == {
        "properties": {"First Name": "Jane", "Last Name": "Doe"},
        "user": {
            "email": "jane.doe@example.com",
            "externalIdentifiers": {"clientUserId": "user-1042"},
        },
    }

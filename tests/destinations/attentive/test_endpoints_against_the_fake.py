"""Every endpoint Relay sends to, against the strict local fake: each preset's body is accepted, and a
body Attentive would refuse comes back as a 400 that Relay treats as final (no retry)."""

import pytest

from destinations.attentive import ATTENTIVE
from destinations.attentive.client import AttentiveClient
from destinations.errors import PermanentError
from mapper.pipeline import ActionConfig, run_action
from tests.fake_attentive import GOOD_KEY

# A body of the right endpoint with one thing Attentive refuses, per attentive-api.md.
BAD_BODIES = {
    "product_view": {"items": [{"productId": "p", "productVariantId": "v", "price": 5}], "user": {"email": "a@b.co"}},
    "add_to_cart": {"items": [], "user": {"email": "a@b.co"}},
    "purchase": {
        "items": [{"productId": "p", "productVariantId": "v", "price": [{"value": 1}]}],
        "user": {"email": "a@b.co"},
        "salesChannel": {"channelType": "KIOSK"},
    },
    "identify": {"clientUserId": "u-1"},
    "subscribe": {"user": {"phone": "+14155552671"}, "signUpSourceId": "1", "subscriptionType": "MARKETING"},
    "unsubscribe": {"user": {"clientUserId": "u-1"}},
}
CHECKED = [action for action in ATTENTIVE.actions if action.key in BAD_BODIES]


@pytest.fixture
def client(fake) -> AttentiveClient:
    with AttentiveClient(GOOD_KEY, base_url=fake.url) as attentive:
        yield attentive


@pytest.mark.parametrize("action", CHECKED, ids=lambda action: action.key)
def test_each_presets_body_is_accepted(client: AttentiveClient, fake, action) -> None:
    preset = action.presets[0]
    result = run_action(
        ActionConfig.of("attentive", action.key, preset.trigger, dict(preset.mappings)), dict(preset.example_event)
    )
    answer = client.send(action.method, action.path, result.request.body)
    assert answer.status in (200, 202)
    assert fake.paths[-1] == action.path


@pytest.mark.parametrize("action", CHECKED, ids=lambda action: action.key)
def test_a_body_attentive_would_refuse_is_a_final_400(client: AttentiveClient, fake, action) -> None:
    with pytest.raises(PermanentError) as refused:
        client.send(action.method, action.path, BAD_BODIES[action.key])
    assert refused.value.status == 400
    assert fake.received == []


# README, Actions: a blank custom event action sends every track event under its own name.
EVERY_TRACK_EVENT = {
    "event_name": "event",
    "phone": "context.traits.phone",
    "email": "context.traits.email",
    "external_id": "userId",
    "properties": "properties",
    "occurred_at": "timestamp",
}


@pytest.mark.parametrize("event_name", ["Order Shipped", "Trial Started", "refund_issued"])
def test_one_action_sends_every_track_event_under_its_own_name_with_its_properties(
    client: AttentiveClient, fake, event_name: str
) -> None:
    action = ATTENTIVE.action("custom_event")
    event = {
        "type": "track",
        "event": event_name,
        "userId": "user-7",
        "timestamp": "2026-12-07T08:00:00Z",
        "context": {"traits": {"phone": "(415) 555-2671", "email": "jo@example.com"}},
        "properties": {"plan": "Monthly Box", "seats": 3},
    }
    result = run_action(ActionConfig.of("attentive", "custom_event", "type == 'track'", EVERY_TRACK_EVENT), event)
    assert result.trigger_matched
    assert not result.errors
    client.send(action.method, action.path, result.request.body)
    assert fake.received[-1]["type"] == event_name
    assert fake.received[-1]["properties"] == {"plan": "Monthly Box", "seats": 3}
    assert fake.received[-1]["user"] == {
        "phone": "+14155552671",
        "email": "jo@example.com",
        "externalIdentifiers": {"clientUserId": "user-7"},
    }
    assert not run_action(
        ActionConfig.of("attentive", "custom_event", "type == 'track'", EVERY_TRACK_EVENT),
        {**event, "type": "identify"},
    ).trigger_matched

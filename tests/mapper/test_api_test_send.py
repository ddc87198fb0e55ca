"""POST /api/v1/actions/{id}/test-send: the editor's *Send test event* for a saved action, through the same
command (mapper.commands.send_test_event): recorded in test mode, asked before a live send, refused when
nothing could be sent, and audited alike from the page and the API."""

import json
from typing import Any

import pytest

from accounts.models import AuditEntry
from destinations.attentive import ATTENTIVE
from destinations.models import Destination
from mapper.models import Action
from tests.commands import api_client, entries, last_entry_id, page_client
from tests.fake_attentive import GOOD_KEY

pytestmark = pytest.mark.django_db

SUBSCRIBED = ATTENTIVE.action("subscribe").preset("subscribed")
SHIPPED = ATTENTIVE.action("custom_event").preset("order_shipped")
NOT_MATCHING = {"type": "track", "event": "Something Else", "userId": "u1"}


def _destination(*, test_mode: bool) -> Destination:
    destination = Destination(name="Acme", subscription_disclosure="I agree.", test_mode=test_mode)
    destination.set_api_key(GOOD_KEY)
    destination.company_name = "Acme Health Inc."
    destination.save()
    return destination


def _action(destination: Destination, action_type: str, preset: Any) -> Action:
    return Action.objects.create(
        destination=destination,
        action_type=action_type,
        name=preset.name,
        trigger=preset.trigger,
        mappings=dict(preset.mappings),
    )


@pytest.fixture
def subscribe(fake) -> Action:
    return _action(_destination(test_mode=False), "subscribe", SUBSCRIBED)


@pytest.fixture
def shipped_in_test_mode(db) -> Action:
    return _action(_destination(test_mode=True), "custom_event", SHIPPED)


def _page_form(action: Action, event: Any, button: str) -> dict[str, str]:
    form = {"name": action.name, "trigger": action.trigger, "enabled": "on", "sample_event": json.dumps(event)}
    form.update({f"map__{key}": expression for key, expression in action.mappings.items()})
    return {**form, button: "1"}


def _test_send(path: str, action: Action, event: Any, *, confirm: bool) -> Any:
    """Send from the editor (the page) or the API; the page's answer, or the API's JSON."""
    if path == "page":
        button = "_confirm_live" if confirm else "_send_test"
        response = page_client("marketer").post(f"/actions/{action.pk}/", _page_form(action, event, button))
        assert response.status_code == 200
        return response.context["test_result"]
    response = api_client("marketer").post(
        f"/api/v1/actions/{action.pk}/test-send", {"event": event, "confirm": confirm}, format="json"
    )
    return response


def _audited(action: Action, outcome: str, **more: Any) -> list[tuple[str, str, str, dict[str, Any]]]:
    details = {"outcome": outcome, "action_type": action.action_type, "destination": "Acme", **more}
    return [("test_event_sent", "action", action.name, details)]


@pytest.mark.parametrize("path", ["page", "api"])
def test_in_test_mode_the_page_and_the_api_record_without_sending_and_leave_the_same_entry(
    path: str, shipped_in_test_mode: Action
) -> None:
    since = last_entry_id()
    answer = _test_send(path, shipped_in_test_mode, dict(SHIPPED.example_event), confirm=False)
    if path == "api":
        assert answer.status_code == 200
        assert answer.json()["sent"] is False
        assert answer.json()["message"].startswith("Test mode: the request was recorded here")
    assert [e for e in entries(since=since) if e[0] != "login"] == _audited(shipped_in_test_mode, "recorded")


@pytest.mark.parametrize("path", ["page", "api"])
def test_a_live_send_is_asked_first_by_the_page_and_the_api_and_nothing_is_sent_or_recorded(
    path: str, subscribe: Action, fake
) -> None:
    since = last_entry_id()
    answer = _test_send(path, subscribe, dict(SUBSCRIBED.example_event), confirm=False)
    asked = answer.confirm if path == "page" else answer.json()["confirm"]
    assert "subscribes +1 415… to marketing text messages" in asked
    assert "Acme Health Inc." in asked
    if path == "api":
        assert answer.json()["sent"] is False
    assert fake.received == []
    assert [e for e in entries(since=since) if e[0] != "login"] == []


@pytest.mark.parametrize("path", ["page", "api"])
def test_a_confirmed_live_send_is_sent_by_the_page_and_the_api_and_leaves_the_same_entry(
    path: str, subscribe: Action, fake
) -> None:
    since = last_entry_id()
    answer = _test_send(path, subscribe, dict(SUBSCRIBED.example_event), confirm=True)
    if path == "api":
        assert answer.status_code == 200
        assert (answer.json()["sent"], answer.json()["message"]) == (True, "Sent to Attentive.")
    assert fake.received[0]["user"]["phone"] == "+14155552671"
    [(verb, target_type, name, details)] = [e for e in entries(since=since) if e[0] != "login"]
    status = details.pop("status")
    assert [(verb, target_type, name, details)] == _audited(subscribe, "sent")
    assert 200 <= status < 300


@pytest.mark.parametrize("path", ["page", "api"])
def test_what_could_not_be_sent_is_refused_alike_and_audited_as_refused(path: str, subscribe: Action, fake) -> None:
    since = last_entry_id()
    answer = _test_send(path, subscribe, NOT_MATCHING, confirm=True)
    if path == "page":
        assert answer.message.startswith("Nothing was sent")
    else:
        assert answer.status_code == 422
        assert answer["Content-Type"] == "application/problem+json"
        assert answer.json()["errors"][0]["field"] == "event"
        assert answer.json()["errors"][0]["message"].startswith("Nothing was sent")
    assert fake.received == []
    assert [e for e in entries(since=since) if e[0] != "login"] == _audited(subscribe, "refused")


def test_an_event_holding_masked_values_is_never_sent(subscribe: Action, fake) -> None:
    event = {**SUBSCRIBED.example_event, "userId": "•••"}  # as a non-admin is shown a stored event's
    response = api_client("marketer").post(
        f"/api/v1/actions/{subscribe.pk}/test-send", {"event": event, "confirm": True}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "event"
    assert "masked values" in response.json()["errors"][0]["message"]
    assert fake.received == []
    assert AuditEntry.objects.get(verb="test_event_sent").details["outcome"] == "refused"


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "event"), ({"event": ["not", "an", "event"]}, "event"), ({"event": {}, "confirm": "perhaps"}, "confirm")],
)
def test_bad_input_is_a_400_naming_the_field_and_sends_nothing(subscribe: Action, fake, body: dict, field: str) -> None:
    response = api_client("marketer").post(f"/api/v1/actions/{subscribe.pk}/test-send", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field
    assert fake.received == []
    assert not AuditEntry.objects.filter(verb="test_event_sent").exists()


def test_engineers_may_not_send_a_test_event(subscribe: Action, fake) -> None:
    body = {"event": dict(SUBSCRIBED.example_event), "confirm": True}
    response = api_client("engineer").post(f"/api/v1/actions/{subscribe.pk}/test-send", body, format="json")
    assert response.status_code == 403
    assert fake.received == []

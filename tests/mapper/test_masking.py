"""Who sees which values of events and payloads: admins all of them, everyone else none."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.roles import set_role
from executor.models import Delivery, InboundEvent
from mapper import masking
from mapper.models import Action

# What the first release showed engineers and marketers in clear.
HEALTH_EVENT = {
    "type": "track",
    "event": "Diagnosis Recorded",
    "messageId": "ada.q@clinic.test",
    "timestamp": "2026-11-27T09:30:00.000Z",
    "properties": {
        "diagnosis": "Type 2 diabetes",
        "medication": "Metformin",
        "surname": "Quigleyson",
        "full_name": "Ada Quigleyson",
        "zip": "99501",
        # Not 12.5: the editor's sample events carry the time they were made, and "…:12.5…Z" held it.
        "items": [{"sku": "A1", "price": 612.5, "refill": True}],
    },
    "context": {"traits": {"email": "ada.q@clinic.test", "phone": "+14155550199"}},
}
SECRETS = ["diabetes", "Metformin", "Quigleyson", "99501", "ada.q", "4155550199", "Diagnosis Recorded", "612.5"]


def test_masking_keeps_structure_and_types_but_no_value() -> None:
    masked = masking.mask(HEALTH_EVENT)
    assert masked["properties"]["items"] == [{"sku": "•••", "price": 0, "refill": False}]
    assert masked["properties"]["zip"] == "•••"
    assert masked["timestamp"] == HEALTH_EVENT["timestamp"]
    assert masked["type"] == "track"
    assert not any(secret in json.dumps(masked) for secret in SECRETS)


@pytest.mark.parametrize(("name", "shown"), [("Order Shipped", "Order Shipped"), ("HIV Test Booked", "•••")])
def test_event_names_are_shown_unless_they_look_like_health_information(name: str, shown: str) -> None:
    assert masking.mask({"event": name})["event"] == shown


@pytest.mark.parametrize(("message_id", "shown"), [("msg-0001", "msg-0001"), ("jane@example.com", "•••")])
def test_message_ids_are_shown_unless_they_could_be_personal(message_id: str, shown: str) -> None:
    assert masking.message_id(message_id) == shown


@pytest.fixture
def stored(db) -> dict:
    from destinations.models import Destination

    destination = Destination.objects.create(name="Clinic", test_mode=True)
    action = Action.objects.create(
        destination=destination, action_type="custom_event", name="All", trigger="@", mappings={"event_name": "event"}
    )
    event = InboundEvent.objects.create(
        source="api",
        event_type="track",
        event_name=HEALTH_EVENT["event"],
        message_id=HEALTH_EVENT["messageId"],
        body=HEALTH_EVENT,
    )
    delivery = Delivery.objects.create(
        event=event,
        action=action,
        destination=destination,
        action_snapshot={},
        sender_key="k",
        status="failed",
        payload={"type": HEALTH_EVENT["event"], "properties": HEALTH_EVENT["properties"]},
    )
    return {"event": event, "delivery": delivery, "action": action}


def signed_in(role: str) -> Client:
    user, _ = get_user_model().objects.get_or_create(username=f"u-{role}")
    set_role(user, role)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ["engineer", "marketer"])
def test_non_admins_see_no_value_on_the_event_page(stored, role: str) -> None:
    html = signed_in(role).get(f"/events/{stored['event'].pk}/").content.decode()
    assert [secret for secret in SECRETS if secret in html] == []


@pytest.mark.parametrize("role", ["engineer", "marketer"])
def test_non_admins_see_no_value_in_the_delivery_log(stored, role: str) -> None:
    html = signed_in(role).get("/deliveries/").content.decode()
    assert [secret for secret in SECRETS if secret in html] == []


@pytest.mark.parametrize("role", ["engineer", "marketer"])
def test_non_admins_see_no_value_in_the_deliveries_api(stored, role: str, api_as) -> None:
    client = api_as(role)
    listed = client.get("/api/v1/deliveries").content.decode()
    detail = client.get(f"/api/v1/deliveries/{stored['delivery'].pk}").content.decode()
    assert [secret for secret in SECRETS if secret in listed + detail] == []


@pytest.mark.parametrize("role", ["engineer", "marketer"])
def test_non_admins_get_masked_samples_of_real_events_in_the_editor(stored, role: str) -> None:
    html = signed_in(role).get(f"/actions/{stored['action'].pk}/").content.decode()
    assert "Received " in html  # the real event is offered as a sample
    assert [secret for secret in SECRETS if secret in html] == []


def test_admins_see_the_values(stored, api_as) -> None:
    client = signed_in("admin")
    html = client.get(f"/events/{stored['event'].pk}/").content.decode()
    assert "Metformin" in html
    assert "ada.q@clinic.test" in html
    api = api_as("admin").get(f"/api/v1/deliveries/{stored['delivery'].pk}").json()
    assert api["payload"]["properties"]["medication"] == "Metformin"


def test_a_sample_an_admin_saved_with_an_action_is_masked_for_others(stored) -> None:
    action = stored["action"]
    action.sample_event, action.sample_private = HEALTH_EVENT, True
    action.save()
    marketer_html = signed_in("marketer").get(f"/actions/{action.pk}/").content.decode()
    assert [secret for secret in SECRETS if secret in marketer_html] == []
    assert "Quigleyson" in signed_in("admin").get(f"/actions/{action.pk}/").content.decode()


def test_the_log_opens_the_editor_on_the_event_masked_for_non_admins(stored) -> None:
    url = f"/actions/{stored['action'].pk}/?event={stored['event'].pk}"
    assert [secret for secret in SECRETS if secret in signed_in("engineer").get(url).content.decode()] == []
    assert "Metformin" in signed_in("admin").get(url).content.decode()


def test_a_marketer_sees_the_event_name_of_an_attentive_payload_where_attentive_holds_it(stored, api_as) -> None:
    Delivery.objects.filter(pk=stored["delivery"].pk).update(
        payload={"type": "Order Shipped", "event": "a property named event", "properties": {"sku": "A-1"}}
    )
    shown = api_as("marketer").get(f"/api/v1/deliveries/{stored['delivery'].pk}").json()["payload"]
    assert shown == {"type": "Order Shipped", "event": "•••", "properties": {"sku": "•••"}}


def test_a_page_shows_a_masked_true_false_and_number_as_markers_not_as_values() -> None:
    # Outside test: a delivered subscription's "consent": true read "consent": false to a marketer.
    text = masking.shown_json(masking.mask({"properties": {"consent": True, "total": 12.5, "ok": None}}), masked=True)
    assert '"consent": <true/false>' in text
    assert '"total": <number>' in text
    assert '"ok": null' in text
    assert ": false" not in text
    assert ": 0" not in text


def test_an_admins_page_shows_the_values_as_json() -> None:
    assert json.loads(masking.shown_json({"consent": True, "total": 12.5}, masked=False)) == {
        "consent": True,
        "total": 12.5,
    }


@pytest.mark.parametrize("role", ["engineer", "marketer"])
def test_the_event_page_shows_a_masked_consent_as_a_marker(stored, role: str) -> None:
    html = signed_in(role).get(f"/events/{stored['event'].pk}/").content.decode()
    assert "&quot;refill&quot;: &lt;true/false&gt;" in html
    assert "&quot;refill&quot;: false" not in html


def test_a_message_id_in_a_masked_body_is_shown_as_the_page_header_shows_it() -> None:
    # The header showed a plain message id while the body masked it: one rule for both.
    assert masking.mask({"messageId": "msg-0001"})["messageId"] == "msg-0001"
    assert masking.mask({"messageId": "jane@example.com"})["messageId"] == "•••"

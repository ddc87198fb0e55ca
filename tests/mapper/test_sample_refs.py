"""The editor opened from the log: judged on the real event, shown masked, never saved masked."""

import json

import pytest

from accounts.models import AuditEntry
from executor.models import InboundEvent
from mapper import masking
from mapper.models import Action
from tests.mapper.test_trial_send import editor_form_as_opened, signed_in

pytestmark = pytest.mark.django_db

REAL = {
    "type": "track",
    "userId": "u-5",
    "event": "Order Shipped",
    "messageId": "m-5",
    "properties": {"total": 42.5, "gift": True, "note": "for Ada"},
    "context": {"traits": {"email": "ada.real@example.com"}},
}


def test_unmask_brings_back_each_value_the_mask_left_and_keeps_every_edit() -> None:
    edited = masking.mask(REAL)
    edited["properties"]["note"] = "typed by me"
    edited["properties"]["extra"] = "new"
    restored = masking.unmask(edited, REAL)
    assert restored["context"]["traits"]["email"] == "ada.real@example.com"
    assert restored["properties"] == {"total": 42.5, "gift": True, "note": "typed by me", "extra": "new"}


def test_holds_mask_finds_a_masked_text_anywhere() -> None:
    assert masking.holds_mask({"a": [{"b": "x •••"}]})
    assert not masking.holds_mask(REAL)


@pytest.fixture
def opened(destination_for_log):
    action, event = destination_for_log
    client = signed_in("marketer")
    return client, action, editor_form_as_opened(client, f"/actions/{action.pk}/?event={event.pk}")


@pytest.fixture
def destination_for_log():
    from destinations.models import Destination

    destination = Destination.objects.create(name="D", test_mode=True)
    action = Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name="Shipped",
        trigger="event == 'Order Shipped'",
        mappings={"event_name": "event", "email": "context.traits.email"},
    )
    event = InboundEvent.objects.create(
        source="api", event_type="track", event_name="Order Shipped", message_id="m-5", body=REAL
    )
    return action, event


def test_a_marketer_sees_no_false_warning_on_masked_values_and_no_real_value(opened) -> None:
    client, action, form = opened
    html = client.post(f"/actions/{action.pk}/", {**form, "_preview": "1"}).content.decode()
    assert "not a valid email" not in html
    assert "<strong>Error</strong>" not in html
    assert "ada.real" not in html


def test_without_the_reference_the_masked_email_is_judged_as_typed(opened) -> None:
    client, action, form = opened
    html = client.post(f"/actions/{action.pk}/", {**form, "sample_ref": "", "_preview": "1"}).content.decode()
    assert "not a valid email" in html


def test_saving_keeps_the_real_event_hidden_from_non_admins_never_the_masked_copy(opened) -> None:
    client, action, form = opened
    assert client.post(f"/actions/{action.pk}/", {**form, "_save": "1"}).status_code == 302
    action.refresh_from_db()
    assert action.sample_event == REAL
    assert action.sample_private
    reopened = editor_form_as_opened(client, f"/actions/{action.pk}/")
    assert "ada.real" not in reopened["sample_event"]
    assert reopened["sample_ref"] == f"action:{action.pk}"


def test_a_masked_sample_standing_for_nothing_is_not_saved(opened) -> None:
    client, action, form = opened
    client.post(f"/actions/{action.pk}/", {**form, "sample_ref": "", "_save": "1"})
    action.refresh_from_db()
    assert action.version == 2  # saved
    assert action.sample_event is None
    assert AuditEntry.objects.filter(verb="action_changed").exists()


def test_the_trigger_reach_is_counted_on_real_values_for_every_role(destination_for_log) -> None:
    action, _event = destination_for_log
    trigger = "properties.note == 'for Ada'"
    counts = []
    for role in ("admin", "engineer"):
        data = {"name": "x", "trigger": trigger, "map__event_name": "event", "sample_event": json.dumps(REAL)}
        url = f"/destinations/{action.destination_id}/actions/preview/custom_event/"
        counts.append("Matches 1 of the last 1 event received." in signed_in(role).post(url, data).content.decode())
    assert counts == [True, True]

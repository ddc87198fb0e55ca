"""The action list's On button: a live action is disabled only once asked."""

import pytest

from accounts.models import AuditEntry
from destinations.models import Destination
from mapper.models import Action
from tests.mapper.test_trial_send import signed_in

pytestmark = pytest.mark.django_db


def action_of(destination: Destination) -> Action:
    return Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name="Shipped",
        trigger="event == 'Order Shipped'",
        mappings={"event_name": "event", "email": "context.traits.email"},
    )


def test_the_on_button_of_a_live_action_asks_before_disabling_it() -> None:
    action = action_of(Destination.objects.create(name="Live"))
    client = signed_in("marketer")
    response = client.post(f"/actions/{action.pk}/toggle/")
    assert response.status_code == 200
    assert 'data-testid="confirm-disable"' in response.content.decode()
    action.refresh_from_db()
    assert action.enabled
    assert not AuditEntry.objects.filter(verb="action_disabled").exists()
    client.post(f"/actions/{action.pk}/toggle/", {"confirm": "1"})
    action.refresh_from_db()
    assert not action.enabled
    assert AuditEntry.objects.filter(verb="action_disabled").exists()


def test_in_test_mode_and_when_enabling_the_on_button_does_not_ask() -> None:
    action = action_of(Destination.objects.create(name="Test", test_mode=True))
    client = signed_in("marketer")
    assert client.post(f"/actions/{action.pk}/toggle/").status_code == 302
    action.refresh_from_db()
    assert not action.enabled
    Destination.objects.filter(pk=action.destination_id).update(test_mode=False)
    assert client.post(f"/actions/{action.pk}/toggle/").status_code == 302
    action.refresh_from_db()
    assert action.enabled


def test_the_on_button_asks_for_a_state_so_a_stale_page_never_flips_it_back() -> None:
    action = action_of(Destination.objects.create(name="Test", test_mode=True))
    client = signed_in("marketer")
    client.post(f"/actions/{action.pk}/toggle/", {"enabled": "0"})
    # The same button again, from a second tab that still shows the action on.
    response = client.post(f"/actions/{action.pk}/toggle/", {"enabled": "0"}, follow=True)
    action.refresh_from_db()
    assert not action.enabled
    assert "is already disabled: nothing changed." in response.content.decode()
    assert AuditEntry.objects.filter(verb="action_disabled").count() == 1


def test_the_list_and_the_confirmation_post_the_state_they_ask_for() -> None:
    action = action_of(Destination.objects.create(name="Live"))
    client = signed_in("marketer")
    listing = client.get(f"/destinations/{action.destination_id}/").content.decode()
    assert 'name="enabled" value="0"' in listing
    confirmation = client.post(f"/actions/{action.pk}/toggle/", {"enabled": "0"}).content.decode()
    assert 'name="enabled" value="0"' in confirmation


def test_the_editor_finds_received_events_by_trigger_or_name_masked_with_their_reference() -> None:
    from django.utils import timezone

    from executor.models import InboundEvent

    destination = Destination.objects.create(name="D", test_mode=True)
    for name in ("Order Shipped", "Cart Viewed"):
        InboundEvent.objects.create(
            source="api",
            event_type="track",
            event_name=name,
            message_id=name,
            body={"type": "track", "event": name, "context": {"traits": {"email": "jo@example.com"}}},
            received_at=timezone.now(),
        )
    url = f"/destinations/{destination.pk}/samples/"
    client = signed_in("marketer")
    by_trigger = client.get(url, {"trigger": "event == 'Cart Viewed'"}).json()["samples"]
    assert [s["label"].rsplit(": ", 1)[1] for s in by_trigger] == ["Cart Viewed"]
    assert by_trigger[0]["event"]["context"]["traits"]["email"] == "•••"
    assert by_trigger[0]["ref"].startswith("event:")
    by_name = client.get(url, {"q": "shipped", "trigger": "event == 'Cart Viewed'"}).json()["samples"]
    assert [s["label"].rsplit(": ", 1)[1] for s in by_name] == ["Order Shipped"]


def test_a_disabled_destinations_page_says_it_is_disabled() -> None:
    destination = Destination.objects.create(name="Acme", enabled=False)
    client = signed_in("engineer")
    assert 'data-testid="destination-disabled"' in client.get(f"/destinations/{destination.pk}/").content.decode()
    destination.enabled = True
    destination.save()
    assert 'data-testid="destination-disabled"' not in client.get(f"/destinations/{destination.pk}/").content.decode()

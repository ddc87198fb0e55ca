"""Routing contains failure per (event, action): one broken configuration never stops the rest."""

import pytest
from cryptography.fernet import Fernet

from destinations.models import Destination
from executor import routing
from executor.ingest import ingest
from executor.models import Delivery, InboundEvent
from mapper.models import Action
from tests.events import shipped_event

pytestmark = pytest.mark.django_db


def accept(*events: dict) -> None:
    ingest(list(events), source="api", write_key=None)


@pytest.fixture
def healthy(order_shipped: Action) -> Action:
    return order_shipped


@pytest.fixture
def broken_destination(healthy: Action) -> Destination:
    destination = Destination.objects.create(name="Broken")
    Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name="Shipped too",
        trigger=healthy.trigger,
        mappings=healthy.mappings,
    )
    return destination


def test_an_invalid_stored_privacy_rule_fails_its_own_deliveries_and_routing_goes_on(
    healthy: Action, broken_destination: Destination
) -> None:
    # Reproduced: a rule checked whole but stored cut to 500 characters raised on every event,
    # aborted the chunk, and the sweep retried it for ever: no destination got anything.
    Destination.objects.filter(pk=broken_destination.pk).update(
        blocked_names=[{"label": "X", "pattern": "(" + "a|" * 248}]
    )
    accept(shipped_event(1), shipped_event(2))
    summary = routing.route_unrouted()
    assert summary.events == 2
    assert not InboundEvent.objects.filter(routed_at__isnull=True).exists()
    assert set(Delivery.objects.filter(destination=healthy.destination).values_list("status", flat=True)) == {"queued"}
    failed = Delivery.objects.filter(destination=broken_destination)
    assert set(failed.values_list("status", flat=True)) == {"failed"}
    assert "privacy rule" in failed.first().reason


def test_an_unknown_action_type_fails_its_own_deliveries(healthy: Action, broken_destination: Destination) -> None:
    Action.objects.filter(destination=broken_destination).update(action_type="retired_type")
    accept(shipped_event(1))
    routing.route_unrouted()
    assert Delivery.objects.get(destination=healthy.destination).status == Delivery.Status.QUEUED
    failed = Delivery.objects.get(destination=broken_destination)
    assert (failed.status, "unknown" in failed.reason) == (Delivery.Status.FAILED, True)


def test_an_undecryptable_body_fails_that_event_only(healthy: Action, settings) -> None:
    accept(shipped_event(1))
    settings.RELAY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    accept(shipped_event(2))
    settings.RELAY_ENCRYPTION_KEYS = settings.RELAY_ENCRYPTION_KEYS[:1]  # the first key is lost
    routing.route_unrouted()
    statuses = dict(Delivery.objects.values_list("event__id", "status"))
    first, second = InboundEvent.objects.order_by("id").values_list("id", flat=True)
    assert statuses == {first: Delivery.Status.FAILED, second: Delivery.Status.QUEUED}
    assert "cannot be decrypted" in Delivery.objects.get(event_id=first).reason

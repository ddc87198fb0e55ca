import pytest

from destinations.models import Destination
from executor.models import Delivery, InboundEvent
from executor.overview import OUTCOMES, outcome_chart, overview

pytestmark = pytest.mark.django_db


def test_every_status_has_an_outcome_on_the_chart() -> None:
    grouped = {status for _, statuses, _ in OUTCOMES for status in statuses}
    assert grouped == set(Delivery.Status.values)


def test_overview_counts_each_status_of_the_last_24_hours() -> None:
    destination = Destination.objects.create(name="D")
    event = InboundEvent.objects.create(source="api", event_type="track", message_id="m", body={})
    for status in Delivery.Status.values:
        Delivery.objects.create(event=event, destination=destination, action_snapshot={}, sender_key="k", status=status)
    data = overview(destination)
    totals = {label: sum(hour.counts.get(label, 0) for hour in data.hours) for label, _, _ in OUTCOMES}
    assert sum(totals.values()) == len(Delivery.Status.values)
    assert data.backlog == 2  # queued and retrying
    assert "Deliveries per hour" in outcome_chart(data)


def test_each_outcome_has_its_own_colour_and_a_total() -> None:
    assert len({colour for _, _, colour in OUTCOMES}) == len(OUTCOMES)
    destination = Destination.objects.create(name="D")
    event = InboundEvent.objects.create(source="api", event_type="track", message_id="m", body={})
    for status in ("delivered", "delivered", "failed", "blocked"):
        Delivery.objects.create(event=event, destination=destination, action_snapshot={}, sender_key="k", status=status)
    data = overview(destination)
    totals = {label: count for label, _, count in data.totals()}
    assert (totals["Delivered"], totals["Failed"], totals["Blocked by privacy rules"], data.total) == (2, 1, 1, 4)

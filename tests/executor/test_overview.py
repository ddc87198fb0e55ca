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


def test_the_overview_shows_how_long_events_took_from_received_to_delivered() -> None:
    # Outside test: events waited tens of seconds while the only latency shown was Attentive's answer time.
    from datetime import timedelta

    from django.utils import timezone

    from executor.overview import delivered_in_chart

    destination = Destination.objects.create(name="D")
    received = timezone.now().replace(minute=0, second=1, microsecond=0)  # both delivered within this hour
    for waited in (0.2, 30.0):
        event = InboundEvent.objects.create(
            source="api", event_type="track", message_id=f"m{waited}", body={}, received_at=received
        )
        Delivery.objects.create(
            event=event,
            destination=destination,
            action_snapshot={},
            sender_key="k",
            status="delivered",
            delivered_at=received + timedelta(seconds=waited),
        )
    hour = next(hour for hour in overview(destination).hours if hour.delivered_in_avg is not None)
    assert hour.delivered_in_avg == pytest.approx(15_100)
    assert hour.delivered_in_max == pytest.approx(30_000)
    chart = delivered_in_chart(overview(destination))
    assert "average 15 s, max 30 s" in chart
    assert "Received to delivered" in chart


def test_a_latency_chart_with_nothing_delivered_says_so() -> None:
    from executor.overview import delivered_in_chart, latency_chart

    data = overview(Destination.objects.create(name="D"))
    assert "Nothing delivered in these 24 hours." in delivered_in_chart(data)
    assert "Nothing delivered in these 24 hours." in latency_chart(data)

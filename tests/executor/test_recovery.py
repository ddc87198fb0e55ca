"""Recovery: the sweep finds what a dead worker left (sending rows past their lease, unrouted events,
a sender's pending mark) and hands it back to the living."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from executor import recovery
from executor.ingest import ingest
from executor.models import Delivery, DeliveryAttempt, InboundEvent, WorkSignal
from executor.tasks import route_pending
from mapper.models import Action
from tests.events import shipped_event

pytestmark = pytest.mark.django_db


def accept(*events: dict) -> None:
    ingest(list(events), source="api", write_key=None)


def test_abandoned_sending_delivery_is_recovered(order_shipped: Action) -> None:
    accept(shipped_event())
    route_pending.call()
    Delivery.objects.update(
        status=Delivery.Status.SENDING, attempt_count=1, lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    woken = []
    summary = recovery.sweep(kick_router=lambda: None, kick_sender=woken.append)
    delivery = Delivery.objects.get()
    assert summary.recovered_deliveries == 1
    assert delivery.status == Delivery.Status.RETRYING
    assert delivery.attempts.get().outcome == DeliveryAttempt.Outcome.LOST
    assert woken == [order_shipped.destination.sender_key]


def test_unrouted_event_wakes_the_router(order_shipped: Action) -> None:
    accept(shipped_event())
    InboundEvent.objects.update(received_at=timezone.now() - timedelta(minutes=1))
    kicked = []
    recovery.sweep(kick_router=lambda: kicked.append(True), kick_sender=lambda key: None)
    assert kicked == [True]


def test_sweep_wakes_a_sender_whose_pending_mark_was_left_by_a_dead_lease_holder(order_shipped: Action) -> None:
    from executor import tasks, wakeups

    accept(shipped_event())
    route_pending.call()
    signal = wakeups.sender_signal(order_shipped.destination.sender_key)
    # A send task found the key leased by a worker that then died: the mark stays set, no task is queued.
    WorkSignal.objects.filter(name=signal).update(pending=True)
    DBTaskResult.objects.all().delete()
    tasks.kick_sender(order_shipped.destination.sender_key)
    assert not DBTaskResult.objects.exists()
    tasks.sweep.call()
    assert DBTaskResult.objects.filter(task_path="executor.tasks.send_pending").count() == 1


def test_sweep_wakes_a_router_whose_mark_was_left_set_by_a_dead_router(order_shipped: Action) -> None:
    from executor import tasks, wakeups

    # A router thread keeps the mark set while it runs; killed with its worker, it leaves it set.
    WorkSignal.objects.update_or_create(name=wakeups.ROUTE, defaults={"pending": True})
    accept(shipped_event())
    assert not DBTaskResult.objects.exists()
    InboundEvent.objects.update(received_at=timezone.now() - timedelta(minutes=1))
    tasks.sweep.call()
    assert DBTaskResult.objects.filter(task_path="executor.tasks.route_pending").count() == 1


def test_events_unrouted_for_two_seconds_wake_a_router_between_sweeps(order_shipped: Action) -> None:
    # A router thread that died with its worker leaves the route mark set: kicks enqueue nothing.
    accept(shipped_event(1))
    woken = []
    recovery.take_over(kick_router=lambda: woken.append("fresh"), kick_sender=lambda key: None)
    InboundEvent.objects.update(received_at=timezone.now() - timedelta(seconds=3))
    recovery.take_over(kick_router=lambda: woken.append("stale"), kick_sender=lambda key: None)
    assert woken == ["stale"]

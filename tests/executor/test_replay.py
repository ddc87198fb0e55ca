"""Replays in the background: failed and dead deliveries queued again in chunks, progress recorded."""

import pytest

from executor import replay
from executor.models import Delivery, Replay
from executor.routing import route_unrouted
from mapper.models import Action
from tests.events import shipped_event
from tests.executor.flows import accept

pytestmark = pytest.mark.django_db


def test_a_replay_queues_the_failed_and_dead_it_selects_and_records_its_progress(
    order_shipped: Action, monkeypatch
) -> None:
    monkeypatch.setattr(replay, "CHUNK", 2)
    accept(*[shipped_event(i) for i in range(5)])
    route_unrouted()
    Delivery.objects.update(status=Delivery.Status.FAILED)
    Delivery.objects.filter(pk=Delivery.objects.order_by("id").first().pk).update(status=Delivery.Status.DELIVERED)
    job = Replay.objects.create(description="dead letters", selection={"status": "dead_letters"}, total=4)
    woken: list[str] = []
    done = replay.run(job, woken.append)
    assert (done.done, done.state, done.percent) == (4, Replay.State.DONE, 100)
    assert Delivery.objects.filter(status=Delivery.Status.QUEUED).count() == 4
    assert set(woken) == {order_shipped.destination.sender_key}


def test_a_selection_by_ids_replays_only_those(order_shipped: Action) -> None:
    accept(shipped_event(1), shipped_event(2))
    route_unrouted()
    Delivery.objects.update(status=Delivery.Status.DEAD)
    first = Delivery.objects.order_by("id").first()
    assert list(replay.selection_queryset({"ids": [first.pk, "junk"]}).values_list("id", flat=True)) == [first.pk]

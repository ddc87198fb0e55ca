"""The router thread: routes what arrives while it runs, keeps the ROUTE mark set so kicks stay reads,
and hands over to a route task when it stops. Its thread runs for real in
tests/executor/test_worker_processes.py; here its turns run on the test's own thread."""

import threading

import pytest
from django_tasks_db.models import DBTaskResult

from executor import router_thread, tasks, wakeups
from executor.models import Delivery, InboundEvent
from executor.runtime import runtime
from executor.tasks import route_pending
from mapper.models import Action
from tests.events import shipped_event
from tests.executor.flows import accept

pytestmark = pytest.mark.django_db


@pytest.fixture
def this_thread_as_router() -> router_thread.Router:
    me = runtime.router = router_thread.Router(thread=threading.current_thread())
    return me


def test_a_turn_routes_what_is_stored_and_ends_once_nothing_arrives(settings, order_shipped: Action) -> None:
    settings.RELAY_ROUTER_IDLE_SECONDS = 0.1
    accept(shipped_event(1), shipped_event(2))
    woken: list[frozenset[str]] = []
    router_thread._route_while_events_arrive(woken.append)
    assert not InboundEvent.objects.filter(routed_at__isnull=True).exists()
    assert Delivery.objects.filter(status=Delivery.Status.QUEUED).count() == 2
    assert woken == [frozenset({order_shipped.destination.sender_key})]


def test_while_the_router_runs_a_route_task_leaves_the_events_to_it(monkeypatch, order_shipped: Action) -> None:
    monkeypatch.setattr(router_thread, "is_routing_here", lambda: True)
    accept(shipped_event(1))
    assert wakeups.is_pending(wakeups.ROUTE)
    assert route_pending.call() == 0
    # The mark stays set: later events' kicks only read it.
    assert wakeups.is_pending(wakeups.ROUTE)
    assert InboundEvent.objects.filter(routed_at__isnull=True).count() == 1


def test_a_kick_while_the_router_runs_enqueues_nothing(order_shipped: Action) -> None:
    accept(shipped_event(1))  # the first kick sets the mark and asks for a task
    DBTaskResult.objects.all().delete()
    accept(shipped_event(2), shipped_event(3))
    assert not DBTaskResult.objects.exists()


# A router's turn closes its thread's connection as it ends: outside the test's transaction.
@pytest.mark.django_db(transaction=True)
def test_a_kick_during_a_turn_makes_the_router_go_another_turn(
    settings, monkeypatch, this_thread_as_router: router_thread.Router
) -> None:
    settings.RELAY_ROUTER_IDLE_SECONDS = 1
    turns = []

    def turn(wake_senders) -> None:
        turns.append(wakeups.is_pending(wakeups.ROUTE))
        if len(turns) == 1:
            tasks.kick_router()  # an event stored during the first turn

    monkeypatch.setattr(router_thread, "_route_while_events_arrive", turn)
    router_thread._route_until_idle(this_thread_as_router, lambda keys: None)
    # Each turn starts by clearing the mark; the kick of the first set it again, so a second turn ran.
    assert turns == [False, False]
    assert not wakeups.is_pending(wakeups.ROUTE)
    assert this_thread_as_router.leaving


# A router's turn closes its thread's connection as it ends: outside the test's transaction.
@pytest.mark.django_db(transaction=True)
def test_the_router_stops_when_no_kick_came_during_its_turn(
    settings, monkeypatch, this_thread_as_router: router_thread.Router
) -> None:
    settings.RELAY_ROUTER_IDLE_SECONDS = 1
    tasks.kick_router()
    turns = []
    monkeypatch.setattr(router_thread, "_route_while_events_arrive", turns.append)
    router_thread._route_until_idle(this_thread_as_router, lambda keys: None)
    assert len(turns) == 1
    # Stopped: the next kick asks for a route task, which routes and starts a new thread.
    assert not router_thread.is_routing_here()
    assert wakeups.kick(wakeups.ROUTE) is True


def test_no_router_thread_is_started_when_its_idle_time_is_zero(settings, order_shipped: Action) -> None:
    settings.RELAY_ROUTER_IDLE_SECONDS = 0
    accept(shipped_event(1))
    route_pending.call()
    assert not router_thread.is_routing_here()

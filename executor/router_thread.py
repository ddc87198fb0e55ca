"""Keep routing while events arrive: one thread per worker finds new events by reading.

A route task per stored event costs four writes besides the routing itself (the wake-up mark, the
task row, its claim, its end); on SQLite each waits for the one write lock, and at 100 events/s
those waits were most of the time a delivery spent between ingest and the wire. While this thread
runs, the ROUTE mark stays set, so ingest's kicks only read it (executor.wakeups.kick) and enqueue
nothing, and the thread looks for unrouted events every RELAY_ROUTER_POLL_SECONDS with a read
(cheap: the event_unrouted index, and WAL readers never wait for a writer). It stops once nothing
has arrived for RELAY_ROUTER_IDLE_SECONDS and no kick came meanwhile; the next kick starts a task.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, connection

from executor import routing, wakeups
from executor.models import InboundEvent
from executor.runtime import runtime

logger = logging.getLogger(__name__)


@dataclass(eq=False, slots=True)
class Router:
    thread: threading.Thread | None = None
    # Decided to stop: a route task must route by itself rather than count on this thread.
    leaving: bool = False


_any_unrouted = wakeups.Look(InboundEvent.objects.filter(routed_at__isnull=True))


def is_routing_here() -> bool:
    """Whether this process's router thread runs and will find newly stored events by itself."""
    with runtime.router_lock:
        return runtime.router is not None and runtime.router.thread.is_alive() and not runtime.router.leaving


def keep_routing(wake_senders: Callable[[frozenset[str]], None]) -> None:
    """Start this process's router thread unless it runs (off when RELAY_ROUTER_IDLE_SECONDS is 0)."""
    if settings.RELAY_ROUTER_IDLE_SECONDS <= 0 or runtime.router_stopping.is_set():
        return
    with runtime.router_lock:
        if runtime.router is not None and runtime.router.thread.is_alive() and not runtime.router.leaving:
            return
        router = runtime.router = Router()
        router.thread = threading.Thread(target=_route_until_idle, args=(router, wake_senders), daemon=True)
        router.thread.name = "router"
    router.thread.start()


def stop(timeout: float = 5.0) -> None:
    """Stop looking for events (worker shutdown); what is unrouted waits for the next worker."""
    runtime.router_stopping.set()
    with runtime.router_lock:
        router = runtime.router
    if router is not None and router.thread is not None:
        router.thread.join(timeout)


def _route_until_idle(router: Router, wake_senders: Callable[[frozenset[str]], None]) -> None:
    try:
        while not runtime.router_stopping.is_set():
            # Cleared once per turn, not per event: a kick while this turn runs sets it again, and
            # is then only a read for every later event.
            wakeups.take(wakeups.ROUTE)
            _route_while_events_arrive(wake_senders)
            with runtime.router_lock:
                router.leaving = True
            # A kick that came after the last look: its task may have seen this thread alive and
            # left the events to it.
            if not wakeups.is_pending(wakeups.ROUTE):
                return
            with runtime.router_lock:
                if runtime.router is not router:
                    return  # a route task already started the next thread
                router.leaving = False
    except Exception as error:
        # The mark may stay set with no thread behind it: the recovery sweep enqueues a route
        # task for events left unrouted whatever the mark says (tasks.wake_router).
        logger.error("The router thread stopped on %s", type(error).__name__)
    finally:
        with runtime.router_lock:
            router.leaving = True
        connection.close()


def _route_while_events_arrive(wake_senders: Callable[[frozenset[str]], None]) -> None:
    last_event = time.monotonic()
    while not runtime.router_stopping.is_set() and time.monotonic() - last_event < settings.RELAY_ROUTER_IDLE_SECONDS:
        try:
            if not _any_unrouted():
                time.sleep(settings.RELAY_ROUTER_POLL_SECONDS)
                continue
            summary = routing.route_unrouted()
        except OperationalError:
            # A database locked past its timeout: the events stay unrouted; look again shortly.
            logger.warning("Routing waits for a locked database")
            time.sleep(settings.RELAY_ROUTER_POLL_SECONDS)
            continue
        if summary.events:
            last_event = time.monotonic()
        if summary.sender_keys:
            wake_senders(summary.sender_keys)

"""The tasks workers run. Thin: each wakes one piece of executor logic."""

from django.tasks import task

from executor import recovery, router_thread, routing, sending, wakeups
from executor import replay as replay_module


@task(priority=10)
def route_pending() -> int:
    """Route every stored event not yet routed, wake the senders with new work, and keep a router
    thread looking for the next events (executor.router_thread)."""
    if router_thread.is_routing_here():
        return 0  # its next look finds these events; the mark stays set, so later kicks stay reads
    wakeups.take(wakeups.ROUTE)
    summary = routing.route_unrouted()
    kick_senders(summary.sender_keys)
    router_thread.keep_routing(kick_senders)
    return summary.events


@task(priority=0)
def send_pending(sender_key: str) -> None:
    """Start this worker's sender for one API key, unless one already runs somewhere."""
    sending.ensure_sender(sender_key)


def kick_router() -> None:
    if wakeups.kick(wakeups.ROUTE):
        route_pending.enqueue()


def wake_router() -> None:
    """Enqueue a route task whatever the mark says (recovery): a router thread or task that died
    may have left the mark set, and kick_router would then enqueue nothing."""
    wakeups.kick(wakeups.ROUTE)
    route_pending.enqueue()


def kick_senders(sender_keys: frozenset[str]) -> None:
    for sender_key in sender_keys:
        kick_sender(sender_key)


def kick_sender(sender_key: str) -> None:
    sending.notify_new_work(sender_key)
    if wakeups.kick(wakeups.sender_signal(sender_key)):
        send_pending.enqueue(sender_key)


def wake_sender(sender_key: str) -> None:
    """Enqueue a send task whatever the pending mark says (recovery).

    A send task that found the key leased leaves the mark set for the lease holder to hand
    on; if that holder died, the mark stays set and kick_sender would enqueue nothing.
    """
    wakeups.kick(wakeups.sender_signal(sender_key))
    send_pending.enqueue(sender_key)


@task(priority=-10)
def sweep() -> dict[str, int]:
    return recovery.sweep(kick_router=wake_router, kick_sender=wake_sender).as_dict()


@task(priority=5)
def run_erasure(request_id: int) -> int:
    """Purge what Relay stores of the person now, and forward the request once the sends judged
    before it have arrived (executor.erasure.forward_delay); return the events deleted."""
    from django.utils import timezone

    from executor import erasure
    from executor.models import ErasureRequest

    request = erasure.purge_stored(ErasureRequest.objects.get(pk=request_id))
    due_at = erasure.forward_due_at(request)
    if due_at > timezone.now():
        forward_erasure.using(run_after=due_at).enqueue(request_id)
    else:
        erasure.purge_again_and_forward(request)
    return request.purged_events


@task(priority=5)
def forward_erasure(request_id: int) -> int:
    """Purge once more, then forward the request to each destination; return the events deleted."""
    from executor import erasure
    from executor.models import ErasureRequest

    return erasure.purge_again_and_forward(ErasureRequest.objects.get(pk=request_id)).purged_events


@task(priority=5)
def run_replay(replay_id: int) -> int:
    from executor.models import Replay

    replay = Replay.objects.get(pk=replay_id)
    return replay_module.run(replay, kick_sender).done


# One run of the backfill task works this long, then hands the worker back and comes again.
BACKFILL_SLICE_SECONDS = 10.0


@task(priority=-5)
def run_backfill(backfill_id: int, chain: str = "") -> int:
    """Work through a running backfill's chunks for a while, then come again (at once, or once its
    queued deliveries have left); return the events gone through."""
    import time
    from datetime import timedelta

    from django.utils import timezone

    from executor import backfill
    from executor.models import Backfill

    started = time.monotonic()
    delay = backfill.advance(backfill_id, kick_sender, chain)
    while delay == 0 and time.monotonic() - started < BACKFILL_SLICE_SECONDS:
        delay = backfill.advance(backfill_id, kick_sender, chain)
    if delay is not None:
        run_backfill.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(backfill_id, chain)
    return Backfill.objects.get(pk=backfill_id).done


@task(priority=-5)
def count_backfill(backfill_id: int, chain: str = "") -> int:
    """Count a large backfill's window (its dry run) for a while, then come again until it is counted;
    return the events counted."""
    import time

    from executor import backfill
    from executor.models import Backfill

    started = time.monotonic()
    more = backfill.count_next(backfill_id, chain)
    while more and time.monotonic() - started < BACKFILL_SLICE_SECONDS:
        more = backfill.count_next(backfill_id, chain)
    if more:
        count_backfill.enqueue(backfill_id, chain)
    return Backfill.objects.get(pk=backfill_id).done


def resume_backfills() -> int:
    """Enqueue a new task chain for each backfill whose worker died with its task (recovery)."""
    from executor import backfill
    from executor.models import Backfill

    resumed = backfill.resume_stranded()
    for backfill_id, state, chain in resumed:
        (count_backfill if state == Backfill.State.COUNTING else run_backfill).enqueue(backfill_id, chain)
    return len(resumed)

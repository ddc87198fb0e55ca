"""Backfill: run one action over the events stored since a time, as if it had existed when they arrived.

A backfill is counted first (the dry run: nothing is sent, nothing but its counts is written; `count` at once
for a small window, `count_next` chunk by chunk in a task for a larger one), then, once a marketer starts it
(executor.backfill_commands), worked through in chunks by a task (`advance`):

- each stored event of the window goes through `routing.delivery_for`, the route step live events take,
  so what the dry run counts is what the run creates, and each delivery it creates is an ordinary one,
  sent by the key's sender at the key's pace, retried, recorded and replayable like any other;
- an event that already has a delivery for this action is left alone (one delivery per event and
  action, the same externalEventId as replay: derived from the event's messageId, its source and the
  action), so a backfill run twice, or over events the action already routed live, sends nothing twice;
- an event that names a person who asked to be erased is skipped (and deleted, as routing does);
- the next chunk waits while a chunk's worth of its deliveries is still queued, so live traffic never
  queues behind a whole backfill;
- cancelling stops the next chunk and withdraws what is queued and not yet claimed.

The window is [since, until): `until` is the dry run's time. Later events are routed live. Events whose
body retention already deleted, and events not routed yet (the router's), are not part of it.
"""

import logging
import secrets
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from executor import erasure, lifecycle, routing
from executor.models import Backfill, Delivery, InboundEvent
from mapper.models import Action

logger = logging.getLogger(__name__)

CHUNK = 500
# A window of up to this many events is counted at once (a few seconds at most); a larger one in the background.
IMMEDIATE_LIMIT = 2000
# The next chunk waits while this many of the backfill's deliveries are still waiting to be sent.
MAX_QUEUED = CHUNK
# How long a waiting backfill sleeps before it looks again.
RECHECK_SECONDS = 2.0
# A backfill being counted or run that no task touched for this long lost its worker: the sweep resumes it.
STRANDED_AFTER = timedelta(minutes=2)

# What the counts count, in the order pages show them. `queued` is "would be sent" in a dry run.
COUNTS = ("events", "already", "erased", "unmatched", "queued", "skipped", "blocked", "invalid", "failed")
COUNT_LABELS = {
    "events": "Stored events in the window",
    "already": "Already have a delivery of this action (not run again)",
    "erased": "Naming a person who asked to be erased (skipped)",
    "unmatched": "Trigger does not match",
    "queued": "Queued to send (in the dry run: would be sent)",
    "skipped": "Skipped (test mode, consent, no identifier)",
    "blocked": "Blocked by privacy rules",
    "invalid": "Invalid",
    "failed": "Could not be read or routed",
}
MATCHED = ("queued", "skipped", "blocked", "invalid", "failed")


@dataclass(slots=True)
class _Chunk:
    counts: Counter[str] = field(default_factory=Counter)
    deliveries: list[Delivery] = field(default_factory=list)
    forgotten: dict[int, frozenset[str]] = field(default_factory=dict)


def window(action: Action, since: datetime, until: datetime) -> QuerySet[InboundEvent]:
    """The stored, routed events received in [since, until) whose body is still kept."""
    return InboundEvent.objects.filter(
        received_at__gte=since, received_at__lt=until, routed_at__isnull=False, purged_at__isnull=True
    )


def _chunks(events: QuerySet[InboundEvent], after: int = 0) -> Iterable[list[InboundEvent]]:
    while chunk := _next_chunk(events, after):
        yield chunk
        after = chunk[-1].pk


def _next_chunk(events: QuerySet[InboundEvent], after: int) -> list[InboundEvent]:
    # The ciphertext, decrypted event by event (routing.body_of): one unreadable body must not fail the chunk.
    return list(
        events.filter(pk__gt=after)
        .order_by("pk")
        .defer("body", "event_name", "message_id")
        .annotate(body_ciphertext=Cast("body", TextField()))[:CHUNK]
    )


def _judge(action: Action, events: list[InboundEvent], now: datetime) -> _Chunk:
    """What `action` makes of each event, without writing anything."""
    result = _Chunk()
    result.counts["events"] = len(events)
    already = set(
        Delivery.objects.filter(action=action, event_id__in=[e.pk for e in events]).values_list("event_id", flat=True)
    )
    result.counts["already"] = len(already)
    readings = [(event, *routing.body_of(event)) for event in events if event.pk not in already]
    erased = iter(erasure.erased_in([body for _, body, unreadable in readings if not unreadable]))
    for event, body, unreadable in readings:
        if unreadable:
            result.counts["failed"] += 1
            continue
        if keys := next(erased):
            result.counts["erased"] += 1
            result.forgotten[event.pk] = keys
            continue
        try:
            delivery = routing.delivery_for(event, body, action, now)
        except Exception as error:
            # Only the type: a message could quote event data.
            logger.error("Backfill of action %s failed on event %s: %s", action.pk, event.pk, type(error).__name__)
            result.counts["failed"] += 1
            continue
        if delivery is None:
            result.counts["unmatched"] += 1
            continue
        result.counts[delivery.status] += 1
        result.deliveries.append(delivery)
    return result


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(COUNTS, 0)


def count(action: Action, since: datetime, until: datetime) -> dict[str, int]:
    """The dry run: what a backfill of `action` over [since, until) would do with each stored event.
    Reads only; nothing is written and nothing leaves."""
    now = timezone.now()
    totals = Counter(empty_counts())
    for events in _chunks(window(action, since, until)):
        totals.update(_judge(action, events, now).counts)
    return {name: totals[name] for name in COUNTS}


def count_next(backfill_id: int, chain: str = "") -> bool:
    """Count the next chunk of a backfill being counted; return whether there is more to count (False
    also when another task chain works on it)."""
    with transaction.atomic():
        backfill = _take(backfill_id, chain)
        if backfill is None or backfill.state != Backfill.State.COUNTING:
            return False
        events = _next_chunk(window(backfill.action, backfill.since, backfill.until), backfill.last_event_id)
        if not events:
            # Counted: the same fields now follow the run, once started.
            backfill.state, backfill.done, backfill.last_event_id = Backfill.State.DRY_RUN, 0, 0
            backfill.save(update_fields=["state", "done", "last_event_id", "touched_at"])
            return False
        totals = Counter(backfill.expected or empty_counts())
        totals.update(_judge(backfill.action, events, timezone.now()).counts)
        backfill.expected = {name: totals[name] for name in COUNTS}
        backfill.done += len(events)
        backfill.last_event_id = events[-1].pk
        backfill.save(update_fields=["expected", "done", "last_event_id", "touched_at"])
        return True


def matched(counts: dict[str, int]) -> int:
    return sum(counts.get(name, 0) for name in MATCHED)


def its_deliveries(backfill: Backfill) -> QuerySet[Delivery]:
    """The deliveries this backfill created (of its action and window, since it started)."""
    return Delivery.objects.filter(
        action_id=backfill.action_id,
        created_at__gte=backfill.started_at,
        event__received_at__gte=backfill.since,
        event__received_at__lt=backfill.until,
    )


def advance(backfill_id: int, kick_sender: Callable[[str], None], chain: str = "") -> float | None:
    """Work through the next chunk of a running backfill. Returns how many seconds to wait before the
    next call (0: at once), or None once it has ended (done, cancelled, or its action turned off) or
    another task chain works on it."""
    sender_keys: set[str] = set()
    with transaction.atomic():
        backfill = _take(backfill_id, chain)
        if backfill is None or backfill.state != Backfill.State.RUNNING:
            return None
        action = backfill.action
        if not action.enabled or not action.destination.enabled:
            _end(backfill, Backfill.State.CANCELLED, "Stopped: the action or its destination was turned off.")
            return None
        if its_deliveries(backfill).filter(status=Delivery.Status.QUEUED).count() >= MAX_QUEUED:
            backfill.save(update_fields=["touched_at"])
            return RECHECK_SECONDS  # paced by the sender: live traffic never queues behind a whole backfill
        events = _next_chunk(window(action, backfill.since, backfill.until), backfill.last_event_id)
        if not events:
            _end(backfill, Backfill.State.DONE)
            return None
        chunk = _judge(action, events, timezone.now())
        # A delivery made meanwhile for (event, action) by live routing stands: nothing is sent twice.
        Delivery.objects.bulk_create(chunk.deliveries, ignore_conflicts=True)
        if chunk.forgotten:
            erasure.forget_events(chunk.forgotten, set().union(*chunk.forgotten.values()))
        counts = Counter(backfill.counts or empty_counts())
        counts.update(chunk.counts)
        backfill.counts = {name: counts[name] for name in COUNTS}
        backfill.done += len(events)
        backfill.last_event_id = events[-1].pk
        backfill.save(update_fields=["counts", "done", "last_event_id", "touched_at"])
        sender_keys = {d.sender_key for d in chunk.deliveries if d.status == Delivery.Status.QUEUED}
    for sender_key in sender_keys:
        kick_sender(sender_key)
    return 0.0


def cancel(backfill: Backfill) -> int:
    """Stop a running backfill: no further chunk, and what it queued that no sender has claimed yet
    does not leave. Returns how many deliveries were withdrawn."""
    _end(backfill, Backfill.State.CANCELLED, "Cancelled.")
    return lifecycle.withdraw(its_deliveries(backfill), "Skipped: its backfill was cancelled before it was sent.")


def new_chain(backfill: Backfill) -> str:
    """Give the backfill a new task chain (the caller enqueues its first task); older chains stop."""
    backfill.chain, backfill.touched_at = secrets.token_hex(8), timezone.now()
    return backfill.chain


def resume_stranded(now: datetime | None = None) -> list[tuple[int, str, str]]:
    """Backfills being counted or run that no task touched for STRANDED_AFTER (their worker died with the
    task): each gets a new chain. Returns (id, state, chain) for the caller to enqueue."""
    now = now or timezone.now()
    stranded = Backfill.objects.filter(
        state__in=(Backfill.State.COUNTING, Backfill.State.RUNNING), touched_at__lt=now - STRANDED_AFTER
    )
    # A plain read first: every worker sweeps every few seconds, and on SQLite a transaction here would
    # take the write lock each time even with nothing to resume.
    if not stranded.exists():
        return []
    resumed = []
    with transaction.atomic():
        for backfill in stranded.select_for_update():
            resumed.append((backfill.pk, backfill.state, new_chain(backfill)))
            backfill.save(update_fields=["chain", "touched_at"])
    return resumed


def _take(backfill_id: int, chain: str) -> Backfill | None:
    """The backfill, locked and marked as worked on now, unless another chain works on it."""
    backfill = Backfill.objects.select_for_update().select_related("action__destination").get(pk=backfill_id)
    if chain and backfill.chain != chain:
        return None
    backfill.touched_at = timezone.now()
    return backfill


def _end(backfill: Backfill, state: str, reason: str = "") -> None:
    backfill.state, backfill.reason, backfill.finished_at = state, reason, timezone.now()
    backfill.save(update_fields=["state", "reason", "finished_at", "touched_at"])

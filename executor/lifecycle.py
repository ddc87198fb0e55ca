"""A delivery's states and every transition between them: the one place that changes `status`.

    routing ──▶ QUEUED ──claim──▶ SENDING ──record──▶ DELIVERED (final, never sent again)
                  ▲                 │ │ │
                  │                 │ │ └─record──▶ RETRYING ──claim──▶ SENDING …
                  │                 │ └───record──▶ FAILED, DEAD ──replay──▶ QUEUED
                  │                 ├─give back───▶ QUEUED / RETRYING (paused key: not an attempt)
                  └──record (401/403: destination paused)
    SENDING, no live sender (claim lease expired, or its worker seen dead) ──recover──▶ RETRYING (attempt LOST)
    routing also creates SKIPPED, INVALID, BLOCKED and FAILED deliveries, which are final;
    INVALID ──rerun (the action fixed)──▶ whatever the action as it is now makes of the event.
    QUEUED ──withdraw (a cancelled backfill)──▶ SKIPPED, before it was ever claimed.

Every transition out of SENDING is conditional on the claim's token (`lease_token`), so a
sender that lost its claim can never overwrite what another recorded. docs/executor.md draws
this with the leases involved.
"""

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, DateTimeField, ExpressionWrapper, F, QuerySet, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.compiled import Compiled, CompiledInsert, CompiledUpdate
from core.fields import EncryptedJSONField
from core.text import counted
from destinations.errors import AuthenticationError, DestinationError, PermanentError, RetryableError
from destinations.models import Destination
from executor import durability, wakeups
from executor.models import AttemptTally, Delivery, DeliveryAttempt
from executor.retry import RetryPolicy

REPLAYABLE = (Delivery.Status.FAILED, Delivery.Status.DEAD)


@dataclass(slots=True)
class SendOutcome:
    """What happened to one claimed delivery, as the sending thread saw it."""

    delivery: Delivery
    started_at: datetime
    status_code: int | None = None
    latency_ms: float | None = None
    response_excerpt: str = ""
    warning: str = ""
    error: DestinationError | None = None
    # Not sent: the key is paused beyond what a thread may wait; due again at this time.
    deferred_until: datetime | None = None


def due_anywhere(now: datetime) -> QuerySet[Delivery]:
    """Deliveries waiting to be sent now (their destination neither off, paused nor in test mode)."""
    return Delivery.objects.filter(
        status__in=Delivery.PENDING,
        next_attempt_at__lte=now,
        destination__enabled=True,
        destination__needs_attention=False,
        destination__test_mode=False,
    )


def why_waiting(delivery: Delivery) -> str:
    """Why a queued or retrying delivery is held back by its destination (the conditions of
    due_anywhere besides its time), in the delivery log's words, for every role (each remedy is an
    admin's); "" when nothing holds it back."""
    destination = delivery.destination
    if delivery.status not in Delivery.PENDING:
        return ""
    if not destination.enabled:
        return "Waiting: the destination is disabled. It is sent once an admin enables it again."
    if destination.needs_attention:
        # The answer that paused it is often this delivery's own reason already: not said twice.
        why = destination.attention_reason
        why = f" {why}" if why and why not in delivery.reason else ""
        return f"Waiting: sending to this destination is paused.{why} It is sent once an admin replaces or verifies the key."
    if destination.test_mode:
        return "Waiting: the destination is in test mode, which never sends. It is sent once an admin sets it live."
    return ""


def due(sender_key: str, now: datetime) -> QuerySet[Delivery]:
    """Deliveries of this key waiting to be sent now."""
    return due_anywhere(now).filter(sender_key=sender_key)


# A sender asks these at every answer it records, often for one delivery at a time: built by the
# ORM each time, the queries cost more CPU than anything else it did per delivery (and on a busy
# machine, CPU is latency). Compiled once, they are only executed (core.compiled).
_DUE_ENDPOINTS = Compiled(lambda key, now: due(key, now).order_by().values_list("path", flat=True).distinct())
_DUE_IDS: dict[tuple[bool, int], Compiled] = {}
_CLAIM = CompiledUpdate(
    lambda ids, token, expires, now: (
        Delivery.objects.filter(id__in=ids, status__in=Delivery.PENDING),
        {
            "status": Delivery.Status.SENDING,
            "lease_token": token,
            # Renewed every second while the sender lives (renew_claims); past it, recovery may act.
            "lease_expires_at": expires,
            "attempt_count": F("attempt_count") + 1,
            "updated_at": now,
        },
    )
)
# What a sender reads of the deliveries it claimed: not the action's snapshot (its mappings, parsed
# from JSON for every delivery, were a sixth of the claim's CPU) nor the routing errors, only the
# snapshot's action type, which sets the endpoint's pace and the warnings at send (action_type_of).
# Nor the times and words that recording sets without reading (CLAIM_LEAVES_UNREAD): each time
# read was parsed and made aware, five a delivery. The payload is read as its token (payload_token),
# so that its JSON text is kept beside the value parsed from it.
CLAIM_LEAVES_UNREAD = (
    "action_snapshot",
    "errors",
    "reason",
    "next_attempt_at",
    "lease_expires_at",
    "last_status_code",
    "delivered_at",
    "created_at",
    "updated_at",
)
_CLAIMED = Compiled(
    lambda ids, token: (
        Delivery.objects.filter(id__in=ids, lease_token=token)
        .order_by()  # claim() puts them in the order of their ids
        .defer(*CLAIM_LEAVES_UNREAD, "payload")
        # The payload as its token: claim() keeps its JSON text, which the request sends as it is.
        .annotate(payload_token=ExpressionWrapper(F("payload"), output_field=TextField()))
        # Read as text: as a JSONField's, each value was handed to json.loads, which raised on it.
        .annotate(claimed_action_type=ExpressionWrapper(KT("action_snapshot__action_type"), output_field=CharField()))
    )
)
_DESTINATIONS = Compiled(lambda ids: Destination.objects.filter(pk__in=ids))


def due_endpoints(sender_key: str, now: datetime | None = None) -> set[str]:
    """The endpoints (request paths) this key has deliveries due for."""
    return set(_DUE_ENDPOINTS.values(sender_key, now or timezone.now()))


def claim(sender_key: str, token: str, limit: int, path: str | None = None) -> list[Delivery]:
    """QUEUED/RETRYING → SENDING, under `token` (the sender's key lease), oldest due first (of one
    endpoint, when `path` is given)."""
    now = timezone.now()
    # A plain read first: a sender polls often, and on SQLite a write transaction would queue
    # behind ingest and routing even when nothing is due. The update is conditional on the
    # state read, so what another claim took meanwhile is simply not claimed here.
    ids = _due_ids(sender_key, path, limit, now)
    if not ids:
        return []
    with transaction.atomic():
        durability.commit_without_waiting_for_the_disk()
        _CLAIM(ids, token, now + timedelta(seconds=settings.RELAY_SENDING_LEASE_SECONDS), now)
    claimed = _CLAIMED.objects(ids, token)
    if not claimed:
        return []
    destinations = {d.pk: d for d in _DESTINATIONS.objects(sorted({d.destination_id for d in claimed}))}
    # A destination deleted between the two reads took its deliveries with it.
    claimed = [delivery for delivery in claimed if delivery.destination_id in destinations]
    order = {pk: index for index, pk in enumerate(ids)}
    claimed.sort(key=lambda delivery: order[delivery.pk])
    cache = Delivery.destination.field.set_cached_value
    text_of = EncryptedJSONField.text_of
    for delivery in claimed:
        # What `delivery.destination = …` leaves, the id being the destination's already, without the
        # descriptor's checks (a few µs a delivery).
        cache(delivery, destinations[delivery.destination_id])
        text = delivery.payload_json = text_of(delivery.payload_token)
        delivery.payload = None if text is None else json.loads(text)
    return claimed


def action_type_of(delivery: Delivery) -> str:
    """The key of the action type a delivery was routed by: read with its claim (claim() leaves the
    rest of the snapshot unread), or from its snapshot."""
    action_type = getattr(delivery, "claimed_action_type", None)
    if action_type is None:
        action_type = delivery.action_snapshot.get("action_type", "")
    return action_type


def _due_ids(sender_key: str, path: str | None, limit: int, now: datetime) -> list[int]:
    """The ids claim() looks at, oldest due first (of one endpoint, when `path` is given)."""
    compiled = _DUE_IDS.get((path is None, limit))
    if compiled is None:
        if path is None:
            compiled = Compiled(
                lambda key, now: due(key, now).order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit]
            )
        else:
            compiled = Compiled(
                lambda key, now, path: (
                    due(key, now)
                    .filter(path=path)
                    .order_by("next_attempt_at", "id")
                    .values_list("id", flat=True)[:limit]
                )
            )
        if len(_DUE_IDS) > 1000:
            _DUE_IDS.clear()
        _DUE_IDS[(path is None, limit)] = compiled
    return compiled.values(sender_key, now) if path is None else compiled.values(sender_key, now, path)


def renew_claims(sender_key: str, token: str) -> None:
    """Keep a live sender's claims from looking abandoned while they wait their turn."""
    Delivery.objects.filter(sender_key=sender_key, status=Delivery.Status.SENDING, lease_token=token).update(
        lease_expires_at=timezone.now() + timedelta(seconds=settings.RELAY_SENDING_LEASE_SECONDS)
    )


def record(outcomes: Iterable[SendOutcome]) -> int:
    """SENDING → DELIVERED, RETRYING, FAILED, DEAD, or QUEUED (destination paused, or given back).
    Writes one attempt per request that left; returns how many were delivered.

    One transaction for all of them, and one UPDATE per group of deliveries whose new state is the
    same (usually all: delivered on their first attempt), so a sender's answers cost a few round
    trips whatever their number."""
    policy = RetryPolicy.from_settings()
    now = timezone.now()
    # Each attempt as its row's values (_ATTEMPT_COLUMNS), not a DeliveryAttempt: see CompiledInsert.rows_of.
    attempts: list[tuple[Any, ...]] = []
    delivered = 0
    paused: dict[int, str] = {}
    # (claim token, the new values) → the deliveries that take them.
    changes: dict[tuple[str, tuple[tuple[str, Any], ...]], list[int]] = {}
    with transaction.atomic():
        durability.commit_without_waiting_for_the_disk()
        for outcome in outcomes:
            delivery = outcome.delivery
            token = delivery.lease_token
            if outcome.deferred_until is not None:
                _give_back(delivery, token, outcome.deferred_until, now)
                continue
            fields = ["status", "lease_token", "lease_expires_at", "next_attempt_at", "updated_at", "last_status_code"]
            delivery.lease_token, delivery.lease_expires_at, delivery.updated_at = "", None, now
            delivery.last_status_code = outcome.status_code
            if outcome.error is None:
                result, error = DeliveryAttempt.Outcome.DELIVERED, ""
                delivery.status, delivery.delivered_at, delivery.next_attempt_at = Delivery.Status.DELIVERED, now, None
                # The old error no longer describes it.
                delivery.reason = (
                    f"Delivered on attempt {delivery.attempt_count}." if delivery.attempt_count > 1 else ""
                )
                fields.extend(["delivered_at", "reason"])
                delivered += 1
            else:
                result, error = (
                    _after_failure(delivery, outcome.error, policy, now, paused),
                    outcome.error.message[:300],
                )
                fields.append("reason")
            attempts.append(
                _attempt_row(
                    delivery_id=delivery.pk,
                    number=delivery.attempt_count,
                    started_at=outcome.started_at,
                    status_code=outcome.status_code,
                    latency_ms=outcome.latency_ms,
                    outcome=result,
                    error=error,
                    warning=outcome.warning[:300],
                    # An empty object, the usual success body, says nothing: kept, it was encrypted at
                    # every record and decrypted wherever the attempt is shown.
                    response_excerpt="" if outcome.response_excerpt == "{}" else outcome.response_excerpt,
                )
            )
            values = tuple((name, getattr(delivery, name)) for name in fields)
            changes.setdefault((token, values), []).append(delivery.pk)
        unchanged = 0
        for (token, values), ids in changes.items():
            # Conditional on the claim, as each was one by one: a claim taken back meanwhile keeps
            # its newer state.
            names = tuple(name for name, _ in values)
            unchanged += len(ids) - _recorder(names)(ids, token, *(value for _, value in values))
        if unchanged:
            # A delivery erasure deleted while its request was on the wire has no row to note the
            # attempt on; the answers of the others must still be recorded.
            alive = set(
                Delivery.objects.filter(pk__in=[a[_DELIVERY_ID] for a in attempts]).values_list("pk", flat=True)
            )
            attempts = [attempt for attempt in attempts if attempt[_DELIVERY_ID] in alive]
        _insert_attempts.insert(_insert_attempts.rows_of(attempts))
        _tally_codes(attempt[_STATUS_CODE] for attempt in attempts)
        for destination_id, reason in paused.items():
            Destination.objects.filter(pk=destination_id).update(needs_attention=True, attention_reason=reason[:300])
    return delivered


def _sending_under(ids: list[int], token: str) -> QuerySet[Delivery]:
    return Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING, lease_token=token)


_RECORDERS: dict[tuple[str, ...], CompiledUpdate] = {}
_insert_attempts = CompiledInsert(DeliveryAttempt)
_CREATE_TALLY = CompiledInsert(AttemptTally, ignore_conflicts=True)
_ADD_TO_TALLY = CompiledUpdate(
    lambda code, more: (AttemptTally.objects.filter(code=code), {"count": F("count") + more})
)


def _recorder(names: tuple[str, ...]) -> CompiledUpdate:
    """The update that records these fields of deliveries still claimed under a token: one per set of
    fields an outcome changes (a handful)."""
    recorder = _RECORDERS.get(names)
    if recorder is None:
        recorder = _RECORDERS[names] = CompiledUpdate(
            lambda ids, token, *values: (_sending_under(ids, token), dict(zip(names, values, strict=True)))
        )
    return recorder


_ATTEMPT_COLUMNS = _insert_attempts.columns
_DELIVERY_ID, _STATUS_CODE = _ATTEMPT_COLUMNS.index("delivery_id"), _ATTEMPT_COLUMNS.index("status_code")


def _attempt_row(**values: Any) -> tuple[Any, ...]:
    """An attempt's attributes in the order of its insert's columns (every one of them named)."""
    return tuple(values[name] for name in _ATTEMPT_COLUMNS)


def _tally(attempts: Iterable[DeliveryAttempt]) -> None:
    """Count the attempts by status in AttemptTally (call inside the transaction that records them)."""
    _tally_codes(attempt.status_code for attempt in attempts)


def _tally_codes(codes: Iterable[int | None]) -> None:
    """Count attempts by their status codes in AttemptTally (call inside the transaction that records them)."""
    for code, count in Counter(str(code or "none") for code in codes).items():
        if not _ADD_TO_TALLY(code, count):
            # The code's first attempt. Another worker may be making its row at this very moment
            # (PostgreSQL): whoever comes second adds to that row. Refused as a duplicate, the whole
            # record would be lost, and recovery would send its deliveries a second time.
            _CREATE_TALLY([AttemptTally(code=code, count=0)])
            _ADD_TO_TALLY(code, count)


def _give_back(delivery: Delivery, token: str, due_at: datetime, now: datetime) -> None:
    """SENDING → QUEUED/RETRYING without an attempt: the request never left."""
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING, lease_token=token).update(
        status=Delivery.Status.RETRYING if delivery.attempt_count > 1 else Delivery.Status.QUEUED,
        attempt_count=F("attempt_count") - 1,
        next_attempt_at=due_at,
        lease_token="",
        lease_expires_at=None,
        updated_at=now,
    )


def _after_failure(
    delivery: Delivery,
    error: DestinationError,
    policy: RetryPolicy,
    now: datetime,
    paused: dict[int, str],
) -> str:
    """The delivery's new state after a failed attempt; returns the attempt's outcome."""
    if isinstance(error, AuthenticationError):
        # The key, not the request, is at fault: pause the destination and keep the delivery
        # queued, so it goes out once an admin fixes the key (within the retry window).
        paused[delivery.destination_id] = error.message
        delivery.status, delivery.next_attempt_at = Delivery.Status.QUEUED, now
        delivery.reason = error.message
        return DeliveryAttempt.Outcome.PAUSED
    if isinstance(error, PermanentError):
        delivery.status, delivery.next_attempt_at, delivery.reason = Delivery.Status.FAILED, None, error.message
        return DeliveryAttempt.Outcome.FAILED
    retry_after = error.retry_after if isinstance(error, RetryableError) else None
    next_at = policy.next_attempt_at(delivery.retry_window_start, now, delivery.attempt_count, retry_after)
    if next_at is None:
        delivery.status, delivery.next_attempt_at = Delivery.Status.DEAD, None
        delivery.reason = f"Gave up after {counted(delivery.attempt_count, 'attempt', 'attempts')}: {error.message}"
        return DeliveryAttempt.Outcome.DEAD
    delivery.status, delivery.next_attempt_at, delivery.reason = Delivery.Status.RETRYING, next_at, error.message
    return DeliveryAttempt.Outcome.RETRY


def recover_abandoned(now: datetime | None = None) -> int:
    """SENDING → RETRYING for claims whose sender no longer holds its key: their lease expired,
    or (PostgreSQL) nobody holds the key's advisory lock, which its holder's connection took
    with it when its worker died.

    Whether their request reached the destination is unknown: they go again with the same
    externalEventId, so a destination that deduplicates on it sees the event once. A sender that
    still holds its key is alive and records its claims itself: taking them back would let them
    be sent twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        sending = Delivery.objects.select_for_update(skip_locked=True).filter(status=Delivery.Status.SENDING)
        if not wakeups.leases_die_with_their_holder():
            sending = sending.filter(lease_expires_at__lt=now)
        # Read (and row-locked) before the leases are looked at: a claim made after this read is
        # not among them, so a sender that takes the key meanwhile loses nothing to this sweep.
        expired = list(sending)
        live = {
            key for key in {d.sender_key for d in expired} if wakeups.lease_is_live(wakeups.sender_signal(key), now)
        }
        return _take_back([delivery for delivery in expired if delivery.sender_key not in live], now)


def recover_claims_of_others(sender_key: str, token: str, now: datetime | None = None) -> int:
    """SENDING → RETRYING for this key's claims made under another token than `token`, which
    the caller just took with the key's advisory lock (PostgreSQL): the lock being free, whoever
    made them lost it with its connection, and its answers can no longer be recorded."""
    now = now or timezone.now()
    with transaction.atomic():
        others = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(sender_key=sender_key, status=Delivery.Status.SENDING)
            .exclude(lease_token=token)
        )
        return _take_back(others, now)


def recover_claims_of_holder(holder: str, now: datetime | None = None) -> int:
    """SENDING → RETRYING for every claim a worker made (its tokens start with its holder id),
    for a supervisor that has seen that worker die: nobody records their answers any more."""
    now = now or timezone.now()
    with transaction.atomic():
        theirs = list(
            Delivery.objects.select_for_update(skip_locked=True).filter(
                status=Delivery.Status.SENDING, lease_token__startswith=f"{holder}."
            )
        )
        return _take_back(theirs, now)


def _take_back(stuck: list[Delivery], now: datetime) -> int:
    """SENDING → RETRYING, due at once, with a LOST attempt (call inside a transaction). Each change is
    conditional on the claim read, so a claim recorded meanwhile is neither changed nor counted.

    Each keeps the time it was due at when claimed (the claim leaves it), so it goes out first, in
    its place, not after every delivery queued since: due at the takeover, requests a dead worker
    had on the wire went out again some 4-5 s later, behind the backlog it left."""
    lost = []
    due = Coalesce(F("next_attempt_at"), Value(now, output_field=DateTimeField()))
    for delivery in stuck:
        if Delivery.objects.filter(
            id=delivery.id, status=Delivery.Status.SENDING, lease_token=delivery.lease_token
        ).update(status=Delivery.Status.RETRYING, lease_token="", lease_expires_at=None, next_attempt_at=due):
            lost.append(
                DeliveryAttempt(
                    delivery=delivery,
                    number=delivery.attempt_count,
                    started_at=delivery.updated_at,
                    outcome=DeliveryAttempt.Outcome.LOST,
                    error="The worker stopped before recording an answer.",
                )
            )
    _tally(DeliveryAttempt.objects.bulk_create(lost))
    return len(lost)


def replayable(queryset: QuerySet[Delivery]) -> QuerySet[Delivery]:
    """Failed and dead deliveries that still have a payload to send (purged ones do not)."""
    return queryset.filter(status__in=REPLAYABLE, payload__isnull=False)


def replay(ids: list[int], now: datetime | None = None) -> tuple[int, set[str]]:
    """FAILED/DEAD → QUEUED with a new retry window and the same payload (so the same
    externalEventId). Returns how many, and the sender keys to wake."""
    now = now or timezone.now()
    targets = replayable(Delivery.objects.filter(id__in=ids))
    sender_keys = set(targets.values_list("sender_key", flat=True))
    count = targets.update(
        status=Delivery.Status.QUEUED, next_attempt_at=now, retry_window_start=now, reason="Replayed.", updated_at=now
    )
    return count, sender_keys


def purgeable_payloads(cutoff: datetime) -> QuerySet[Delivery]:
    """Payloads that retention may delete: older than `cutoff` and final. A pending delivery keeps
    its payload until it ends, however old (a paused destination)."""
    return Delivery.objects.filter(created_at__lt=cutoff, payload__isnull=False, status__in=Delivery.FINAL)


def rerun(ids: list[int], now: datetime | None = None) -> tuple[int, set[str]]:
    """INVALID → what the action *as it is now* makes of the same event (QUEUED once it is fixed;
    INVALID, SKIPPED, BLOCKED otherwise). For a delivery refused while its action was wrong.
    Returns how many were re-run, and the sender keys to wake."""
    from executor.routing import delivery_for

    now = now or timezone.now()
    count, sender_keys = 0, set()
    candidates = Delivery.objects.filter(
        id__in=ids, status=Delivery.Status.INVALID, action__isnull=False, event__body__isnull=False
    ).select_related("event", "action__destination")
    for delivery in candidates:
        fresh = delivery_for(delivery.event, delivery.event.body, delivery.action, now)
        if fresh is None:
            changes = {"status": Delivery.Status.SKIPPED, "reason": "Re-run: the trigger no longer matches this event."}
        else:
            changes = {
                name: getattr(fresh, name)
                for name in ("status", "reason", "errors", "method", "path", "payload", "next_attempt_at")
            }
            changes["action_snapshot"] = fresh.action_snapshot
            changes["reason"] = ("Re-run with the action as it is now. " + fresh.reason).strip()[:500]
        count += Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.INVALID).update(
            **changes, sender_key=delivery.action.destination.sender_key, retry_window_start=now, updated_at=now
        )
        if changes["status"] == Delivery.Status.QUEUED:
            sender_keys.add(delivery.action.destination.sender_key)
    return count, sender_keys


def withdraw(queryset: QuerySet[Delivery], reason: str, now: datetime | None = None) -> int:
    """QUEUED → SKIPPED: what was queued but never claimed does not leave (a cancelled backfill).
    A delivery already claimed (SENDING) or tried (RETRYING) goes on: it may be on the wire."""
    now = now or timezone.now()
    return queryset.filter(status=Delivery.Status.QUEUED).update(
        status=Delivery.Status.SKIPPED, reason=reason[:500], next_attempt_at=None, updated_at=now
    )

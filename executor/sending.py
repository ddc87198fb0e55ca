"""Send due deliveries for one API key: claim, pace, send concurrently, record every attempt.

Only the worker holding the key's lease sends for it (executor.wakeups), so a delivery is never
sent by two workers at once, and pacing below Attentive's limit is exact. A delivery is marked
SENDING (with a lease) before its request leaves; DELIVERED is final and never sent again.
"""

import logging
import threading
import time
from concurrent.futures import ALL_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from destinations.attentive.client import AttentiveClient, SendResult
from destinations.errors import AuthenticationError, DestinationError, PermanentError, RetryableError
from destinations.models import Destination
from executor import wakeups
from executor.models import Delivery, DeliveryAttempt
from executor.pacing import Pacer
from executor.retry import RetryPolicy

logger = logging.getLogger(__name__)


_pool_lock = threading.Lock()
_pacers: dict[tuple[str, str], Pacer] = {}
_clients: dict[tuple[int, str], AttentiveClient] = {}
_senders: dict[str, threading.Thread] = {}
_stopping = threading.Event()


@dataclass(frozen=True, slots=True)
class DrainSummary:
    sent: int
    delivered: int
    leased: bool


@dataclass(slots=True)
class _Outcome:
    delivery: Delivery
    started_at: datetime
    result: SendResult | None = None
    error: DestinationError | None = None
    latency_ms: float | None = None
    # Not sent: the key is paused (a 429's Retry-After) beyond what a thread may wait; try then.
    deferred_until: datetime | None = None


# A sending thread waits this long at most for its slot; a longer pause gives the delivery back
# to the table, due when the pause ends, instead of holding a thread (and the claim) meanwhile.
MAX_WAIT_IN_THREAD_SECONDS = 1.0


def drain(sender_key: str, *, idle_seconds: float = 0.0, max_seconds: float | None = None) -> DrainSummary:
    """Send what is due for `sender_key` until nothing has been due for `idle_seconds` (or
    `max_seconds` have passed, or the worker stops), then hand the key back.

    Claiming, sending and recording overlap: the next deliveries are claimed while earlier
    ones are on the wire, so the pacer, not the database, sets the pace.
    """
    name = wakeups.sender_signal(sender_key)
    token = wakeups.acquire_lease(name)
    if token is None:
        return DrainSummary(0, 0, leased=False)
    wakeups.take(name)
    # Claim little ahead of the threads: a delivery claimed must leave well within its SENDING
    # lease, or recovery would hand it out a second time while it still waits here.
    threads = settings.RELAY_SEND_CONCURRENCY
    max_in_flight, low_water = threads * 4, threads * 2
    in_flight: dict[Future[_Outcome], Delivery] = {}
    sent = delivered = 0
    started = last_work = last_renewal = time.monotonic()
    leased = True
    # This key's own threads: a key that waits (paced, paused) never holds another key's threads.
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"send-{sender_key[:8]}")
    try:
        while True:
            now = time.monotonic()
            stopping = _stopping.is_set() or not leased or (max_seconds is not None and now - started >= max_seconds)
            if not stopping and len(in_flight) < low_water and not _pacers_paused(sender_key):
                batch = _claim(sender_key, token, limit=max_in_flight - len(in_flight))
                in_flight.update((pool.submit(_send, delivery), delivery) for delivery in batch)
                if batch:
                    last_work = now
            if in_flight:
                done, _ = wait(list(in_flight), timeout=0.1, return_when=ALL_COMPLETED)
                if done:
                    for future in done:
                        del in_flight[future]
                    delivered += _record([future.result() for future in done])
                    sent += len(done)
            elif stopping or now - last_work >= idle_seconds:
                break
            else:
                time.sleep(0.05)
            if time.monotonic() - last_renewal >= 1.0:
                leased, last_renewal = wakeups.renew_lease(name, token), time.monotonic()
                if leased and in_flight:
                    _renew_claims(sender_key, token)
    finally:
        pool.shutdown(wait=True)
        wakeups.release_lease(name, token)
    return DrainSummary(sent, delivered, leased=True)


def _renew_claims(sender_key: str, token: str) -> None:
    """Keep this sender's claimed deliveries from looking abandoned while they wait their turn."""
    Delivery.objects.filter(sender_key=sender_key, status=Delivery.Status.SENDING, lease_token=token).update(
        lease_expires_at=timezone.now() + timedelta(seconds=settings.RELAY_SENDING_LEASE_SECONDS)
    )


def _pacers_paused(sender_key: str) -> bool:
    return any(pacer.paused_for() > 0 for (key, _), pacer in list(_pacers.items()) if key == sender_key)


def ensure_sender(sender_key: str) -> None:
    """Make sure a thread of this process sends for `sender_key` (unless another worker does).

    Sending runs beside the task loop, so routing never waits behind a long send, and a
    steady stream keeps one sender busy instead of a task per batch.
    """
    with _pool_lock:
        thread = _senders.get(sender_key)
        if thread is not None and thread.is_alive():
            return
        thread = threading.Thread(target=_send_until_idle, args=(sender_key,), daemon=True, name=f"send-{sender_key}")
        _senders[sender_key] = thread
    thread.start()


def _send_until_idle(sender_key: str) -> None:
    signal = wakeups.sender_signal(sender_key)
    try:
        while not _stopping.is_set():
            summary = drain(sender_key, idle_seconds=settings.RELAY_SENDER_IDLE_SECONDS)
            if not summary.leased or not (has_due_work(sender_key) or wakeups.is_pending(signal)):
                break
    except Exception as error:
        # Whatever went wrong, the deliveries stay in the table; the sweep hands them on.
        logger.error("Sender for a key stopped on %s", type(error).__name__)
    finally:
        connection.close()


def stop_senders(timeout: float = 15.0) -> None:
    """Stop claiming, let requests on the wire finish and be recorded, then return (worker shutdown)."""
    _stopping.set()
    deadline = time.monotonic() + timeout
    for thread in list(_senders.values()):
        thread.join(max(0.0, deadline - time.monotonic()))


def has_due_work(sender_key: str, now: datetime | None = None) -> bool:
    return _due(sender_key, now or timezone.now()).exists()


def _due(sender_key: str, now: datetime) -> QuerySet[Delivery]:
    return Delivery.objects.filter(
        sender_key=sender_key,
        status__in=Delivery.PENDING,
        next_attempt_at__lte=now,
        destination__enabled=True,
        destination__needs_attention=False,
        destination__test_mode=False,
    )


def _claim(sender_key: str, token: str, limit: int) -> list[Delivery]:
    now = timezone.now()
    with transaction.atomic():
        ids = list(_due(sender_key, now).order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
        if not ids:
            return []
        Delivery.objects.filter(id__in=ids, status__in=Delivery.PENDING).update(
            status=Delivery.Status.SENDING,
            lease_token=token,
            # How long a claimed delivery may stay SENDING before recovery treats its worker as gone.
            lease_expires_at=now + timedelta(seconds=settings.RELAY_SENDING_LEASE_SECONDS),
            attempt_count=F("attempt_count") + 1,
            updated_at=now,
        )
    return list(Delivery.objects.filter(id__in=ids, lease_token=token).select_related("destination"))


def _send(delivery: Delivery) -> _Outcome:
    outcome = _Outcome(delivery, started_at=timezone.now())
    if delivery.payload is None:
        # Never post an empty body: the payload was purged under retention (or never built).
        outcome.error = PermanentError("Nothing to send: this delivery's payload is no longer kept.")
        return outcome
    try:
        wait = _pacer(delivery.sender_key, delivery.path).reserve()
        if wait > MAX_WAIT_IN_THREAD_SECONDS:
            outcome.deferred_until = timezone.now() + timedelta(seconds=wait)
            return outcome
        if wait > 0:
            time.sleep(wait)
        outcome.started_at = timezone.now()
        result = _client(delivery.destination).send(delivery.method, delivery.path, delivery.payload)
        outcome.result, outcome.latency_ms = result, result.latency_ms
        if result.rate_limit_remaining == 0:
            _pacer(delivery.sender_key, delivery.path).pause(1.0)
    except RetryableError as error:
        outcome.error = error
        if error.status == 429:
            # Bounded: a Retry-After of hours must not silence the key past the retry cap.
            pause = min(error.retry_after or 1.0, settings.RELAY_RETRY_CAP_SECONDS)
            _pacer(delivery.sender_key, delivery.path).pause(pause)
    except DestinationError as error:
        outcome.error = error
    except Exception as error:
        # A bug must not lose the delivery: it is retried. Only the error's type is logged,
        # since a message or traceback could carry payload values.
        logger.error("Unexpected %s while sending delivery %s", type(error).__name__, delivery.pk)
        outcome.error = RetryableError(f"Unexpected error ({type(error).__name__}).")
    return outcome


def _warning_at_send(delivery: Delivery, sent_at: datetime) -> str:
    action_type = delivery.destination.definition.action(delivery.action_snapshot.get("action_type", ""))
    if action_type is None or action_type.warn_at_send is None or not isinstance(delivery.payload, dict):
        return ""
    return action_type.warn_at_send(delivery.payload, sent_at)[:300]


def _record(outcomes: list[_Outcome]) -> int:
    """Write each attempt and the delivery's new state; return how many were delivered."""
    policy = RetryPolicy.from_settings()
    now = timezone.now()
    attempts = []
    delivered = 0
    paused: dict[int, str] = {}
    with transaction.atomic():
        for outcome in outcomes:
            delivery = outcome.delivery
            if outcome.deferred_until is not None:
                _give_back(delivery, outcome.deferred_until, now)
                continue
            attempt = DeliveryAttempt(
                delivery=delivery,
                number=delivery.attempt_count,
                started_at=outcome.started_at,
                latency_ms=outcome.latency_ms,
                warning=_warning_at_send(delivery, outcome.started_at),
            )
            fields = ["status", "lease_token", "lease_expires_at", "next_attempt_at", "updated_at", "last_status_code"]
            token = delivery.lease_token
            delivery.lease_token, delivery.lease_expires_at, delivery.updated_at = "", None, now
            error, result = outcome.error, outcome.result
            if error is None and result is not None:
                attempt.status_code = result.status
                attempt.outcome = DeliveryAttempt.Outcome.DELIVERED
                attempt.response_excerpt = _without(result.response_excerpt, delivery.payload)
                delivery.status, delivery.delivered_at = Delivery.Status.DELIVERED, now
                delivery.next_attempt_at, delivery.last_status_code = None, result.status
                fields.append("delivered_at")
                delivered += 1
            else:
                error = error or RetryableError("No answer was recorded.")
                attempt.status_code, attempt.error = error.status, error.message[:300]
                attempt.response_excerpt = _without(error.response_excerpt, delivery.payload)
                delivery.last_status_code = error.status
                _apply_failure(delivery, attempt, error, policy, now, paused)
                fields.append("reason")
            attempts.append(attempt)
            Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING, lease_token=token).update(
                **{name: getattr(delivery, name) for name in fields}
            )
        DeliveryAttempt.objects.bulk_create(attempts)
        for destination_id, reason in paused.items():
            Destination.objects.filter(pk=destination_id).update(needs_attention=True, attention_reason=reason[:300])
    return delivered


def _give_back(delivery: Delivery, due: datetime, now: datetime) -> None:
    """Return a claimed delivery that was not sent to the queue, due at `due`; it was no attempt."""
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING, lease_token=delivery.lease_token).update(
        status=Delivery.Status.RETRYING if delivery.attempt_count > 1 else Delivery.Status.QUEUED,
        attempt_count=F("attempt_count") - 1,
        next_attempt_at=due,
        lease_token="",
        lease_expires_at=None,
        updated_at=now,
    )


def _sent_strings(payload: object) -> list[str]:
    values: list[str] = []
    stack = [payload]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str | int | float) and not isinstance(value, bool) and len(str(value)) >= 3:
            values.append(str(value))
    return sorted(values, key=len, reverse=True)


def _without(excerpt: str, payload: object) -> str:
    """Remove from a response anything of what was sent: destinations echo input in errors."""
    if len(excerpt) < 3:  # the usual success body, "{}"
        return excerpt
    for value in _sent_strings(payload):
        if value in excerpt:
            excerpt = excerpt.replace(value, "[sent value]")
    return excerpt


def _apply_failure(
    delivery: Delivery,
    attempt: DeliveryAttempt,
    error: DestinationError,
    policy: RetryPolicy,
    now: datetime,
    paused: dict[int, str],
) -> None:
    if isinstance(error, AuthenticationError):
        # The key, not the request, is at fault: pause the destination and keep the delivery
        # queued, so it goes out once an admin fixes the key (within the retry window).
        paused[delivery.destination_id] = error.message
        attempt.outcome = DeliveryAttempt.Outcome.PAUSED
        delivery.status, delivery.next_attempt_at = Delivery.Status.QUEUED, now
        delivery.reason = error.message
        return
    if isinstance(error, PermanentError):
        attempt.outcome = DeliveryAttempt.Outcome.FAILED
        delivery.status, delivery.next_attempt_at, delivery.reason = Delivery.Status.FAILED, None, error.message
        return
    retry_after = error.retry_after if isinstance(error, RetryableError) else None
    next_at = policy.next_attempt_at(delivery.retry_window_start, now, delivery.attempt_count, retry_after)
    if next_at is None:
        attempt.outcome = DeliveryAttempt.Outcome.DEAD
        delivery.status, delivery.next_attempt_at = Delivery.Status.DEAD, None
        delivery.reason = f"Gave up after {delivery.attempt_count} attempts: {error.message}"
    else:
        attempt.outcome = DeliveryAttempt.Outcome.RETRY
        delivery.status, delivery.next_attempt_at, delivery.reason = Delivery.Status.RETRYING, next_at, error.message


def _pacer(sender_key: str, path: str) -> Pacer:
    key = (sender_key, path)
    pacer = _pacers.get(key)
    if pacer is None:
        with _pool_lock:
            pacer = _pacers.setdefault(key, Pacer(settings.RELAY_RATE_LIMIT_PER_SECOND))
    return pacer


def _client(destination: Destination) -> AttentiveClient:
    # One client per destination and key keeps connections alive between batches.
    key = (destination.pk, destination.api_key_fingerprint)
    client = _clients.get(key)
    if client is None:
        with _pool_lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = AttentiveClient.for_destination(destination)
    return client


def reset_clients() -> None:
    """Forget cached clients and pacers (settings changed, or in tests)."""
    with _pool_lock:
        for client in _clients.values():
            client.close()
        _clients.clear()
        _pacers.clear()

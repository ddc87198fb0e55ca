"""Send due deliveries for one API key: claim, pace, send concurrently, record every attempt.

Only the worker holding the key's lease sends for it (executor.wakeups), so a delivery is never
sent by two workers at once and one pacer per endpoint sees all of the key's traffic. The state
changes themselves (claim, record, give back) are executor.lifecycle's.
"""

import asyncio
import contextlib
import functools
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import OperationalError, connection
from django.utils import timezone

from core.json_values import leaves
from destinations.definition import Client
from destinations.errors import DestinationError, PermanentError, RetryableError
from destinations.models import Destination
from destinations.registry import DESTINATION_TYPES
from executor import erasure, lifecycle, wakeups
from executor.models import Delivery
from executor.pacing import Pacer
from executor.runtime import runtime
from executor.send_loop import Mailbox, SendLoop

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DrainSummary:
    sent: int
    delivered: int
    leased: bool


# A request waits this long at most for its pacer's slot; a longer pause gives the delivery back
# to the table, due when the pause ends, instead of holding its claim meanwhile (a claim must leave
# well within its SENDING lease).
MAX_WAIT_FOR_SLOT_SECONDS = 1.0
# While requests are on the wire, the endpoints with due work are read again this often (and at
# once when routing says it queued something).
ENDPOINTS_EVERY_SECONDS = 0.5
# Answers are recorded together, at the next instant of a grid of this step after the first of them
# came in (at most this long): at a key's full pace one transaction records about seven instead of one
# or two, the sender sleeps meanwhile instead of waking at every answer, and the senders of all the
# worker's keys record at the same instants, in one transaction (_SharedRecord).
RECORD_EVERY_SECONDS = 0.05


def drain(sender_key: str, *, idle_seconds: float = 0.0, max_seconds: float | None = None) -> DrainSummary:
    """Send what is due for `sender_key` until nothing has been due for `idle_seconds` (or
    `max_seconds` have passed, or the worker stops), then hand the key back.

    Claiming, sending and recording overlap: the next deliveries are claimed while earlier
    ones are on the wire, so the pacer, not the database, sets the pace. The requests themselves
    wait for their slot and their answer on the worker's one sending loop (executor.send_loop),
    holding no thread; their answers come back here in batches, and are recorded together. Each
    endpoint flows on its own: it is claimed for, paced and limited to RELAY_SEND_CONCURRENCY
    requests at once on its own, so a backlog on a slow endpoint (identify and subscribe at 10/s)
    never holds up a fast one (custom events at 150/s).
    """
    name = wakeups.sender_signal(sender_key)
    token = wakeups.acquire_lease(name)
    if token is None:
        return DrainSummary(0, 0, leased=False)
    wakeups.take(name)
    if wakeups.leases_die_with_their_holder():
        # The lock was free: whoever claimed under another token lost it with its connection
        # (its worker died) and can record nothing now. Its claims go again, same externalEventId.
        lifecycle.recover_claims_of_others(sender_key, token)
    threads = settings.RELAY_SEND_CONCURRENCY
    in_flight = 0
    # Answers in, not yet recorded, and when they will be.
    unrecorded: list[lifecycle.SendOutcome] = []
    record_at = float("inf")
    per_endpoint: Counter[str] = Counter()
    endpoints: set[str] = set()
    sent = delivered = 0
    started = last_work = last_renewal = time.monotonic()
    endpoints_read_at = float("-inf")
    leased = True
    mailbox = _open_mailbox(sender_key)
    loop = _send_loop()
    try:
        while True:
            now = time.monotonic()
            stopping = (
                runtime.senders_stopping.is_set()
                or not leased
                or (max_seconds is not None and now - started >= max_seconds)
            )
            if not stopping:
                if not in_flight or now - endpoints_read_at >= ENDPOINTS_EVERY_SECONDS:
                    endpoints, endpoints_read_at = runtime.sender_database.run(lifecycle.due_endpoints, sender_key), now
                for path in sorted(endpoints):
                    # Claim little ahead of the pace: a delivery claimed must leave well within
                    # its SENDING lease, or recovery would hand it out a second time meanwhile.
                    budget = _claim_budget(sender_key, path, threads)
                    if per_endpoint[path] >= max(1, budget // 2) or _paused(sender_key, path):
                        continue
                    batch = runtime.sender_database.run(_claim, sender_key, token, budget - per_endpoint[path], path)
                    if not batch:
                        continue
                    # One wake-up of the loop for the whole batch.
                    loop.call_soon(_start_sending, loop, batch, mailbox)
                    in_flight += len(batch)
                    per_endpoint[path] += len(batch)
                    last_work = now
            if in_flight or unrecorded:
                # New work wakes either wait, so it is claimed without waiting for an answer.
                new_work = _new_work(sender_key)
                if unrecorded:
                    # Answers are in: sleep until they are recorded, whatever else comes back meanwhile.
                    if not new_work.is_set():
                        new_work.wait(max(0.0, record_at - time.monotonic()))
                    done = mailbox.take(timeout=0.0)
                else:
                    done = mailbox.take(timeout=0.0 if new_work.is_set() else 0.05)
                if new_work.is_set():
                    endpoints_read_at = float("-inf")  # routing may have queued for another endpoint
                new_work.clear()
                for outcome in done:
                    per_endpoint[outcome.delivery.path] -= 1
                in_flight -= len(done)
                unrecorded.extend(done)
                if unrecorded and record_at == float("inf"):
                    record_at = _next_record_at(time.monotonic())
                if unrecorded and (time.monotonic() >= record_at or not in_flight or stopping):
                    # Out of the list first: answers a locked database made us give up on are
                    # recovery's (sent again, same externalEventId), not recorded a second time.
                    outcomes, unrecorded, record_at = unrecorded, [], float("inf")
                    delivered += _record_answers(outcomes, name, token)
                    sent += len(outcomes)
            elif stopping or now - last_work >= idle_seconds:
                break
            else:
                # Routing in this process sets the event as soon as it has committed new work.
                _new_work(sender_key).wait(0.05)
                _new_work(sender_key).clear()
            if time.monotonic() - last_renewal >= 1.0:
                try:
                    leased = runtime.sender_database.run(wakeups.renew_lease, name, token)
                    if leased and in_flight:
                        runtime.sender_database.run(lifecycle.renew_claims, sender_key, token)
                    last_renewal = time.monotonic()
                except OperationalError:
                    # A locked database: the leases outlive a second by far; renew at the next turn.
                    logger.warning("Renewing a sender's leases waits for a locked database")
    finally:
        # Whatever stopped the loop, answers already on their way are recorded: a request that
        # left and is not recorded would be taken back by recovery and sent a second time. Every
        # request ends (its timeouts bound it), so this wait does too.
        while in_flight:
            done = mailbox.take(timeout=1.0)
            in_flight -= len(done)
            unrecorded.extend(done)
            if not done and not loop.is_alive():
                # The loop died with them (it never should): their claims are recovery's, sent again
                # with the same externalEventId.
                logger.error("The sending loop stopped with %d requests of a key on their way", in_flight)
                break
        _close_mailbox(sender_key, mailbox)
        if unrecorded:
            _record_answers(unrecorded, name, token)
        wakeups.release_lease(name, token)
    return DrainSummary(sent, delivered, leased=True)


def _claim(sender_key: str, token: str, limit: int, path: str) -> list[Delivery]:
    """Claim up to `limit` deliveries of one endpoint, less those whose person asked to be erased."""
    return _without_erased(lifecycle.claim(sender_key, token, limit=limit, path=path))


def _without_erased(batch: list[Delivery]) -> list[Delivery]:
    """The claimed deliveries whose payload names nobody who asked to be erased; the others are
    deleted with their events (executor.erasure judges every delivery again as it is claimed)."""
    if not batch:
        return batch
    erased = erasure.erased_in([delivery.payload for delivery in batch])
    if not any(erased):
        return batch
    gone = [(delivery, keys) for delivery, keys in zip(batch, erased, strict=True) if keys]
    erasure.forget_events([delivery.event_id for delivery, _ in gone], set().union(*(keys for _, keys in gone)))
    return [delivery for delivery, keys in zip(batch, erased, strict=True) if not keys]


def _record_answers(outcomes: list[lifecycle.SendOutcome], lease_name: str, token: str) -> int:
    """Record what came back (with the answers of the worker's other keys that are being recorded
    at the same moment: _SharedRecord); return how many were delivered."""
    return _shared_record.record(outcomes, (lease_name, token))


def _record_outcomes(outcomes: list[lifecycle.SendOutcome], leases: list[tuple[str, str]]) -> None:
    """Record answers, waiting out a locked database (while keeping the keys' leases) rather than
    losing them: unrecorded, a delivered request would be sent again.

    Gives up, raising, only when the database has refused for half the key lease; then recovery
    sends those deliveries again, with the same externalEventId.
    """
    deadline = time.monotonic() + settings.RELAY_SENDER_LEASE_SECONDS / 2
    pause = 0.05
    while True:
        try:
            lifecycle.record(outcomes)
            return
        except OperationalError:
            if time.monotonic() >= deadline:
                raise
            logger.warning("Recording %d answers waits for a locked database", len(outcomes))
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
            for lease_name, token in leases:
                with contextlib.suppress(OperationalError):
                    wakeups.renew_lease(lease_name, token)


@dataclass(eq=False, slots=True)
class _Batch:
    outcomes: list[lifecycle.SendOutcome]
    lease: tuple[str, str]
    recorded: bool = False
    error: BaseException | None = None


class _SharedRecord:
    """One transaction for the answers of every key whose sender records at the same moment (group
    commit): each key's sender recorded its own answers every RECORD_EVERY_SECONDS, ten keys made ten
    write transactions where one would do, and on SQLite each commit also makes every other
    connection of the worker read its pages again. A sender that finds a record under way waits for
    it to end, then records what queued up meanwhile, its own and the others', in one; it returns
    only once its own answers are recorded (or raises what recording them raised), as before."""

    def __init__(self, record: Callable[[list[lifecycle.SendOutcome], list[tuple[str, str]]], None]) -> None:
        self._record = record
        self._changed = threading.Condition()
        self._queued: list[_Batch] = []
        self._recording = False

    def record(self, outcomes: list[lifecycle.SendOutcome], lease: tuple[str, str]) -> int:
        mine = _Batch(outcomes, lease)
        with self._changed:
            self._queued.append(mine)
            while self._recording and not mine.recorded:
                self._changed.wait()
            if not mine.recorded:
                self._recording = True
                batches, self._queued = self._queued, []
        if not mine.recorded:
            error = None
            try:
                self._record([outcome for batch in batches for outcome in batch.outcomes], [b.lease for b in batches])
            except BaseException as raised:  # every sender whose answers were in it must know
                error = raised
            with self._changed:
                for batch in batches:
                    batch.recorded, batch.error = True, error
                self._recording = False
                self._changed.notify_all()
        if mine.error is not None:
            raise mine.error
        return sum(outcome.deferred_until is None and outcome.error is None for outcome in outcomes)


_shared_record = _SharedRecord(lambda outcomes, leases: runtime.sender_database.run(_record_outcomes, outcomes, leases))


def _next_record_at(now: float) -> float:
    """The next instant of a RECORD_EVERY_SECONDS grid (the same clock in every thread): every key's
    sender records at the same instants, so that their answers share a transaction (_SharedRecord)."""
    return (math.floor(now / RECORD_EVERY_SECONDS) + 1) * RECORD_EVERY_SECONDS


def _claim_budget(sender_key: str, path: str, threads: int) -> int:
    """How many deliveries of one endpoint to hold claimed: what its pace sends in the time a
    request may wait for its slot, plus one (at most four times RELAY_SEND_CONCURRENCY). A slowed pace (a low account limit, after a 429) claims less, so
    what is claimed leaves soon instead of being given back."""
    pacer = runtime.pacers.get((sender_key, path))
    rate = pacer.rate if pacer is not None else _documented_rate(path)
    return min(threads * 4, max(1, int(rate * MAX_WAIT_FOR_SLOT_SECONDS)) + 1)


def _paused(sender_key: str, path: str) -> bool:
    pacer = runtime.pacers.get((sender_key, path))
    return pacer is not None and pacer.paused_for() > 0


@cache
def _documented_rate(path: str) -> float:
    """The lowest rate any action type documents for `path` (the configured limit caps it)."""
    rates = [
        action_type.rate_limit
        for destination_type in DESTINATION_TYPES.values()
        for action_type in destination_type.actions
        if action_type.path == path
    ]
    return min([*rates, settings.RELAY_RATE_LIMIT_PER_SECOND])


def _new_work(sender_key: str) -> threading.Event:
    event = runtime.new_work.get(sender_key)
    if event is None:
        with runtime.send_lock:
            event = runtime.new_work.setdefault(sender_key, threading.Event())
    return event


def _open_mailbox(sender_key: str) -> Mailbox:
    mailbox = Mailbox()
    with runtime.send_lock:
        runtime.mailboxes[sender_key] = mailbox
    return mailbox


def _close_mailbox(sender_key: str, mailbox: Mailbox) -> None:
    with runtime.send_lock:
        if runtime.mailboxes.get(sender_key) is mailbox:
            del runtime.mailboxes[sender_key]


def _send_loop() -> SendLoop:
    """This process's sending loop, started at its first use."""
    loop = runtime.send_loop
    if loop is None or not loop.is_alive():
        with runtime.send_lock:
            loop = runtime.send_loop
            if loop is None or not loop.is_alive():
                loop = runtime.send_loop = SendLoop()
    return loop


def _start_sending(loop: SendLoop, batch: list[Delivery], mailbox: Mailbox) -> None:
    """On the loop: a task per delivery, whose outcome goes to the mailbox of its key's sender."""
    for delivery in batch:
        task = loop.loop.create_task(_send(loop, delivery))
        task.add_done_callback(functools.partial(_answered, delivery, mailbox))


def _answered(delivery: Delivery, mailbox: Mailbox, task: "asyncio.Task[lifecycle.SendOutcome]") -> None:
    """Hand a request's outcome to its key's sender, whatever happened: a sender waits for every
    request it started before it hands its key back."""
    error = None if task.cancelled() else task.exception()
    if not task.cancelled() and error is None:
        mailbox.deliver(task.result())
        return
    # Stopped under it (the loop stopped), or a bug outside _send's own handling: whether the request
    # left is unknown, so it is an attempt to retry, with the same externalEventId. Only the type is
    # logged: a message could carry payload values.
    kind = "CancelledError" if error is None else type(error).__name__
    if error is not None:
        logger.error("Unexpected %s while sending delivery %s", kind, delivery.pk)
    outcome = lifecycle.SendOutcome(delivery, started_at=timezone.now())
    outcome.error = RetryableError(f"Unexpected error ({kind}).")
    mailbox.deliver(outcome)


def notify_new_work(sender_key: str) -> None:
    """Wake this process's sender for `sender_key` at once, idle or waiting for answers (routing
    calls it after its commit); senders in other processes find the work at their next poll."""
    _new_work(sender_key).set()
    mailbox = runtime.mailboxes.get(sender_key)
    if mailbox is not None:
        mailbox.nudge()


def ensure_sender(sender_key: str) -> None:
    """Make sure a thread of this process sends for `sender_key` (unless another worker does).

    Sending runs beside the task loop, so routing never waits behind a long send, and a
    steady stream keeps one sender busy instead of a task per batch.
    """
    with runtime.send_lock:
        thread = runtime.senders.get(sender_key)
        if thread is not None and thread.is_alive():
            return
        thread = threading.Thread(target=_send_until_idle, args=(sender_key,), daemon=True, name=f"send-{sender_key}")
        runtime.senders[sender_key] = thread
    thread.start()


def _send_until_idle(sender_key: str) -> None:
    signal = wakeups.sender_signal(sender_key)
    try:
        while not runtime.senders_stopping.is_set():
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
    runtime.senders_stopping.set()
    deadline = time.monotonic() + timeout
    for thread in list(runtime.senders.values()):
        thread.join(max(0.0, deadline - time.monotonic()))
    if not any(thread.is_alive() for thread in runtime.senders.values()):
        runtime.sender_database.close()


def has_due_work(sender_key: str, now: datetime | None = None) -> bool:
    return lifecycle.due(sender_key, now or timezone.now()).exists()


async def _send(loop: SendLoop, delivery: Delivery) -> lifecycle.SendOutcome:
    """Send one claimed delivery on the sending loop: wait for its endpoint's slot and its pacer's,
    as timers, then for its answer, on a socket; what happened is its outcome (it never raises)."""
    key = (delivery.sender_key, delivery.path)
    slots = loop.slots.get(key)
    if slots is None:
        slots = loop.slots[key] = asyncio.Semaphore(settings.RELAY_SEND_CONCURRENCY)
    async with slots:
        return await _send_in_slot(delivery)


async def _send_in_slot(delivery: Delivery) -> lifecycle.SendOutcome:
    """_send's work once the request holds one of its endpoint's slots."""
    outcome = lifecycle.SendOutcome(delivery, started_at=timezone.now())
    if delivery.payload is None:
        # Never post an empty body: the payload was purged under retention (or never built).
        outcome.error = PermanentError("Nothing to send: this delivery's payload is no longer kept.")
        return outcome
    pacer = _pacer(delivery)
    try:
        wait = pacer.reserve()
        if wait > MAX_WAIT_FOR_SLOT_SECONDS:
            pacer.cancel()  # its slot goes to whatever is sent first, or the debt would only grow
            outcome.deferred_until = timezone.now() + timedelta(seconds=max(wait, pacer.paused_for()))
            return outcome
        if wait > 0:
            await asyncio.sleep(wait)  # a timer on the loop: no thread waits
        # Woken late (a loaded machine), other slots may be past too: sent at once, they would
        # overfill a second.
        while (hold := pacer.admit()) > 0:
            await asyncio.sleep(hold)
        outcome.started_at = timezone.now()
        outcome.warning = _warning_at_send(delivery, outcome.started_at)
        client = _client(delivery.destination)
        send_async = getattr(client, "send_async", None)
        if send_async is not None:
            result = await send_async(delivery.method, delivery.path, delivery.payload)
        else:
            # A client that can only block: on one of the loop's executor threads.
            result = await asyncio.get_running_loop().run_in_executor(
                None, client.send, delivery.method, delivery.path, delivery.payload
            )
        outcome.status_code, outcome.latency_ms = result.status, result.latency_ms
        outcome.response_excerpt = _without(result.response_excerpt, delivery.payload)
        pacer.on_answer(rate_limited=False, stated_limit=result.rate_limit_limit, remaining=result.rate_limit_remaining)
    except RetryableError as error:
        _failed(outcome, error)
        if error.status == 429:
            pacer.on_answer(
                rate_limited=True, stated_limit=error.rate_limit_limit, remaining=error.rate_limit_remaining
            )
            if error.retry_after:
                # Bounded: a Retry-After of hours must not silence the key past the retry cap.
                pacer.pause(min(error.retry_after, settings.RELAY_RETRY_CAP_SECONDS))
    except DestinationError as error:
        _failed(outcome, error)
    except Exception as error:
        # A bug must not lose the delivery: it is retried. Only the error's type is logged,
        # since a message or traceback could carry payload values.
        logger.error("Unexpected %s while sending delivery %s", type(error).__name__, delivery.pk)
        outcome.error = RetryableError(f"Unexpected error ({type(error).__name__}).")
    return outcome


def _failed(outcome: lifecycle.SendOutcome, error: DestinationError) -> None:
    outcome.error, outcome.status_code = error, error.status
    outcome.response_excerpt = _without(error.response_excerpt, outcome.delivery.payload)


def _warning_at_send(delivery: Delivery, sent_at: datetime) -> str:
    action_type = delivery.destination.definition.action(lifecycle.action_type_of(delivery))
    if action_type is None or action_type.warn_at_send is None or not isinstance(delivery.payload, dict):
        return ""
    return action_type.warn_at_send(delivery.payload, sent_at)[:300]


def _sent_strings(payload: object) -> list[str]:
    values = [
        str(value)
        for value in leaves(payload)
        if isinstance(value, str | int | float) and not isinstance(value, bool) and len(str(value)) >= 3
    ]
    return sorted(values, key=len, reverse=True)


def _without(excerpt: str, payload: object) -> str:
    """Remove from a response anything of what was sent: destinations echo input in errors."""
    if len(excerpt) < 3:  # the usual success body, "{}"
        return excerpt
    for value in _sent_strings(payload):
        if value in excerpt:
            excerpt = excerpt.replace(value, "[sent value]")
    return excerpt


def _pacer(delivery: Delivery) -> Pacer:
    """The pacer of this delivery's key and endpoint, aiming under the endpoint's documented limit
    (and RELAY_RATE_LIMIT_PER_SECOND, when an operator sets a lower one)."""
    key = (delivery.sender_key, delivery.path)
    pacer = runtime.pacers.get(key)
    if pacer is None:
        action_type = delivery.destination.definition.action(lifecycle.action_type_of(delivery))
        documented = action_type.rate_limit if action_type is not None else settings.RELAY_RATE_LIMIT_PER_SECOND
        with runtime.send_lock:
            pacer = runtime.pacers.setdefault(
                key, Pacer.adaptive(min(documented, settings.RELAY_RATE_LIMIT_PER_SECOND))
            )
    return pacer


def _client(destination: Destination) -> Client:
    # One client per destination and key keeps connections alive between batches.
    key = (destination.pk, destination.api_key_fingerprint)
    client = runtime.clients.get(key)
    if client is None:
        with runtime.send_lock:
            client = runtime.clients.get(key)
            if client is None:
                client = runtime.clients[key] = destination.open_client()
    return client

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
from dataclasses import dataclass, field
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
from executor.sender_database import LargerCache

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
# or two, the sender sleeps meanwhile instead of waking at every answer, and every key of the worker
# records at the same instants, in one transaction (_Senders._record_due).
RECORD_EVERY_SECONDS = 0.05


def drain(sender_key: str, *, idle_seconds: float = 0.0, max_seconds: float | None = None) -> DrainSummary:
    """Send what is due for `sender_key` until nothing has been due for `idle_seconds` (or
    `max_seconds` have passed, or the worker stops), then hand the key back.

    Claiming, sending and recording overlap: the next deliveries are claimed while earlier
    ones are on the wire, so the pacer, not the database, sets the pace. The requests themselves
    wait for their slot and their answer on the worker's one sending loop (executor.send_loop),
    holding no thread; their answers come back in batches, and are recorded together. Each
    endpoint flows on its own: it is claimed for, paced and limited to RELAY_SEND_CONCURRENCY
    requests at once on its own, so a backlog on a slow endpoint (identify and subscribe at 10/s)
    never holds up a fast one (custom events at 150/s).

    Runs on the calling thread (and its connection). A worker drives all of its keys this way from
    one thread (ensure_sender): _Senders steps every key it holds in turn.
    """
    senders = _Senders(_send_loop())
    senders.want(sender_key, idle_seconds=idle_seconds, max_seconds=max_seconds)
    senders.run(keep_going=False)
    if sender_key in senders.errors:
        raise senders.errors[sender_key]
    return senders.summaries[sender_key]


@dataclass(eq=False, slots=True)
class _KeyDrain:
    """Where the sending of one key stands: what it holds claimed, what came back and is not yet
    recorded, its lease. Stepped by its _Senders."""

    sender_key: str
    lease_name: str
    token: str
    idle_seconds: float
    max_seconds: float | None
    started: float
    last_work: float
    in_flight: int = 0
    # Answers in, not yet recorded, and when they will be.
    unrecorded: list[lifecycle.SendOutcome] = field(default_factory=list)
    record_at: float = math.inf
    per_endpoint: Counter[str] = field(default_factory=Counter)
    endpoints: set[str] = field(default_factory=set)
    endpoints_read_at: float = -math.inf
    sent: int = 0
    delivered: int = 0
    leased: bool = True
    stopping: bool = False
    # A step of its own raised (a locked database, say): it ends once its requests are recorded, and
    # is not started again by this thread; the sweep hands its work on.
    error: Exception | None = None

    def must_stop(self, now: float) -> bool:
        return (
            runtime.senders_stopping.is_set()
            or not self.leased
            or self.error is not None
            or (self.max_seconds is not None and now - self.started >= self.max_seconds)
        )

    def answered(self, outcome: lifecycle.SendOutcome) -> None:
        self.per_endpoint[outcome.delivery.path] -= 1
        self.in_flight -= 1
        self.unrecorded.append(outcome)
        if self.record_at == math.inf:
            self.record_at = _next_record_at(time.monotonic())


class _Senders:
    """The sending of several keys, driven by one thread.

    A worker used to run a thread per key: ten keys were ten threads waking at every answer, every
    record instant and every notice of new work, each handing its claims and records to a database
    thread and waiting for them (66,000-78,000 voluntary context switches for 20,000 deliveries in
    bench/pipeline.py's many-keys run). Here one thread claims for every key, takes the answers of
    all of them from one mailbox, records them in one transaction at each instant of the record grid,
    and renews all their leases together, on its own connection (34,000-35,000). The requests
    themselves still wait on the sending loop.
    """

    def __init__(self, loop: SendLoop) -> None:
        self.mailbox = Mailbox()
        self.loop = loop
        # Set with new work or a key to start: claim now, not at the next record instant.
        self.wake = threading.Event()
        self.drains: dict[str, _KeyDrain] = {}
        self.summaries: dict[str, DrainSummary] = {}
        # What stopped a key's drain, when something did (drain raises it).
        self.errors: dict[str, Exception] = {}
        # Set under runtime.send_lock once this thread decided to end: ensure_sender starts another.
        self.leaving = False
        # Other threads add to these (ensure_sender, routing's notices); this one takes them under
        # the lock, so that nothing added while it takes them is lost.
        self._lock = threading.Lock()
        self._wanted: dict[str, tuple[float, float | None]] = {}
        self._fresh: set[str] = set()
        self._last_renewal = time.monotonic()

    def want(self, sender_key: str, *, idle_seconds: float, max_seconds: float | None = None) -> None:
        """Start sending for `sender_key` (at this thread's next turn) unless it already does."""
        with self._lock:
            self._wanted.setdefault(sender_key, (idle_seconds, max_seconds))
        self.wake.set()
        self.mailbox.nudge()

    def wanted(self) -> list[str]:
        """The keys waiting to be started."""
        with self._lock:
            return list(self._wanted)

    def new_work(self, sender_key: str) -> None:
        """Routing queued work for `sender_key`: read its endpoints again and claim, now."""
        with self._lock:
            self._fresh.add(sender_key)
        self.wake.set()
        self.mailbox.nudge()

    def run(self, *, keep_going: bool) -> None:
        """Step every key until none is left to send for. With `keep_going` (a worker's thread), a
        key whose drain ended idle starts again when work came meanwhile, and the thread leaves
        only when nothing is wanted (under runtime.send_lock, so ensure_sender starts another)."""
        cache = LargerCache()
        try:
            while True:
                if keep_going:
                    cache.keep()
                self._start_wanted()
                if not self.drains:
                    if not keep_going or self._leave():
                        return
                    continue
                now = time.monotonic()
                for key_drain in list(self.drains.values()):
                    self._claim_more(key_drain, now)
                # Only after a claim found nothing: what was just recorded may be due again (a retry).
                self._finish_ended(keep_going=keep_going)
                if not self.drains:
                    continue
                self._take_answers()
                self._record_due()
                self._renew_leases()
        finally:
            # Whatever stopped the thread, answers already on their way are recorded: a request that
            # left and is not recorded would be taken back by recovery and sent a second time. Every
            # request ends (its timeouts bound it), so this wait does too.
            self._end_all()

    def _start_wanted(self) -> None:
        with self._lock:
            wanted, self._wanted = self._wanted, {}
        for sender_key, (idle_seconds, max_seconds) in wanted.items():
            if sender_key in self.drains:
                continue
            if runtime.senders_stopping.is_set():
                self.summaries.setdefault(sender_key, DrainSummary(0, 0, leased=False))
                continue
            try:
                key_drain = self._start(sender_key, idle_seconds, max_seconds)
            except Exception as error:
                # The deliveries stay in the table; the sweep hands them on.
                logger.error("Sender for a key stopped on %s", type(error).__name__)
                self.errors[sender_key] = error
                continue
            if key_drain is None:
                self.summaries[sender_key] = DrainSummary(0, 0, leased=False)
                continue
            self.drains[sender_key] = key_drain
            with runtime.send_lock:
                runtime.sending_for[sender_key] = self

    def _start(self, sender_key: str, idle_seconds: float, max_seconds: float | None) -> _KeyDrain | None:
        name = wakeups.sender_signal(sender_key)
        token = wakeups.acquire_lease(name)
        if token is None:
            return None
        wakeups.take(name)
        if wakeups.leases_die_with_their_holder():
            # The lock was free: whoever claimed under another token lost it with its connection
            # (its worker died) and can record nothing now. Its claims go again, same externalEventId.
            lifecycle.recover_claims_of_others(sender_key, token)
        now = time.monotonic()
        return _KeyDrain(sender_key, name, token, idle_seconds, max_seconds, started=now, last_work=now)

    def _leave(self) -> bool:
        with runtime.send_lock:
            if self.wanted() and not runtime.senders_stopping.is_set():
                return False
            self.leaving = True
            return True

    def _claim_more(self, key_drain: _KeyDrain, now: float) -> None:
        key_drain.stopping = key_drain.stopping or key_drain.must_stop(now)
        if key_drain.stopping:
            return
        sender_key = key_drain.sender_key
        try:
            if not key_drain.in_flight or now - key_drain.endpoints_read_at >= ENDPOINTS_EVERY_SECONDS:
                key_drain.endpoints = lifecycle.due_endpoints(sender_key)
                key_drain.endpoints_read_at = now
            for path in sorted(key_drain.endpoints):
                # Claim little ahead of the pace: a delivery claimed must leave well within
                # its SENDING lease, or recovery would hand it out a second time meanwhile.
                budget = _claim_budget(sender_key, path, settings.RELAY_SEND_CONCURRENCY)
                held = key_drain.per_endpoint[path]
                if held >= max(1, budget // 2) or _paused(sender_key, path):
                    continue
                batch = _claim(sender_key, key_drain.token, budget - held, path)
                if not batch:
                    continue
                # One wake-up of the loop for the whole batch.
                self.loop.call_soon(_start_sending, self.loop, batch, self.mailbox)
                key_drain.in_flight += len(batch)
                key_drain.per_endpoint[path] += len(batch)
                key_drain.last_work = now
        except Exception as error:
            # What it claimed is on its way and is recorded; the rest stays in the table.
            _stopped_on(key_drain, error)

    def _take_answers(self) -> None:
        """Wait for what wakes this thread, then take every answer in. With answers waiting to be
        recorded it sleeps until their record instant, whatever else comes back meanwhile (new work
        wakes it at once); with requests on the wire only, until the first answer; idle, at most 50 ms."""
        drains = self.drains.values()
        record_at = min((key_drain.record_at for key_drain in drains), default=math.inf)
        if record_at < math.inf:
            if not self.wake.is_set():
                self.wake.wait(max(0.0, record_at - time.monotonic()))
            done = self.mailbox.take(timeout=0.0)
        else:
            done = self.mailbox.take(timeout=0.0 if self.wake.is_set() else 0.05)
        self.wake.clear()
        with self._lock:
            fresh, self._fresh = self._fresh, set()
        for sender_key in fresh:
            key_drain = self.drains.get(sender_key)
            if key_drain is not None:
                key_drain.endpoints_read_at = -math.inf  # routing may have queued for another endpoint
        self._dispatch(done)
        if not done and not self.loop.is_alive() and any(key_drain.in_flight for key_drain in drains):
            self._lose_in_flight()

    def _dispatch(self, answers: list[lifecycle.SendOutcome]) -> None:
        for outcome in answers:
            key_drain = self.drains.get(outcome.delivery.sender_key)
            if key_drain is None:
                # Never expected (a drain ends only with nothing on the wire): left SENDING, the
                # delivery is recovery's, sent again with the same externalEventId.
                logger.error("An answer came back for a key this thread no longer sends for")
                continue
            key_drain.answered(outcome)

    def _lose_in_flight(self) -> None:
        # The loop died with them (it never should): their claims are recovery's, sent again with the
        # same externalEventId.
        lost = sum(key_drain.in_flight for key_drain in self.drains.values())
        logger.error("The sending loop stopped with %d requests on their way", lost)
        for key_drain in self.drains.values():
            key_drain.in_flight = 0
            key_drain.per_endpoint.clear()
            _stopped_on(key_drain, RuntimeError("The sending loop stopped."))

    def _record_due(self, *, all_now: bool = False) -> None:
        """Once any key's answers are due (their record instant came, or nothing of the key is on the
        wire any more), record the answers of every key in, in one transaction: answers taken in at
        that instant would otherwise wait for the next one, and keys would take turns."""
        now = time.monotonic()
        due = [key_drain for key_drain in self.drains.values() if key_drain.unrecorded]
        if not due or not (all_now or any(now >= d.record_at or not d.in_flight or d.stopping for d in due)):
            return
        # Out of the lists first: answers a locked database made us give up on are recovery's (sent
        # again, same externalEventId), not recorded a second time.
        outcomes: list[lifecycle.SendOutcome] = []
        for key_drain in due:
            outcomes += key_drain.unrecorded
        unrecorded = [key_drain.unrecorded for key_drain in due]
        for key_drain in due:
            key_drain.unrecorded, key_drain.record_at = [], math.inf
        try:
            leases = [(key_drain.lease_name, key_drain.token) for key_drain in due]
            _record_outcomes(outcomes, leases)
        except Exception as error:
            for key_drain in due:
                _stopped_on(key_drain, error)
            return
        for key_drain, answers in zip(due, unrecorded, strict=True):
            key_drain.sent += len(answers)
            key_drain.delivered += sum(a.deferred_until is None and a.error is None for a in answers)

    def _renew_leases(self) -> None:
        if time.monotonic() - self._last_renewal < 1.0:
            return
        held = [key_drain for key_drain in self.drains.values() if key_drain.leased]
        try:
            leased = _renew([(d.sender_key, d.lease_name, d.token, d.in_flight > 0) for d in held])
        except OperationalError:
            # A locked database: the leases outlive a second by far; renew at the next turn.
            logger.warning("Renewing the senders' leases waits for a locked database")
            return
        for key_drain, still in zip(held, leased, strict=True):
            key_drain.leased = still
        self._last_renewal = time.monotonic()

    def _finish_ended(self, *, keep_going: bool) -> None:
        now = time.monotonic()
        for key_drain in list(self.drains.values()):
            if key_drain.in_flight or key_drain.unrecorded:
                continue
            if not (key_drain.stopping or now - key_drain.last_work >= key_drain.idle_seconds):
                continue
            self._finish(key_drain)
            if keep_going and key_drain.error is None and key_drain.leased and not runtime.senders_stopping.is_set():
                try:
                    again = has_due_work(key_drain.sender_key) or wakeups.is_pending(key_drain.lease_name)
                except Exception as error:
                    logger.error("Sender for a key stopped on %s", type(error).__name__)
                    again = False
                if again:
                    self.want(
                        key_drain.sender_key, idle_seconds=key_drain.idle_seconds, max_seconds=key_drain.max_seconds
                    )

    def _finish(self, key_drain: _KeyDrain) -> None:
        del self.drains[key_drain.sender_key]
        with runtime.send_lock:
            if runtime.sending_for.get(key_drain.sender_key) is self:
                del runtime.sending_for[key_drain.sender_key]
        try:
            wakeups.release_lease(key_drain.lease_name, key_drain.token)
        except Exception as error:
            # Its row expires with the lease; on PostgreSQL the lock goes with the connection.
            logger.error("Releasing a sender's lease failed on %s", type(error).__name__)
        self.summaries[key_drain.sender_key] = DrainSummary(key_drain.sent, key_drain.delivered, leased=True)
        if key_drain.error is not None:
            self.errors[key_drain.sender_key] = key_drain.error

    def _end_all(self) -> None:
        for key_drain in self.drains.values():
            key_drain.stopping = True
        while any(key_drain.in_flight for key_drain in self.drains.values()):
            done = self.mailbox.take(timeout=1.0)
            self._dispatch(done)
            if not done and not self.loop.is_alive():
                self._lose_in_flight()
        self._record_due(all_now=True)
        for key_drain in list(self.drains.values()):
            self._finish(key_drain)


def _stopped_on(key_drain: _KeyDrain, error: Exception) -> None:
    # Only the type is logged: a message could carry payload values.
    if key_drain.error is None:
        logger.error("Sender for a key stopped on %s", type(error).__name__)
        key_drain.error = error
    key_drain.stopping = True


def _renew(leases: list[tuple[str, str, str, bool]]) -> list[bool]:
    """Renew each key's lease, and its claims while it has requests on their way; whether each is
    still held."""
    held = []
    for sender_key, lease_name, token, claims in leases:
        leased = wakeups.renew_lease(lease_name, token)
        if leased and claims:
            lifecycle.renew_claims(sender_key, token)
        held.append(leased)
    return held


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


def _next_record_at(now: float) -> float:
    """The next instant of a RECORD_EVERY_SECONDS grid: every key records at the same instants, so that
    their answers share a transaction (_Senders._record_due)."""
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
    """Wake the thread that sends for `sender_key` in this process at once, idle or waiting for
    answers (routing calls it after its commit); senders in other processes find the work at their
    next poll."""
    senders = runtime.sending_for.get(sender_key)
    if senders is not None:
        senders.new_work(sender_key)


def ensure_sender(sender_key: str) -> None:
    """Make sure this process sends for `sender_key` (unless another worker does): on its one sender
    thread, started here when it is not running.

    Sending runs beside the task loop, so routing never waits behind a long send, and a
    steady stream keeps the sender busy instead of a task per batch.
    """
    loop = _send_loop()  # before the lock: starting the loop takes it
    with runtime.send_lock:
        senders = runtime.senders
        if senders is None or senders.leaving or runtime.sender_thread is None or not runtime.sender_thread.is_alive():
            senders = runtime.senders = _Senders(loop)
            runtime.sender_thread = threading.Thread(
                target=_send_until_idle, args=(senders,), daemon=True, name="senders"
            )
            runtime.sender_thread.start()
        senders.want(sender_key, idle_seconds=settings.RELAY_SENDER_IDLE_SECONDS)


def _send_until_idle(senders: _Senders) -> None:
    try:
        senders.run(keep_going=True)
    except Exception as error:
        # Whatever went wrong, the deliveries stay in the table; the sweep hands them on.
        logger.error("The senders' thread stopped on %s", type(error).__name__)
    finally:
        with runtime.send_lock:
            senders.leaving = True
        connection.close()
        if not runtime.senders_stopping.is_set():
            # Keys wanted while it was ending (it stopped on an error) go to a new thread.
            for sender_key in senders.wanted():
                ensure_sender(sender_key)


def stop_senders(timeout: float = 15.0) -> None:
    """Stop claiming, let requests on the wire finish and be recorded, then return (worker shutdown)."""
    runtime.senders_stopping.set()
    thread = runtime.sender_thread
    if thread is not None:
        thread.join(timeout)


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
        if runtime.senders_stopping.is_set():
            # The worker stops: what has not left goes back to the table unsent (not an attempt),
            # rather than keep the worker sending up to a second more, or be cut off mid-way.
            outcome.deferred_until = timezone.now()
            return outcome
        outcome.started_at = timezone.now()
        outcome.warning = _warning_at_send(delivery, outcome.started_at)
        client = _client(delivery.destination)
        send_async = getattr(client, "send_async", None)
        if send_async is not None:
            # Its JSON text as stored, read with its claim (lifecycle.claim), is sent as it is.
            body_json = getattr(delivery, "payload_json", None)
            result = await send_async(delivery.method, delivery.path, delivery.payload, body_json)
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
    if error.status is not None:
        # The destination answered: how long it took is shown with the answer, as for a success.
        outcome.latency_ms = (timezone.now() - outcome.started_at).total_seconds() * 1000
    outcome.response_excerpt = _without(error.response_excerpt, outcome.delivery.payload)


def _warning_at_send(delivery: Delivery, sent_at: datetime) -> str:
    warn = _send_warning(delivery.destination.type, lifecycle.action_type_of(delivery))
    if warn is None or not isinstance(delivery.payload, dict):
        return ""
    return warn(delivery.payload, sent_at)[:300]


@cache
def _send_warning(destination_type: str, action_type: str) -> Callable[[dict, datetime], str] | None:
    """What an action type checks of a request as it leaves (warn_at_send): looked up once per
    action type, not at every request."""
    definition = DESTINATION_TYPES.get(destination_type)
    found = definition.action(action_type) if definition is not None else None
    return found.warn_at_send if found is not None else None


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

"""Write accepted events quickly on SQLite: one writer at a time, many requests per commit.

SQLite allows one writer; threads that collide wait in its busy handler, which sleeps in growing
steps and collapses throughput under load. Here the web process's requests hand their rows to a
single committer thread, which stores whatever has queued up in one transaction (group commit)
and only then lets each request answer 202. PostgreSQL takes the plain path.

The web processes of one serve run (--web-processes) each have a committer; they take turns at the
write lock through the run's lock files (executor.shared_state.Turns): left to SQLite's busy
handler, the one that found the lock taken slept between tries (1, 2, 5, ... up to 100 ms); waiting
for its turn in the kernel, it goes once the other's commit ends, before that one's next, with what
queued up meanwhile in one batch. The rows are encrypted in the requests' threads, before the turn, and the
WAL is checkpointed after it (a checkpoint writes the pages back and syncs the file: 3-15 ms that,
inside a commit, held the write lock and kept the other processes waiting).
"""

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from core.compiled import CompiledInsert
from executor.models import InboundEvent
from executor.shared_state import Turns

logger = logging.getLogger(__name__)

MAX_ROWS = 5_000
# A request never waits for ever: past this the committer is considered stuck and the request fails.
STORE_TIMEOUT_SECONDS = 60.0
# The committer closes its connection once no rows came for this long.
IDLE_CLOSE_SECONDS = 0.5
# The committer checkpoints SQLite's WAL itself, outside its turn at the write lock, after this many rows
# (a few hundred WAL pages; SQLite's own auto-checkpoint, at 1,000, ran in the commit that passed it).
CHECKPOINT_ROWS = 500


class CommitterUnavailable(Exception):
    """The rows were not committed in time. They may still be: a retry with the same messageIds is
    recognised as duplicate (ingest is idempotent per write key and messageId)."""


# The unique dedup key makes the insert of an event already stored, or of a concurrent twin, a
# no-op; RETURNING names the dedup keys of the rows actually inserted (see insert_new).
_INSERT_EVENTS = CompiledInsert(InboundEvent, ignore_conflicts=True, returning="dedup_key")
# The fields of each row's database values (Prepared.values), in order.
COLUMNS = _INSERT_EVENTS.columns


@dataclass(frozen=True, slots=True)
class Prepared:
    """Events ready to insert: each one's dedup key (None: it has none, and is never a duplicate) and its
    database values, fields in the order of COLUMNS, encrypted fields encrypted (as
    CompiledInsert.values makes them of a model instance; executor.ingest makes them without one)."""

    keys: list[str | None]
    values: list[list[Any]]


@dataclass(slots=True)
class _Pending:
    prepared: Prepared
    after_commit: Callable[[], None]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None
    inserted: list[int] = field(default_factory=list)  # indexes into prepared of the rows inserted


def insert_new(rows: list[InboundEvent], values: list[list[Any]] | None = None) -> list[InboundEvent]:
    """Insert the rows whose dedup key is not stored yet (call inside a transaction); return them.
    `values`: the rows' database values, prepared before (CompiledInsert.values).

    One statement per 100 rows, no query first: a row whose dedup key is stored already, or is
    being stored by a concurrent twin (another web process), is ignored by the insert, which
    returns the dedup keys of the rows it did insert.
    """
    if not any(row.dedup_key for row in rows):
        # Events without a write key (none of the HTTP paths): the ORM, which gives them their pks.
        InboundEvent.objects.bulk_create(rows)
        return list(rows)
    inserted = set(_INSERT_EVENTS.insert(_INSERT_EVENTS.values(rows) if values is None else values))
    return [row for row in rows if not row.dedup_key or row.dedup_key in inserted]


def insert_prepared(prepared: Prepared) -> list[int]:
    """Insert the prepared rows whose dedup key is neither stored yet nor held by an earlier row of
    `prepared` (call inside a transaction); return their indexes. As insert_new, without model instances."""
    indexes = first_of_each_key(prepared.keys)
    inserted = set(_INSERT_EVENTS.insert([prepared.values[index] for index in indexes]))
    keys = prepared.keys
    return [index for index in indexes if keys[index] is None or keys[index] in inserted]


class GroupCommitter:
    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._turns = Turns("ingest-commit.lock")
        self._connection: object = None  # the database connection told to leave checkpoints to us
        self._rows_since_checkpoint = 0

    def store(self, rows: list[InboundEvent], after_commit: Callable[[], None]) -> list[InboundEvent]:
        """Insert the new ones of `rows` (see insert_new) and, once they are committed, run
        `after_commit`; return the rows inserted.

        The wake-up comes after the commit: woken inside the transaction, a router could clear the
        mark and look for work before these rows are visible, and miss them until the sweep.
        """
        if not self._grouped():
            with transaction.atomic():
                inserted = insert_new(rows)
            _wake(after_commit)
            return inserted
        prepared = Prepared([row.dedup_key for row in rows], _INSERT_EVENTS.values(rows))
        return [rows[index] for index in self._store_grouped(prepared, after_commit)]

    def store_prepared(self, prepared: Prepared, after_commit: Callable[[], None]) -> list[int]:
        """Insert the new ones of the prepared rows (see insert_prepared) and, once they are committed,
        run `after_commit` (as store); return the indexes of the rows inserted."""
        if not self._grouped():
            with transaction.atomic():
                inserted = insert_prepared(prepared)
            _wake(after_commit)
            return inserted
        return self._store_grouped(prepared, after_commit)

    @staticmethod
    def _grouped() -> bool:
        return connection.vendor == "sqlite" and settings.RELAY_INGEST_GROUP_COMMIT

    def _store_grouped(self, prepared: Prepared, after_commit: Callable[[], None]) -> list[int]:
        # Encrypted before, in the request's thread, not in the committer's turn at the write lock,
        # which the other web processes' committers wait for.
        self._start()
        pending = _Pending(prepared, after_commit)
        self._queue.put(pending)
        if not pending.done.wait(STORE_TIMEOUT_SECONDS):
            # The rows may still be committed later: a retry of the same events is then
            # recognised by their dedup keys and stored once.
            raise CommitterUnavailable("The events could not be stored in time.")
        if pending.error is not None:
            raise pending.error
        return pending.inserted

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name="ingest-committer")
                self._thread.start()

    def _run(self) -> None:
        while True:
            # No waiting for company: whatever queued up during the previous commit goes in the next.
            try:
                first = self._queue.get(timeout=IDLE_CLOSE_SECONDS)
            except queue.Empty:
                # Idle: hold no connection while waiting (SQLite's shared cache, in tests, locks
                # whole tables for any connection that holds a transaction or statement open).
                # Not after every commit: opening a connection again cost as much CPU as the
                # commit, and between two requests of a steady stream the queue is often empty.
                connection.close()
                first = self._queue.get()
            batch = [first]
            rows = 0
            try:
                self._leave_checkpoints_to_the_committer()
                with self._turns.turn():
                    # Whatever queued up while waiting for the turn goes in too.
                    self._take_queued(batch)
                    together = _together(batch)
                    rows = len(together.keys)
                    with transaction.atomic():
                        inserted = insert_prepared(together)
                for wake in dict.fromkeys(item.after_commit for item in batch):
                    _wake(wake)
                _hand_out(batch, inserted)
            except BaseException as error:
                for item in batch:
                    item.error = error
                connection.close()  # a broken connection is replaced on the next batch
            finally:
                for item in batch:
                    item.done.set()
            self._rows_since_checkpoint += rows
            if self._rows_since_checkpoint >= CHECKPOINT_ROWS:
                self._rows_since_checkpoint = 0
                _checkpoint()

    def _leave_checkpoints_to_the_committer(self) -> None:
        connection.ensure_connection()
        if connection.connection is not self._connection:
            self._connection = connection.connection
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_autocheckpoint=0")

    def _take_queued(self, batch: list[_Pending]) -> None:
        count = sum(len(item.prepared.keys) for item in batch)
        try:
            while count < MAX_ROWS:
                item = self._queue.get_nowait()
                batch.append(item)
                count += len(item.prepared.keys)
        except queue.Empty:
            pass


def _together(batch: list[_Pending]) -> Prepared:
    """The prepared rows of every request of the batch, one after the other."""
    if len(batch) == 1:
        return batch[0].prepared
    keys: list[str | None] = []
    values: list[list[Any]] = []
    for item in batch:
        keys += item.prepared.keys
        values += item.prepared.values
    return Prepared(keys, values)


def _hand_out(batch: list[_Pending], inserted: list[int]) -> None:
    """Tell each request which of its rows were inserted (`inserted`: indexes into the batch's rows together)."""
    inserted_set, start = set(inserted), 0
    for item in batch:
        count = len(item.prepared.keys)
        item.inserted = [index for index in range(count) if start + index in inserted_set]
        start += count


def _checkpoint() -> None:
    """Write the WAL's committed pages back to the database, without waiting for anyone (PASSIVE:
    writers go on meanwhile; what a reader still needs stays for the next time)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except Exception as error:
        # The events are committed; the WAL is checkpointed next time (or by another connection).
        logger.warning("Checkpointing the WAL failed (%s)", type(error).__name__)
        connection.close()


def _wake(after_commit: Callable[[], None]) -> None:
    # The rows are committed: a failed wake-up must not make the request fail (and the source
    # retry). The recovery sweep routes unrouted events within seconds.
    try:
        after_commit()
    except Exception as error:
        logger.error("Waking the router after a commit failed on %s; the sweep will route", type(error).__name__)


def first_of_each_key(keys: Sequence[str | None]) -> list[int]:
    """The indexes of `keys`, each key once: the first of them (a batch, or two requests of one group
    commit, may carry the same event). None is no key: each is kept."""
    seen: set[str] = set()
    unique = []
    for index, key in enumerate(keys):
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        unique.append(index)
    return unique

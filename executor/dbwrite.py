"""Write accepted events quickly on SQLite: one writer at a time, many requests per commit.

SQLite allows one writer; threads that collide wait in its busy handler, which sleeps in growing
steps and collapses throughput under load. Here the web process's requests hand their rows to a
single committer thread, which stores whatever has queued up in one transaction (group commit)
and only then lets each request answer 202. PostgreSQL takes the plain path.
"""

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from executor.models import InboundEvent

MAX_ROWS = 5_000
# A request never waits for ever: past this the committer is considered stuck and the request fails.
STORE_TIMEOUT_SECONDS = 60.0


class CommitterUnavailable(Exception):
    """The rows could not be committed in time; nothing was accepted."""


@dataclass(slots=True)
class _Pending:
    rows: list[InboundEvent]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class GroupCommitter:
    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def store(self, rows: list[InboundEvent], after_insert: Callable[[], None]) -> None:
        """Insert `rows` and run `after_insert` in the same transaction; return once committed."""
        if connection.vendor != "sqlite" or not settings.RELAY_INGEST_GROUP_COMMIT:
            with transaction.atomic():
                InboundEvent.objects.bulk_create(rows)
                after_insert()
            return
        self._start(after_insert)
        pending = _Pending(rows)
        self._queue.put(pending)
        if not pending.done.wait(STORE_TIMEOUT_SECONDS):
            raise CommitterUnavailable("The events could not be stored in time.")
        if pending.error is not None:
            raise pending.error

    def _start(self, after_insert: Callable[[], None]) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, args=(after_insert,), daemon=True, name="ingest-committer"
                )
                self._thread.start()

    def _run(self, after_insert: Callable[[], None]) -> None:
        while True:
            # No waiting for company: whatever queued up during the previous commit goes in the next.
            batch = [self._queue.get()]
            count = len(batch[0].rows)
            try:
                while count < MAX_ROWS:
                    item = self._queue.get_nowait()
                    batch.append(item)
                    count += len(item.rows)
            except queue.Empty:
                pass
            try:
                with transaction.atomic():
                    InboundEvent.objects.bulk_create([row for item in batch for row in item.rows])
                    after_insert()
            except BaseException as error:
                for item in batch:
                    item.error = error
                connection.close()  # a broken connection is replaced on the next batch
            finally:
                for item in batch:
                    item.done.set()


committer = GroupCommitter()

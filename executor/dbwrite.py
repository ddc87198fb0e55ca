"""Write accepted events quickly on SQLite: one writer at a time, many requests per commit.

SQLite allows one writer; threads that collide wait in its busy handler, which sleeps in growing
steps and collapses throughput under load. Here the web process's requests hand their rows to a
single committer thread, which stores whatever has arrived in one transaction (group commit)
and only then lets each request answer 202. PostgreSQL takes the plain path.
"""

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections, connection, transaction

from executor.models import InboundEvent

MAX_WAIT_SECONDS = 0.002
MAX_ROWS = 5_000


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
        pending.done.wait()
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
            batch = [self._queue.get()]
            count = len(batch[0].rows)
            deadline = time.monotonic() + MAX_WAIT_SECONDS
            while count < MAX_ROWS:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                batch.append(item)
                count += len(item.rows)
            try:
                close_old_connections()
                with transaction.atomic():
                    InboundEvent.objects.bulk_create([row for item in batch for row in item.rows])
                    after_insert()
            except BaseException as error:
                for item in batch:
                    item.error = error
            finally:
                for item in batch:
                    item.done.set()


committer = GroupCommitter()

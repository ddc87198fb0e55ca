"""On SQLite, the database work of every key's sender runs on one thread, so on one connection.

A worker sends for many keys at once, each from its own thread, and each thread had its own SQLite
connection. In WAL mode, a connection that starts a transaction after another connection's commit
throws its whole page cache away and reads every page it needs again: with a dozen connections
taking turns at claiming and recording, nearly every page was read again at every transaction (56
read calls per delivery in bench/pipeline.py's many-keys run, a quarter of the worker's CPU in the
kernel). Here the claims, records and lease renewals of all the keys go to one thread with one
connection, whose cache stays valid across its own commits and is large enough to hold what the
senders touch (SENDER_CACHE_KIB): 5 read calls per delivery. The other connections keep SQLite's
default cache: only this one gains from a larger one.

A call made inside a transaction runs on the caller's own connection, which alone sees what the
transaction wrote (the tests' transactions among them); so does every call on PostgreSQL, whose
connections share the server's cache and whose advisory key leases belong to the sender's own
connection (executor.wakeups).
"""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from django.db import connection

P = ParamSpec("P")
R = TypeVar("R")

# The page cache of the senders' one connection, in KiB (SQLite's default is 2,000 per connection):
# the working set of ten keys at their full pace, the recent deliveries and their indexes, fits.
SENDER_CACHE_KIB = 32_000


class SenderDatabase:
    """The one thread (started at the first call) that runs the senders' database work on SQLite."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        # The DB-API connection given the larger cache (Django opens a new one after a close).
        self._configured: object = None
        self._thread_id: int | None = None

    def run(self, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """`work(*args, **kwargs)` on the senders' database thread (on SQLite, outside a transaction),
        else here; returns what it returns or raises what it raised. Work that runs there may call
        this again: it runs at once (waiting for the thread's own turn would never end)."""
        if connection.vendor != "sqlite" or connection.in_atomic_block or threading.get_ident() == self._thread_id:
            return work(*args, **kwargs)
        return self._thread().submit(self._on_thread, work, *args, **kwargs).result()

    def _on_thread(self, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        self._thread_id = threading.get_ident()
        connection.ensure_connection()
        if connection.connection is not self._configured:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = -{SENDER_CACHE_KIB}")
            self._configured = connection.connection
        return work(*args, **kwargs)

    def close(self) -> None:
        """Close the thread's connection and let the thread end (the worker stops); a later call
        starts both again."""
        with self._lock:
            executor, self._executor, self._thread_id = self._executor, None, None
        if executor is not None:
            executor.submit(_close_connection).result()
            executor.shutdown(wait=True)

    def _thread(self) -> ThreadPoolExecutor:
        executor = self._executor
        if executor is None:
            with self._lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sender-database")
                executor = self._executor
        return executor


def _close_connection() -> None:
    # A function, so `connection` is looked up on the thread (connection.close, looked up by the caller,
    # is the caller's connection's method).
    connection.close()

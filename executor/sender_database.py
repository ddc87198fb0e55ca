"""On SQLite, the connection of the worker's sender thread keeps a larger page cache.

A worker claims, records, reads due endpoints and renews leases for every key it holds from its one
sender thread (executor.sending._Senders), so on one connection. In WAL mode a connection keeps its
page cache across its own commits, but SQLite's default cache (2,000 KiB a connection) is too small
for what ten keys at their full pace touch: the recent deliveries and their indexes. With it, nearly
every page was read again at every transaction (48 read calls per delivery in bench/pipeline.py's
many-keys run); with SENDER_CACHE_KIB, 4-7. The other connections keep SQLite's default: only this
one gains from a larger one.
"""

from django.db import connection

# The page cache of the sender thread's connection, in KiB: the working set of ten keys at their
# full pace fits.
SENDER_CACHE_KIB = 32_000


class LargerCache:
    """Gives this thread's SQLite connection SENDER_CACHE_KIB of page cache, again whenever Django
    opened a new one (after a close, say); a call that finds it set costs an identity check."""

    def __init__(self) -> None:
        # The DB-API connection given the larger cache.
        self._configured: object = None

    def keep(self) -> None:
        if connection.vendor != "sqlite":
            return  # PostgreSQL's connections share the server's cache
        connection.ensure_connection()
        if connection.connection is not self._configured:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = -{SENDER_CACHE_KIB}")
            self._configured = connection.connection

"""How durable the worker's own bookkeeping commits are on PostgreSQL.

A claim, a record of answers and a routed chunk are written many times a second, and on PostgreSQL
each commit waits for its WAL to reach the disk (synchronous_commit): a claim took p50 11.6 / p99 65
ms on a loaded machine, most of it that wait, and it sat between an answer and its record. These
transactions commit with `synchronous_commit = off` instead: PostgreSQL writes them within a few
hundred milliseconds, and a crash of the database server (not of a worker) can lose the last ones.
Nothing is lost that cannot be redone: a lost claim or record sends those deliveries again with the
same externalEventId, as recovery does after a worker dies; a lost routing is routed again to the
same deliveries (the derived ids are the event's). This is the durability SQLite already runs with
(WAL, synchronous=NORMAL).

What a person or a client was told is never written this way: ingest's 202, an erasure, settings,
keys and audit entries commit durably.
"""

from django.db import connection


def commit_without_waiting_for_the_disk() -> None:
    """Inside a transaction: let its commit return before its WAL is on disk (PostgreSQL; SQLite
    already does). Ends with the transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")

"""Wake workers without flooding the queue, and let one worker at a time send for one API key.

The tables (events, deliveries) are the truth; tasks only wake workers up. A WorkSignal row per
kind of work coalesces wake-ups: while one task is pending, more kicks enqueue nothing.

A key's lease is a row (`lease_expires_at`, renewed every second) on SQLite. On PostgreSQL it is
also a session-level advisory lock held on the sender's own connection: the server releases it
the moment that connection dies (its worker killed), so a live worker can take the key over at
once instead of waiting for the row to expire; while the lock is held, the row cannot be taken.
Every lease token starts with its process's holder id (`holder_id()`), so a supervisor that saw
a worker die can free what that worker held (executor.lifecycle.recover_claims_of_holder).
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from executor.models import WorkSignal
from executor.runtime import runtime

ROUTE = "route"


def _lease() -> timedelta:
    return timedelta(seconds=settings.RELAY_SENDER_LEASE_SECONDS)


def sender_signal(sender_key: str) -> str:
    return f"send:{sender_key}"


def kick(name: str) -> bool:
    """Mark work pending under `name`; return True when the caller must enqueue a task for it."""
    # A read when the mark is already set, as it stays while a router or sender runs: on SQLite
    # even an update that changes nothing waits for the write lock. Safe: whoever clears the mark
    # looks for work afterwards, so it sees what the caller committed before this read.
    if name in runtime.known_signals and _pending_look(name)():
        return False
    if WorkSignal.objects.filter(name=name, pending=False).update(pending=True):
        runtime.known_signals.add(name)
        return True
    if name in runtime.known_signals or WorkSignal.objects.filter(name=name).exists():
        runtime.known_signals.add(name)
        return False
    try:
        with transaction.atomic():
            WorkSignal.objects.create(name=name, pending=True)
    except IntegrityError:
        return False
    finally:
        runtime.known_signals.add(name)
    return True


def take(name: str) -> None:
    """Clear the pending mark before looking for work, so a later kick enqueues again."""
    WorkSignal.objects.filter(name=name).update(pending=False)


def is_pending(name: str) -> bool:
    return WorkSignal.objects.filter(name=name, pending=True).exists()


def holder_id() -> str:
    """This process's id in the lease tokens it takes (12 characters)."""
    return runtime.holder


def set_holder_id(holder: str) -> None:
    """Take lease tokens under `holder` (the id the supervisor gave this worker)."""
    runtime.holder = holder[:12]


def holder_of(token: str) -> str:
    return token.split(".", 1)[0]


def _advisory() -> bool:
    return connection.vendor == "postgresql"


def leases_die_with_their_holder() -> bool:
    """Whether a key's lease is gone the moment its holder's connection is (PostgreSQL's
    advisory locks), rather than only once its row expires."""
    return _advisory()


def _lock_key(name: str) -> int:
    """The advisory lock key (a signed 64-bit integer) of a lease name."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def acquire_lease(name: str, now: datetime | None = None) -> str | None:
    """Return a lease token if no other worker holds a live lease on `name`, else None.

    On PostgreSQL the advisory lock is taken first, on this thread's connection: while it is
    held nobody else gets past this line, and once its holder's connection is gone the row is
    free whatever its expiry says (its holder is dead).
    """
    now = now or timezone.now()
    WorkSignal.objects.get_or_create(name=name)
    token = f"{runtime.holder}.{secrets.token_hex(9)}"
    if _advisory():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_lock_key(name)])
            if not cursor.fetchone()[0]:
                return None
        WorkSignal.objects.filter(name=name).update(lease_token=token, lease_expires_at=now + _lease())
        return token
    free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    taken = WorkSignal.objects.filter(free, name=name).update(lease_token=token, lease_expires_at=now + _lease())
    return token if taken else None


def renew_lease(name: str, token: str) -> bool:
    """Extend the lease; False when this sender no longer holds it (and must stop claiming)."""
    if _advisory() and not _holds_lock(name):
        return False  # this connection was lost and replaced: the lock went with it
    return bool(
        WorkSignal.objects.filter(name=name, lease_token=token).update(lease_expires_at=timezone.now() + _lease())
    )


def release_lease(name: str, token: str) -> None:
    WorkSignal.objects.filter(name=name, lease_token=token).update(lease_token="", lease_expires_at=None)
    if _advisory():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_lock_key(name)])


def lease_is_live(name: str, now: datetime | None = None) -> bool:
    if _advisory():
        return _lock_is_held(name)
    now = now or timezone.now()
    return WorkSignal.objects.filter(name=name, lease_expires_at__gte=now).exists()


def release_leases_of_holder(holder: str) -> int:
    """Free every key lease taken under `holder` (a worker its supervisor saw die)."""
    return WorkSignal.objects.filter(lease_token__startswith=f"{holder}.").update(lease_token="", lease_expires_at=None)


_LOCK_HELD = """
    SELECT EXISTS (
        SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 1
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid::bigint = %s AND objid::bigint = %s {mine}
    )
"""


def _lock_parts(name: str) -> list[int]:
    # pg_locks shows a bigint advisory key as its high and low 32 bits.
    key = _lock_key(name) & 0xFFFF_FFFF_FFFF_FFFF
    return [key >> 32, key & 0xFFFF_FFFF]


def _lock_is_held(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_HELD.format(mine=""), _lock_parts(name))
        return bool(cursor.fetchone()[0])


def _holds_lock(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_HELD.format(mine="AND pid = pg_backend_pid()"), _lock_parts(name))
        return bool(cursor.fetchone()[0])


_pending_looks: dict[str, "Look"] = {}


def _pending_look(name: str) -> "Look":
    # Ingest kicks the route mark at every request, routing a key's mark at every batch.
    look = _pending_looks.get(name)
    if look is None:
        look = _pending_looks.setdefault(name, Look(WorkSignal.objects.filter(name=name, pending=True)))
    return look


class Look:
    """Whether `queryset` has a row, as one query compiled once: a worker looks for work hundreds of
    times a second, and the ORM building the query each time cost 250 µs of CPU (and of the GIL)
    per look where the query itself costs 28 µs; on a busy machine that CPU is latency."""

    def __init__(self, queryset: QuerySet[Any]) -> None:
        self._queryset = queryset.values("pk")[:1]
        self._compiled: tuple[str, tuple[Any, ...]] | None = None

    def __call__(self) -> bool:
        if self._compiled is None:  # at the first look, once the database is configured
            self._compiled = self._queryset.query.sql_with_params()
        sql, params = self._compiled
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone() is not None

"""Wake workers without flooding the queue, and let one worker at a time send for one API key.

The tables (events, deliveries) are the truth; tasks only wake workers up. A WorkSignal row per
kind of work coalesces wake-ups: while one task is pending, more kicks enqueue nothing.
"""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from executor.models import WorkSignal

ROUTE = "route"


def _lease() -> timedelta:
    return timedelta(seconds=settings.RELAY_SENDER_LEASE_SECONDS)


def sender_signal(sender_key: str) -> str:
    return f"send:{sender_key}"


_known: set[str] = set()


def kick(name: str) -> bool:
    """Mark work pending under `name`; return True when the caller must enqueue a task for it."""
    # A read when the mark is already set, as it stays while a router or sender runs: on SQLite
    # even an update that changes nothing waits for the write lock. Safe: whoever clears the mark
    # looks for work afterwards, so it sees what the caller committed before this read.
    if name in _known and WorkSignal.objects.filter(name=name, pending=True).exists():
        return False
    if WorkSignal.objects.filter(name=name, pending=False).update(pending=True):
        _known.add(name)
        return True
    if name in _known or WorkSignal.objects.filter(name=name).exists():
        _known.add(name)
        return False
    try:
        with transaction.atomic():
            WorkSignal.objects.create(name=name, pending=True)
    except IntegrityError:
        return False
    finally:
        _known.add(name)
    return True


def take(name: str) -> None:
    """Clear the pending mark before looking for work, so a later kick enqueues again."""
    WorkSignal.objects.filter(name=name).update(pending=False)


def is_pending(name: str) -> bool:
    return WorkSignal.objects.filter(name=name, pending=True).exists()


def acquire_lease(name: str, now: datetime | None = None) -> str | None:
    """Return a lease token if no other worker holds a live lease on `name`, else None."""
    now = now or timezone.now()
    WorkSignal.objects.get_or_create(name=name)
    token = secrets.token_hex(16)
    free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    taken = WorkSignal.objects.filter(free, name=name).update(lease_token=token, lease_expires_at=now + _lease())
    return token if taken else None


def renew_lease(name: str, token: str) -> bool:
    return bool(
        WorkSignal.objects.filter(name=name, lease_token=token).update(lease_expires_at=timezone.now() + _lease())
    )


def release_lease(name: str, token: str) -> None:
    WorkSignal.objects.filter(name=name, lease_token=token).update(lease_token="", lease_expires_at=None)


def lease_is_live(name: str, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return WorkSignal.objects.filter(name=name, lease_expires_at__gte=now).exists()


def forget_known_signals() -> None:
    """Forget which signal rows exist (the database was reset, as between tests)."""
    _known.clear()

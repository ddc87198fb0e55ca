"""Delete what we hold of people once it is no longer needed: event bodies, payloads, response
excerpts older than RELAY_RETENTION_DAYS. What happened (statuses, attempts, times) stays.
Finished task rows (which hold no personal data) go after RELAY_TASK_RESULTS_DAYS."""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.management import call_command
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from executor import lifecycle
from executor.models import DeliveryAttempt, InboundEvent, WorkerHeartbeat, WorkSignal

PURGE_SIGNAL = "purge"
PURGE_EVERY = timedelta(hours=1)
# Rows per transaction: SQLite has one writer, and ingest must not wait behind a long purge.
CHUNK = 500


@dataclass(frozen=True, slots=True)
class PurgeSummary:
    event_bodies: int
    payloads: int
    response_excerpts: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def purge(now: datetime | None = None, days: int | None = None) -> PurgeSummary:
    now = now or timezone.now()
    cutoff = now - timedelta(days=days if days is not None else settings.RELAY_RETENTION_DAYS)
    bodies = _in_chunks(
        InboundEvent.objects.filter(received_at__lt=cutoff, purged_at__isnull=True, routed_at__isnull=False),
        body=None,
        purged_at=now,
    )
    payloads = _in_chunks(lifecycle.purgeable_payloads(cutoff), payload=None)
    excerpts = _in_chunks(
        DeliveryAttempt.objects.filter(started_at__lt=cutoff).exclude(Q(response_excerpt="")), response_excerpt=""
    )
    return PurgeSummary(bodies, payloads, excerpts)


def _in_chunks(queryset: models.QuerySet, **changes: object) -> int:
    """Apply `changes` to the rows of `queryset`, CHUNK rows per transaction; return how many."""
    done, last = 0, 0
    while True:
        ids = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK])
        if not ids:
            return done
        with transaction.atomic():
            done += queryset.filter(pk__in=ids).update(**changes)
        last = ids[-1]


def purge_if_due(now: datetime | None = None) -> PurgeSummary | None:
    """Purge at most once an hour across all workers (the next run time is kept in the database)."""
    now = now or timezone.now()
    WorkSignal.objects.get_or_create(name=PURGE_SIGNAL)
    due = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    if not WorkSignal.objects.filter(due, name=PURGE_SIGNAL).update(lease_expires_at=now + PURGE_EVERY):
        return None
    summary = purge(now)
    prune_task_results()
    WorkerHeartbeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()
    return summary


def prune_task_results() -> None:
    """Delete finished task rows older than RELAY_TASK_RESULTS_DAYS, with django-tasks-db's own command."""
    call_command("prune_db_task_results", min_age_days=settings.RELAY_TASK_RESULTS_DAYS, queue_name="*", verbosity=0)

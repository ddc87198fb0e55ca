"""Delete what we hold of people once it is no longer needed: event bodies, payloads, response
excerpts older than RELAY_RETENTION_DAYS. What happened (statuses, attempts, times) stays."""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from executor.models import Delivery, DeliveryAttempt, InboundEvent, WorkSignal

PURGE_SIGNAL = "purge"
PURGE_EVERY = timedelta(hours=1)


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
    bodies = InboundEvent.objects.filter(
        received_at__lt=cutoff, purged_at__isnull=True, routed_at__isnull=False
    ).update(body=None, purged_at=now)
    # Pending deliveries keep their payload until they end, however old (a paused destination).
    payloads = Delivery.objects.filter(created_at__lt=cutoff, payload__isnull=False, status__in=Delivery.FINAL).update(
        payload=None
    )
    excerpts = (
        DeliveryAttempt.objects.filter(started_at__lt=cutoff)
        .exclude(Q(response_excerpt=""))
        .update(response_excerpt="")
    )
    return PurgeSummary(bodies, payloads, excerpts)


def purge_if_due(now: datetime | None = None) -> PurgeSummary | None:
    """Purge at most once an hour across all workers (the next run time is kept in the database)."""
    now = now or timezone.now()
    WorkSignal.objects.get_or_create(name=PURGE_SIGNAL)
    due = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    if not WorkSignal.objects.filter(due, name=PURGE_SIGNAL).update(lease_expires_at=now + PURGE_EVERY):
        return None
    return purge(now)

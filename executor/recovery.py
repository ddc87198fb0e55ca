"""Recover work whose worker died or whose wake-up was lost. The tables are the truth.

Runs every few seconds in each worker (manage.py worker). Everything here is idempotent.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from executor import wakeups
from executor.models import Delivery, DeliveryAttempt, InboundEvent

# An event is routed within milliseconds of being stored; one still unrouted after this lost its wake-up.
UNROUTED_GRACE = timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class SweepSummary:
    unrouted_events: int
    recovered_deliveries: int
    woken_senders: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def sweep(*, kick_router: Callable[[], None], kick_sender: Callable[[str], None]) -> SweepSummary:
    """Wake the router for stranded events and a sender for every key with due work and no live lease.

    `kick_sender` must enqueue even when the key's pending mark is already set (tasks.wake_sender).
    """
    now = timezone.now()
    unrouted = InboundEvent.objects.filter(routed_at__isnull=True, received_at__lt=now - UNROUTED_GRACE).count()
    if unrouted:
        kick_router()
    recovered = recover_abandoned_deliveries(now)
    due_keys = set(
        Delivery.objects.filter(
            status__in=Delivery.PENDING,
            next_attempt_at__lte=now,
            destination__enabled=True,
            destination__needs_attention=False,
            destination__test_mode=False,
        )
        .values_list("sender_key", flat=True)
        .distinct()
    )
    woken = 0
    for sender_key in due_keys:
        if not wakeups.lease_is_live(wakeups.sender_signal(sender_key), now):
            kick_sender(sender_key)
            woken += 1
    return SweepSummary(unrouted, recovered, woken)


def recover_abandoned_deliveries(now: object = None) -> int:
    """Put back in the queue deliveries left SENDING by a worker that stopped mid-request.

    Whether their request reached the destination is unknown: they go again with the same
    externalEventId, so a destination that deduplicates on it sees the event once.
    """
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(
            Delivery.objects.select_for_update(skip_locked=True).filter(
                status=Delivery.Status.SENDING, lease_expires_at__lt=now
            )
        )
        # A sender that still holds its key is alive and will record these itself: taking them
        # back would let it (or another) send them a second time.
        live = {
            key for key in {d.sender_key for d in expired} if wakeups.lease_is_live(wakeups.sender_signal(key), now)
        }
        stuck = [delivery for delivery in expired if delivery.sender_key not in live]
        if not stuck:
            return 0
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(
                delivery=delivery,
                number=delivery.attempt_count,
                started_at=delivery.updated_at,
                outcome=DeliveryAttempt.Outcome.LOST,
                error="The worker stopped before recording an answer.",
            )
            for delivery in stuck
        )
        Delivery.objects.filter(id__in=[d.id for d in stuck], status=Delivery.Status.SENDING).update(
            status=Delivery.Status.RETRYING, lease_token="", lease_expires_at=None, next_attempt_at=now
        )
    return len(stuck)

"""Recover work whose worker died or whose wake-up was lost. The tables are the truth.

Runs every few seconds in each worker (manage.py worker). Everything here is idempotent.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.utils import timezone

from executor import lifecycle, wakeups
from executor.models import Delivery, InboundEvent

# A stored event wakes a router as soon as it is committed; one still unrouted after this lost its wake-up.
UNROUTED_GRACE = timedelta(seconds=10)
# A live router routes an event within milliseconds of its commit: one unrouted after this has
# none (its router thread died with its worker, leaving the mark set, so kicks enqueue nothing).
ROUTERLESS_AFTER = timedelta(seconds=2)


@dataclass(frozen=True, slots=True)
class SweepSummary:
    unrouted_events: int
    recovered_deliveries: int
    woken_senders: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def sweep(*, kick_router: Callable[[], None], kick_sender: Callable[[str], None]) -> SweepSummary:
    """Wake the router for stranded events and a sender for every key with due work and no live lease.

    Both must enqueue even when the pending mark is already set (tasks.wake_router, wake_sender):
    a worker that died while routing or sending may have left it set with nobody behind it.
    """
    now = timezone.now()
    unrouted = InboundEvent.objects.filter(routed_at__isnull=True, received_at__lt=now - UNROUTED_GRACE).count()
    if unrouted:
        kick_router()
    recovered = lifecycle.recover_abandoned(now)
    due_keys = set(lifecycle.due_anywhere(now).values_list("sender_key", flat=True).distinct())
    woken = 0
    for sender_key in due_keys:
        if not wakeups.lease_is_live(wakeups.sender_signal(sender_key), now):
            kick_sender(sender_key)
            woken += 1
    _resume_backfills()
    return SweepSummary(unrouted, recovered, woken)


def _resume_backfills() -> None:
    """A backfill whose worker died with its task gets a new task chain (executor.backfill.resume_stranded)."""
    from executor.tasks import resume_backfills  # executor.tasks imports this module

    resume_backfills()


def take_over(*, kick_router: Callable[[], None], kick_sender: Callable[[str], None]) -> int:
    """Between sweeps (every second in each worker), take over what a worker that just died held.

    Events unrouted for ROUTERLESS_AFTER wake a router. Where a key's lease dies with its holder's
    connection (PostgreSQL), a sender is woken for every key with claims whose lock nobody holds:
    the sender that takes the lock takes the dead holder's claims back and sends them again, with
    the same externalEventId (executor.sending.drain). Returns how many keys were woken.
    """
    if InboundEvent.objects.filter(routed_at__isnull=True, received_at__lt=timezone.now() - ROUTERLESS_AFTER).exists():
        kick_router()
    if not wakeups.leases_die_with_their_holder():
        return 0
    claimed_keys = set(
        Delivery.objects.filter(status=Delivery.Status.SENDING)
        .order_by()
        .values_list("sender_key", flat=True)
        .distinct()
    )
    orphaned = [key for key in claimed_keys if not wakeups.lease_is_live(wakeups.sender_signal(key))]
    for sender_key in orphaned:
        kick_sender(sender_key)
    return len(orphaned)

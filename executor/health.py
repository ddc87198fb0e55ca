"""Is this deployment alive and ready? For load balancers, Kubernetes probes and people.

Answers carry no personal data: only check names, states and ages.
"""

import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from executor.models import Delivery, WorkerHeartbeat

WORKER_SEEN_WITHIN = timedelta(minutes=1)
# Deliveries due longer than this, for a destination that is not paused, mean the sender is stuck.
SENDER_STUCK_AFTER = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


def beat(worker_id: str, now: datetime | None = None) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id, defaults={"host": socket.gethostname()[:200], "seen_at": now or timezone.now()}
    )


def forget_worker(worker_id: str) -> None:
    """Drop the heartbeat of a worker known to be dead (its supervisor killed it or saw it exit)."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def readiness(now: datetime | None = None) -> list[Check]:
    """The checks of /readyz: the database answers, a worker was seen lately, no due delivery waits too long."""
    now = now or timezone.now()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        return [Check("database", False, f"The database does not answer ({type(error).__name__}).")]
    checks = [Check("database", True, "The database answers.")]
    last = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    if last is not None and now - last <= WORKER_SEEN_WITHIN:
        checks.append(Check("worker", True, f"A worker was seen {int((now - last).total_seconds())} s ago."))
    else:
        checks.append(Check("worker", False, "No worker was seen in the last minute: nothing is routed or sent."))
    stuck = Delivery.objects.filter(
        status__in=Delivery.PENDING,
        next_attempt_at__lt=now - SENDER_STUCK_AFTER,
        destination__enabled=True,
        destination__needs_attention=False,
        destination__test_mode=False,
    )
    oldest = stuck.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    if oldest is None:
        checks.append(Check("sender", True, "No delivery has waited past its time for more than 5 minutes."))
    else:
        minutes = int((now - oldest).total_seconds() // 60)
        checks.append(Check("sender", False, f"A delivery has been due for {minutes} minutes: the sender is stuck."))
    return checks

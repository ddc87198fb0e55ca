"""Health probes: /healthz (the process is alive) and /readyz (database, a worker seen lately, the sender not stuck)."""

import threading
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from executor import health
from executor.models import Delivery
from tests.events import shipped_event

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_signing_in(client: Client) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_is_not_ready_without_a_worker(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True


def test_readyz_is_ready_with_a_worker_seen_lately(client: Client) -> None:
    health.beat("w1")
    response = client.get("/readyz")
    assert (response.status_code, response.json()["status"]) == (200, "ready")


def test_readyz_says_when_the_sender_is_stuck(client: Client, order_shipped) -> None:
    from executor.ingest import ingest
    from executor.routing import route_unrouted

    health.beat("w1")
    ingest([shipped_event(1)], source="api", write_key=None)
    route_unrouted()
    Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=10))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "stuck" in response.json()["checks"]["sender"]["detail"]


# The housekeeping thread closes its connection as it ends: outside the test's transaction.
@pytest.mark.django_db(transaction=True)
def test_a_worker_beats_from_its_housekeeping_thread() -> None:
    from executor.management.commands import worker
    from executor.models import WorkerHeartbeat

    stop = threading.Event()
    stop.set()
    worker._housekeeping(stop, "w-test", sweep=False)
    assert WorkerHeartbeat.objects.filter(worker_id="w-test").exists()


@pytest.mark.django_db
def test_a_dead_workers_heartbeat_is_forgotten_and_no_other() -> None:
    from executor.models import WorkerHeartbeat

    health.beat("deadworkerab")
    health.beat("liveworkerab")
    health.forget_worker("deadworkerab")
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["liveworkerab"]

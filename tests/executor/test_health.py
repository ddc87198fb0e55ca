"""Probes and metrics: unauthenticated health, token-protected metrics, nothing personal in either."""

import threading
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from executor import health
from executor.models import Delivery, DeliveryAttempt
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


def test_a_worker_beats_from_its_housekeeping_thread() -> None:
    from executor.management.commands import worker
    from executor.models import WorkerHeartbeat

    stop = threading.Event()
    stop.set()
    worker._housekeeping(stop, "w-test", sweep=False)
    assert WorkerHeartbeat.objects.filter(worker_id="w-test").exists()


def test_metrics_are_off_without_a_token(client: Client, settings) -> None:
    settings.RELAY_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_token(client: Client, settings) -> None:
    settings.RELAY_METRICS_TOKEN = "scrape-secret-123"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_metrics_report_deliveries_attempts_latency_and_ingest(
    client: Client, settings, order_shipped, write_key
) -> None:
    settings.RELAY_METRICS_TOKEN = "scrape-secret-123"
    client.post(
        "/api/v1/events",
        shipped_event(1),
        content_type="application/json",
        headers={"Authorization": f"Bearer {write_key}"},
    )
    from executor.routing import route_unrouted

    route_unrouted()
    delivery = Delivery.objects.get()
    DeliveryAttempt.objects.create(
        delivery=delivery, number=1, started_at=timezone.now(), status_code=429, latency_ms=40, outcome="retry"
    )
    text = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-123"}).content.decode()
    assert 'relay_deliveries{action_type="custom_event",status="queued"} 1.0' in text
    assert 'relay_delivery_attempts_total{code="429"} 1.0' in text
    assert "relay_rate_limited_responses_total 1.0" in text
    assert 'relay_send_latency_seconds_bucket{le="0.05"} 1.0' in text
    assert "relay_oldest_pending_delivery_age_seconds" in text
    assert 'relay_sender_rate_per_second{sender_key="' in text
    assert 'relay_ingest_requests_total{endpoint="api",status="202"}' in text
    assert "person1@example.com" not in text

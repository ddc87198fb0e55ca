"""Prometheus metrics at /metrics: off without a token, behind it otherwise, and what they report."""

import pytest
from django.test import Client
from django.utils import timezone

from destinations.errors import RetryableError
from executor import lifecycle
from executor.models import Delivery, DeliveryAttempt
from executor.routing import route_unrouted
from tests.events import shipped_event

pytestmark = pytest.mark.django_db


def test_metrics_are_off_without_a_token(client: Client, settings) -> None:
    settings.RELAY_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_token(client: Client, settings) -> None:
    settings.RELAY_METRICS_TOKEN = "scrape-secret-123"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401


TOKEN = "scrape-secret-123"


def _one_answer(client: Client, write_key: str, status: int, error: RetryableError | None = None) -> None:
    """An event through ingest and routing, sent once and answered `status`."""
    client.post(
        "/api/v1/events",
        shipped_event(1),
        content_type="application/json",
        headers={"Authorization": f"Bearer {write_key}"},
    )
    route_unrouted()
    (claimed,) = lifecycle.claim(Delivery.objects.get().sender_key, "token", limit=1)
    lifecycle.record([lifecycle.SendOutcome(claimed, timezone.now(), status, latency_ms=40, error=error)])


def _scrape(client: Client) -> str:
    return client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content.decode()


def test_metrics_report_deliveries_attempts_latency_and_ingest(
    client: Client, settings, order_shipped, write_key
) -> None:
    settings.RELAY_METRICS_TOKEN = TOKEN
    _one_answer(client, write_key, 429, RetryableError("Rate limited.", status=429))
    text = _scrape(client)
    assert 'relay_deliveries{action_type="custom_event",status="retrying"} 1.0' in text
    assert 'relay_delivery_attempts_total{code="429"} 1.0' in text
    assert "relay_rate_limited_responses_total 1.0" in text
    assert 'relay_send_latency_seconds_bucket{le="0.05"} 1.0' in text
    assert "relay_oldest_pending_delivery_age_seconds" in text
    assert 'relay_sender_rate_per_second{sender_key="' in text
    assert 'relay_ingest_requests_total{endpoint="api",status="202"}' in text
    assert "person1@example.com" not in text


def test_attempt_counters_never_go_down_when_attempts_are_deleted(
    client: Client, settings, order_shipped, write_key
) -> None:
    settings.RELAY_METRICS_TOKEN = TOKEN
    _one_answer(client, write_key, 200)
    DeliveryAttempt.objects.all().delete()  # as retention or an erasure deletes them
    assert 'relay_delivery_attempts_total{code="200"} 1.0' in _scrape(client)

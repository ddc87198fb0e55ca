"""Retention: what the hourly purge deletes and keeps, in chunks, and what a purged delivery can still do."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from executor import retention
from executor.models import Delivery, InboundEvent

pytestmark = pytest.mark.django_db


def test_purge_deletes_bodies_payloads_and_excerpts_but_keeps_outcomes(old_history: Delivery) -> None:
    summary = retention.purge()
    assert summary.as_dict() == {"event_bodies": 1, "payloads": 1, "response_excerpts": 1}
    delivery = Delivery.objects.get()
    assert delivery.payload is None
    assert delivery.status == "delivered"
    assert delivery.event.body is None
    assert delivery.event.purged_at is not None
    attempt = delivery.attempts.get()
    assert (attempt.status_code, attempt.response_excerpt) == (200, "")


def test_recent_data_and_pending_deliveries_are_kept(old_history: Delivery) -> None:
    Delivery.objects.update(status="queued")
    InboundEvent.objects.update(received_at=timezone.now())
    retention.purge()
    assert Delivery.objects.get().payload is not None
    assert InboundEvent.objects.get().body is not None


def test_purge_runs_at_most_hourly(old_history: Delivery) -> None:
    assert retention.purge_if_due() is not None
    assert retention.purge_if_due() is None


def test_purge_command_prints_its_counts(old_history: Delivery) -> None:
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert json.loads(out.getvalue())["payloads"] == 1


def test_a_purged_delivery_cannot_be_replayed(old_history: Delivery) -> None:
    from executor import replay

    Delivery.objects.filter(pk=old_history.pk).update(status="failed")
    retention.purge()
    assert not replay.selection_queryset({"ids": [old_history.pk]}).exists()
    assert replay.requeue([old_history.pk], lambda key: None) == 0


def test_a_pending_delivery_without_a_payload_is_failed_not_sent_empty(old_history: Delivery, fake) -> None:
    from executor import sending

    Delivery.objects.filter(pk=old_history.pk).update(
        status="queued", payload=None, next_attempt_at=timezone.now(), sender_key="k"
    )
    sending.drain("k")
    old_history.refresh_from_db()
    assert old_history.status == Delivery.Status.FAILED
    assert fake.received == []


def test_the_purge_works_in_chunks(old_history: Delivery, monkeypatch) -> None:
    from django.db import transaction

    monkeypatch.setattr(retention, "CHUNK", 1)
    for number in range(3):
        InboundEvent.objects.create(
            source="api",
            event_type="track",
            message_id=f"m{number}",
            body={},
            received_at=timezone.now() - timedelta(days=40),
            routed_at=timezone.now(),
        )
    commits = []
    real_atomic = transaction.atomic
    monkeypatch.setattr(retention.transaction, "atomic", lambda *a, **k: commits.append(1) or real_atomic(*a, **k))
    assert retention.purge().event_bodies == 4
    assert len(commits) >= 4 + 1 + 1  # one transaction per event body, payload and excerpt


def test_finished_task_rows_are_pruned_with_the_hourly_purge(settings) -> None:
    from django_tasks_db.models import DBTaskResult

    from executor.tasks import route_pending

    settings.RELAY_TASK_RESULTS_DAYS = 1
    result = route_pending.enqueue()
    DBTaskResult.objects.filter(id=result.id).update(
        status="SUCCESSFUL", finished_at=timezone.now() - timedelta(days=2)
    )
    retention.purge_if_due()
    assert not DBTaskResult.objects.filter(id=result.id).exists()

import json
from datetime import timedelta
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from core import crypto
from destinations.models import Destination
from executor import retention
from executor.models import Delivery, DeliveryAttempt, InboundEvent
from tests.fake_attentive import GOOD_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_history() -> Delivery:
    destination = Destination(name="D")
    destination.set_api_key(GOOD_KEY)
    destination.save()
    long_ago = timezone.now() - timedelta(days=31)
    event = InboundEvent.objects.create(
        source="api",
        event_type="track",
        event_name="HIV Test Booked",
        message_id="jane@example.com",
        body={"email": "jane@example.com"},
        received_at=long_ago,
        routed_at=long_ago,
    )
    delivery = Delivery.objects.create(
        event=event,
        destination=destination,
        action_snapshot={},
        sender_key="k",
        status="delivered",
        payload={"user": {"email": "jane@example.com"}},
        created_at=long_ago,
    )
    DeliveryAttempt.objects.create(
        delivery=delivery, number=1, started_at=long_ago, status_code=200, outcome="delivered", response_excerpt="{}"
    )
    return delivery


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


def test_rotating_the_key_re_encrypts_everything_under_the_new_key(old_history: Delivery, settings) -> None:
    old_key = settings.RELAY_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.RELAY_ENCRYPTION_KEYS = [new_key, old_key]
    out = StringIO()
    call_command("rotate_encryption_key", stdout=out)
    counts = json.loads(out.getvalue())
    assert counts["Destination.api_key_encrypted"] == 1
    assert counts["InboundEvent.body"] == counts["Delivery.payload"] == 1
    settings.RELAY_ENCRYPTION_KEYS = [new_key]
    destination = Destination.objects.get()
    assert crypto.decrypt(destination.api_key_encrypted) == GOOD_KEY
    assert Delivery.objects.get().payload == {"user": {"email": "jane@example.com"}}
    event = InboundEvent.objects.get()
    assert event.body == {"email": "jane@example.com"}
    assert (event.event_name, event.message_id) == ("HIV Test Booked", "jane@example.com")
    assert counts["InboundEvent.event_name"] == counts["InboundEvent.message_id"] == 1


def test_rotation_finds_every_encrypted_field_by_itself() -> None:
    from executor.management.commands.rotate_encryption_key import encrypted_fields

    names = {f"{model.__name__}.{field}" for model, field in encrypted_fields()}
    assert {
        "InboundEvent.body",
        "InboundEvent.event_name",
        "InboundEvent.message_id",
        "Delivery.payload",
        "DeliveryAttempt.response_excerpt",
        "Destination.api_key_encrypted",
        "TotpDevice.secret_encrypted",
    } <= names


def test_rotation_never_brings_back_a_body_purged_while_it_runs(old_history: Delivery, settings, monkeypatch) -> None:
    settings.RELAY_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), settings.RELAY_ENCRYPTION_KEYS[0]]
    reencrypt = crypto.reencrypt

    def purge_first(token: str) -> str:
        retention.purge(days=0)  # the hourly purge runs between rotation's read and its write
        return reencrypt(token)

    monkeypatch.setattr(crypto, "reencrypt", purge_first)
    call_command("rotate_encryption_key", stdout=StringIO())
    assert InboundEvent.objects.get().body is None
    assert Delivery.objects.get().payload is None


def test_rotation_never_overwrites_an_api_key_changed_while_it_runs(
    old_history: Delivery, settings, monkeypatch
) -> None:
    settings.RELAY_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), settings.RELAY_ENCRYPTION_KEYS[0]]
    reencrypt = crypto.reencrypt
    new_key = "ak_live_changed_meanwhile_9999"

    def edit_first(token: str) -> str:
        destination = Destination.objects.get()
        if crypto.decrypt(destination.api_key_encrypted) != new_key:
            destination.set_api_key(new_key)
            destination.save()
        return reencrypt(token)

    monkeypatch.setattr(crypto, "reencrypt", edit_first)
    call_command("rotate_encryption_key", stdout=StringIO())
    assert crypto.decrypt(Destination.objects.get().api_key_encrypted) == new_key


def test_rotation_re_encrypts_two_factor_secrets(settings, django_user_model) -> None:
    from accounts import two_factor

    device, secret = two_factor.start_setup(django_user_model.objects.create_user("ada"))
    old_key = settings.RELAY_ENCRYPTION_KEYS[0]
    settings.RELAY_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    call_command("rotate_encryption_key", stdout=StringIO())
    settings.RELAY_ENCRYPTION_KEYS = settings.RELAY_ENCRYPTION_KEYS[:1]
    device.refresh_from_db()
    assert two_factor.secret_of(device) == secret


def test_stored_payloads_and_bodies_are_ciphertext(old_history: Delivery) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM executor_delivery")
        payload = cursor.fetchone()[0]
        cursor.execute("SELECT api_key_encrypted FROM destinations_destination")
        key = cursor.fetchone()[0]
    assert "jane@example.com" not in payload
    assert GOOD_KEY not in key


def test_event_names_and_message_ids_rest_encrypted_and_are_found_by_keyed_hash(old_history: Delivery) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT event_name, message_id, message_id_hash FROM executor_inboundevent")
        event_name, message_id, message_id_hash = cursor.fetchone()
    assert "HIV" not in event_name
    assert "jane" not in message_id
    assert "jane" not in message_id_hash
    from executor.queries import filter_deliveries

    assert list(filter_deliveries({"message_id": "jane@example.com"})) == [old_history]
    assert list(filter_deliveries({"message_id": "someone@else.com"})) == []


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


def test_a_key_change_moves_pending_deliveries_to_the_new_keys_pacing(old_history: Delivery) -> None:
    destination = old_history.destination
    Delivery.objects.filter(pk=old_history.pk).update(status="queued", sender_key=destination.sender_key)
    destination.set_api_key("ak_live_a_brand_new_key_1234")
    destination.save()
    old_history.refresh_from_db()
    assert old_history.sender_key == destination.sender_key

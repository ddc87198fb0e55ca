"""API-key fingerprints are keyed (core.crypto.fingerprint): /metrics labels are no digest of the key, and
migration 0010 keys the fingerprints stored before it, moving their deliveries along."""

import hashlib
import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from core import crypto
from destinations.models import Destination
from executor.models import Delivery, DeliveryAttempt, InboundEvent
from mapper.models import Action
from tests.fake_attentive import GOOD_KEY

BEFORE = [("executor", "0009_erasure_requests"), ("destinations", "0005_subscription_disclosure")]
AFTER = [("executor", "0010_keyed_api_key_fingerprints")]


def _plain_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@pytest.mark.django_db
def test_the_metrics_label_is_a_keyed_fingerprint_not_a_digest_of_the_key(
    client: Client, settings, order_shipped: Action
) -> None:
    settings.RELAY_METRICS_TOKEN = "scrape-secret-123"
    delivery = Delivery.objects.create(
        event=InboundEvent.objects.create(source="api", event_type="track", message_id="m-1", body={}),
        action=order_shipped,
        destination=order_shipped.destination,
        action_snapshot={},
        sender_key=order_shipped.destination.sender_key,
        status=Delivery.Status.DELIVERED,
    )
    DeliveryAttempt.objects.create(delivery=delivery, number=1, started_at=timezone.now(), status_code=200)
    text = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-123"}).content.decode()
    labels = re.findall(r'relay_sender_rate_per_second\{sender_key="([^"]+)"\}', text)
    assert labels == [crypto.fingerprint(GOOD_KEY)]
    assert not any(_plain_digest(GOOD_KEY)[:n] in text for n in range(6, 65))


def test_the_fingerprint_depends_on_the_secret_key(settings) -> None:
    settings.SECRET_KEY = "one-" + "x" * 50
    first = crypto.fingerprint(GOOD_KEY)
    settings.SECRET_KEY = "two-" + "x" * 50
    assert crypto.fingerprint(GOOD_KEY) != first
    assert len(first) == 16
    assert first != _plain_digest(GOOD_KEY)[:16]


@pytest.mark.django_db(transaction=True)
def test_the_migration_keys_stored_fingerprints_and_moves_their_deliveries() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    OldDestination = old_apps.get_model("destinations", "Destination")
    OldEvent = old_apps.get_model("executor", "InboundEvent")
    OldDelivery = old_apps.get_model("executor", "Delivery")
    unkeyed = _plain_digest(GOOD_KEY)[:16]
    destination = OldDestination.objects.create(
        name="Old", api_key_encrypted=crypto.encrypt(GOOD_KEY), api_key_fingerprint=unkeyed
    )
    lost = OldDestination.objects.create(name="Lost", api_key_encrypted="not-a-token", api_key_fingerprint="abc")
    event = OldEvent.objects.create(source="api", event_type="track", message_id="m", message_id_hash="h")
    for status in ("queued", "delivered"):
        OldDelivery.objects.create(
            event=event, action=None, destination=destination, action_snapshot={}, sender_key=unkeyed, status=status
        )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # the models below are today's

    assert Destination.objects.get(pk=destination.pk).api_key_fingerprint == crypto.fingerprint(GOOD_KEY)
    assert set(Delivery.objects.values_list("sender_key", flat=True)) == {crypto.fingerprint(GOOD_KEY)}
    assert Destination.objects.get(pk=lost.pk).sender_key == f"destination-{lost.pk}"

"""The executor's models at rest: bodies, payloads, names and message ids encrypted, found by keyed hash."""

import pytest
from django.db import connection

from executor.models import Delivery
from tests.fake_attentive import GOOD_KEY

pytestmark = pytest.mark.django_db


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

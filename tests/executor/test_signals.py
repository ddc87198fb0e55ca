"""Signals: a destination's key change moves its pending deliveries to the new key's pacing."""

import pytest

from executor.models import Delivery

pytestmark = pytest.mark.django_db


def test_a_key_change_moves_pending_deliveries_to_the_new_keys_pacing(old_history: Delivery) -> None:
    destination = old_history.destination
    Delivery.objects.filter(pk=old_history.pk).update(status="queued", sender_key=destination.sender_key)
    destination.set_api_key("ak_live_a_brand_new_key_1234")
    destination.save()
    old_history.refresh_from_db()
    assert old_history.sender_key == destination.sender_key

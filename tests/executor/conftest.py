from datetime import timedelta

import pytest
from django.utils import timezone

from destinations.models import Destination
from executor.models import Delivery, DeliveryAttempt, InboundEvent, WriteKey
from mapper.models import Action
from tests.executor.flows import action_from_preset
from tests.fake_attentive import GOOD_KEY


@pytest.fixture
def destination(db) -> Destination:
    destination = Destination(name="Brand", default_region="US")
    destination.set_api_key(GOOD_KEY)
    destination.save()
    return destination


@pytest.fixture
def order_shipped(destination: Destination) -> Action:
    return action_from_preset(destination, "custom_event", "order_shipped")


@pytest.fixture
def write_key(db) -> str:
    _, raw = WriteKey.issue("tests")
    return raw


@pytest.fixture
def old_history(db) -> Delivery:
    """A delivered delivery of 31 days ago, its event naming a person (for retention and keys)."""
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

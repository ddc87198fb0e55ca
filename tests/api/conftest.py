import pytest

from destinations.models import Destination
from mapper.models import Action
from tests.fake_attentive import GOOD_KEY


@pytest.fixture
def destination(db) -> Destination:
    destination = Destination(name="Acme", default_region="US")
    destination.set_api_key(GOOD_KEY)
    destination.save()
    return destination


@pytest.fixture
def action(destination: Destination) -> Action:
    return Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name="Shipped",
        trigger="event == 'Order Shipped'",
        mappings={"event_name": "event", "email": "context.traits.email"},
    )

import pytest

from destinations.attentive import ATTENTIVE
from destinations.models import Destination
from executor.models import WriteKey
from mapper.models import Action
from tests.fake_attentive import GOOD_KEY


@pytest.fixture
def destination(db) -> Destination:
    destination = Destination(name="Brand", default_region="US")
    destination.set_api_key(GOOD_KEY)
    destination.save()
    return destination


@pytest.fixture
def order_shipped(destination: Destination) -> Action:
    preset = ATTENTIVE.action("custom_event").preset("order_shipped")
    return Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name=preset.name,
        trigger=preset.trigger,
        mappings=dict(preset.mappings),
    )


@pytest.fixture
def write_key(db) -> str:
    _, raw = WriteKey.issue("tests")
    return raw

from collections.abc import Iterator

import pytest

from destinations.attentive import ATTENTIVE
from destinations.models import Destination
from executor import sending
from executor.models import WriteKey
from mapper.models import Action
from tests.fake_attentive import GOOD_KEY, FakeAttentive


@pytest.fixture
def fake(settings) -> Iterator[FakeAttentive]:
    server = FakeAttentive().start()
    settings.DEBUG = True  # lets ATTENTIVE_API_URL be plain http on 127.0.0.1
    settings.ATTENTIVE_API_URL = server.url
    settings.ATTENTIVE_TIMEOUT_SECONDS = 1.0
    sending.reset_clients()
    yield server
    sending.reset_clients()
    server.stop()


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

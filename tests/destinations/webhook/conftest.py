import pytest

from destinations.definition import DestinationType
from destinations.registry import DESTINATION_TYPES
from tests.destinations.webhook import WEBHOOK


@pytest.fixture
def webhook_type(monkeypatch) -> DestinationType:
    """The webhook destination type, registered for this test only."""
    monkeypatch.setitem(DESTINATION_TYPES, WEBHOOK.key, WEBHOOK)
    return WEBHOOK

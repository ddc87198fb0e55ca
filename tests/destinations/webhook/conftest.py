from collections.abc import Iterator

import pytest

from destinations.definition import DestinationType
from destinations.registry import DESTINATION_TYPES
from tests.destinations.webhook import WEBHOOK
from tests.destinations.webhook.client import BASE_URL
from tests.destinations.webhook.server import WebhookReceiver

PORT = 0  # any free port: CI machines run other things


@pytest.fixture
def webhook_type(monkeypatch) -> DestinationType:
    """The webhook destination type, registered for this test only (after Attentive)."""
    monkeypatch.setitem(DESTINATION_TYPES, WEBHOOK.key, WEBHOOK)
    return WEBHOOK


@pytest.fixture
def webhook_only(monkeypatch) -> DestinationType:
    """The webhook as the only destination type Relay knows, for this test only: what is said of "the
    default type" or "the only type" must then be said of it."""
    for key in list(DESTINATION_TYPES):
        monkeypatch.delitem(DESTINATION_TYPES, key)
    monkeypatch.setitem(DESTINATION_TYPES, WEBHOOK.key, WEBHOOK)
    return WEBHOOK


@pytest.fixture
def receiver(monkeypatch) -> Iterator[WebhookReceiver]:
    """A local webhook receiver the webhook type's clients post to, for this test."""
    from executor.runtime import runtime

    server = WebhookReceiver(PORT).start()
    monkeypatch.setitem(BASE_URL, "url", server.url)
    runtime.close_clients()
    try:
        yield server
    finally:
        runtime.close_clients()
        server.stop()

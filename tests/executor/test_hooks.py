"""What the executor lends the mapper's pages: real events as samples, masked for everyone but admins."""

import pytest

from destinations.attentive import ATTENTIVE
from executor import hooks
from executor.ingest import ingest
from tests.events import shipped_event

pytestmark = pytest.mark.django_db


def test_the_last_events_are_masked_for_everyone_but_admins() -> None:
    ingest([shipped_event(1), shipped_event(2)], source="api", write_key=None)
    (newest, _) = hooks.recent_events(100, show_values=False)
    assert newest["context"]["traits"]["email"] == "•••"
    assert newest["event"] == "Order Shipped"  # an event name without health words stays readable
    (admin_view, _) = hooks.recent_events(100, show_values=True)
    assert admin_view["context"]["traits"]["email"] == "person2@example.com"


def test_samples_from_real_events_say_when_they_came_and_hide_their_values() -> None:
    ingest([shipped_event(3)], source="api", write_key=None)
    (sample,) = hooks.recent_event_samples(ATTENTIVE.action("custom_event"), show_values=False)
    assert sample.label.startswith("Received ")
    assert sample.event["properties"]["order_id"] == "•••"

"""What the executor lends the mapper's pages: real events as samples, masked for everyone but admins."""

import pytest

from executor import samples_and_statuses
from executor.ingest import ingest
from tests.events import shipped_event

pytestmark = pytest.mark.django_db


def test_the_last_events_are_masked_for_everyone_but_admins() -> None:
    ingest([shipped_event(1), shipped_event(2)], source="api", write_key=None)
    (newest, _) = samples_and_statuses.recent_events(100, show_values=False)
    assert newest["context"]["traits"]["email"] == "•••"
    assert newest["event"] == "Order Shipped"  # an event name without health words stays readable
    (admin_view, _) = samples_and_statuses.recent_events(100, show_values=True)
    assert admin_view["context"]["traits"]["email"] == "person2@example.com"


def test_samples_from_real_events_say_when_they_came_and_hide_their_values() -> None:
    ingest([shipped_event(3)], source="api", write_key=None)
    (sample,) = samples_and_statuses.find_event_samples("", "", 5, show_values=False)
    assert sample.label.startswith("Received ")
    assert sample.event["properties"]["order_id"] == "•••"


def test_samples_offered_are_the_events_the_trigger_matches_judged_on_real_values() -> None:
    ingest([shipped_event(4), {**shipped_event(5), "event": "Cart Viewed"}], source="api", write_key=None)
    found = samples_and_statuses.find_event_samples(
        "properties.order_id != `null` && event == 'Order Shipped'", "", 5, False
    )
    assert [sample.label.rsplit(": ", 1)[1] for sample in found] == ["Order Shipped"]


def test_samples_are_searched_by_name_as_the_person_sees_names() -> None:
    ingest([shipped_event(6), {**shipped_event(7), "event": "Diagnosis Recorded"}], source="api", write_key=None)
    assert [s.label.rsplit(": ", 1)[1] for s in samples_and_statuses.find_event_samples("", "shipp", 5, False)] == [
        "Order Shipped"
    ]
    assert samples_and_statuses.find_event_samples("", "diagnosis", 5, False) == []  # a health name is masked for them
    assert len(samples_and_statuses.find_event_samples("", "diagnosis", 5, True)) == 1

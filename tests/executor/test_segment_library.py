"""Segment's own Python library, pointed at Relay by changing its host, delivers through Relay."""

import pytest
from segment.analytics import Client
from segment.analytics.request import APIError

from executor.models import InboundEvent, WriteKey

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("gzip", [False, True], ids=["plain", "gzip"])
def test_analytics_python_track_and_identify_arrive(live_server, gzip: bool) -> None:
    _, raw_key = WriteKey.issue("analytics-python")
    errors = []
    client = Client(
        raw_key, host=live_server.url, sync_mode=True, gzip=gzip, on_error=lambda e, batch: errors.append(e)
    )
    client.track("user-1", "Order Shipped", {"order_id": "54321"}, context={"traits": {"email": "a@example.com"}})
    client.identify("user-1", {"email": "a@example.com", "firstName": "Ada"})
    client.flush()
    assert errors == []
    events = {event.event_type: event for event in InboundEvent.objects.all()}
    assert set(events) == {"track", "identify"}
    assert events["track"].event_name == "Order Shipped"
    assert events["track"].body["properties"] == {"order_id": "54321"}
    assert events["track"].body["context"]["traits"] == {"email": "a@example.com"}
    assert events["track"].body["context"]["library"]["name"] == "analytics-python"
    assert events["identify"].body["traits"]["firstName"] == "Ada"
    assert {event.source for event in events.values()} == {"segment"}


def test_analytics_python_with_a_wrong_key_is_refused(live_server) -> None:
    client = Client("rwk_not-a-key", host=live_server.url, sync_mode=True, max_retries=0)
    with pytest.raises(APIError) as caught:
        client.track("user-1", "Order Shipped")
    assert caught.value.status == 401
    assert not InboundEvent.objects.exists()

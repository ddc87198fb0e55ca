"""The delivery log page and its replay form refuse a filter they cannot read: a 400 page naming it,
never the whole log (nor a replay of every dead letter)."""

import pytest
from django.test import Client

from accounts.roles import set_role
from executor.models import Delivery, InboundEvent
from mapper.models import Action

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer(client: Client, django_user_model) -> Client:
    user = django_user_model.objects.create_user("mia", password="a-long-password-1")
    set_role(user, "marketer")
    client.force_login(user)
    return client


@pytest.fixture
def failed(order_shipped: Action) -> Delivery:
    event = InboundEvent.objects.create(
        source="api", event_type="track", event_name="Order Shipped", message_id="m-1", body={}
    )
    return Delivery.objects.create(
        event=event,
        action=order_shipped,
        destination=order_shipped.destination,
        action_snapshot={},
        sender_key="k",
        status=Delivery.Status.FAILED,
        payload={"type": "Order Shipped"},
    )


@pytest.mark.parametrize(
    "query",
    [{"destination": "²"}, {"event": "²"}, {"action": "x"}, {"status": "nope"}, {"period": "1y"}, {"destinaton": "1"}],
)
def test_a_malformed_filter_of_the_log_is_a_400_page_naming_it(marketer: Client, failed: Delivery, query) -> None:
    response = marketer.get("/deliveries/", query)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Filter not understood" in html
    assert f"<code>{next(iter(query))}</code>" in html
    assert f"/events/{failed.event_id}/" not in html  # no list at all, let alone the unfiltered one
    assert 'href="/deliveries/"' in html


def test_a_well_formed_filter_of_the_log_still_filters(marketer: Client, failed: Delivery) -> None:
    shown = marketer.get("/deliveries/", {"destination": failed.destination_id, "page": "1"})
    assert shown.status_code == 200
    assert f"/events/{failed.event_id}/" in shown.content.decode()
    other = marketer.get("/deliveries/", {"destination": failed.destination_id + 1})
    assert f"/events/{failed.event_id}/" not in other.content.decode()


@pytest.mark.parametrize("url", ["/deliveries/replay/", "/deliveries/rerun/"])
def test_a_replay_or_rerun_by_a_malformed_filter_is_a_400_and_changes_nothing(
    marketer: Client, failed: Delivery, url: str
) -> None:
    response = marketer.post(url, {"scope": "filter", "destination": "²"})
    assert response.status_code == 400
    assert "<code>destination</code>" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == Delivery.Status.FAILED

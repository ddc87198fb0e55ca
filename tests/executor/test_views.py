"""Events that matched no action: in the log, found by message id, and why on the event page."""

import pytest
from django.utils import timezone

from destinations.models import Destination
from executor.ingest import ingest
from executor.models import Delivery, InboundEvent
from executor.routing import route_unrouted
from mapper.models import Action
from tests.events import shipped_event
from tests.mapper.test_trial_send import signed_in

pytestmark = pytest.mark.django_db

CART = {
    "type": "track",
    "event": "Cart Viewed",
    "messageId": "msg-cart-1",
    "properties": {"cart_value": "88.00"},
    "context": {"traits": {"email": "jane@example.com"}},
}


@pytest.fixture
def unmatched() -> InboundEvent:
    destination = Destination.objects.create(name="Acme", test_mode=True)
    Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name="Big carts",
        trigger="type == 'track' && event == 'Cart Viewed' && properties.cart_value > `50`",
        mappings={"event_name": "event", "email": "context.traits.email"},
    )
    Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name="Shipped",
        trigger="event == 'Order Shipped'",
        mappings={"event_name": "event", "email": "context.traits.email"},
    )
    return InboundEvent.objects.create(
        source="api",
        event_type="track",
        event_name="Cart Viewed",
        message_id="msg-cart-1",
        body=CART,
        routed_at=timezone.now(),
    )


def test_the_event_page_names_the_failing_condition_and_catches_a_number_sent_as_text(unmatched) -> None:
    html = signed_in("engineer").get(f"/events/{unmatched.pk}/").content.decode()
    assert "Big carts: trigger did not match: “properties.cart_value” is text in this event" in html
    assert "to_number(properties.cart_value)" in html
    assert "Shipped: trigger did not match: the event name is not “Order Shipped”" in html
    assert "88.00" not in html  # names the condition, never the value


def test_the_log_lists_events_that_matched_no_action(unmatched) -> None:
    html = signed_in("marketer").get("/deliveries/?status=no_action").content.decode()
    assert f"Cart Viewed #{unmatched.pk}" in html
    assert "matched no action" in html


def test_the_log_counts_them_and_links_to_them(unmatched) -> None:
    html = signed_in("marketer").get("/deliveries/").content.decode()
    assert "1 event matched no action" in html
    assert "?status=no_action" in html


def test_a_message_id_that_matched_no_action_finds_its_event(unmatched) -> None:
    html = signed_in("engineer").get("/deliveries/?message_id=msg-cart-1").content.decode()
    assert "No delivery matches, but the event was received" in html
    assert f"/events/{unmatched.pk}/" in html


def test_an_event_with_a_delivery_is_not_listed_as_matching_no_action(unmatched) -> None:
    Delivery.objects.create(
        event=unmatched,
        action=Action.objects.first(),
        destination=Destination.objects.get(),
        action_snapshot={"name": "Big carts"},
        sender_key="k",
        status="skipped",
    )
    html = signed_in("marketer").get("/deliveries/?status=no_action").content.decode()
    assert "No event matches." in html


@pytest.mark.parametrize("role", ["admin", "marketer", "engineer"])
def test_the_log_and_the_event_page_say_why_a_paused_destinations_delivery_waits(order_shipped, role: str) -> None:
    # Outside test: the log showed it as "Queued · 0 attempts" with no reason; only the destination page said why.
    ingest([shipped_event(1)], source="api", write_key=None)
    route_unrouted()
    Destination.objects.update(needs_attention=True, attention_reason="Attentive refused the key (401).")
    client = signed_in(role)
    delivery = Delivery.objects.get()
    for page in ("/deliveries/", f"/events/{delivery.event_id}/"):
        text = client.get(page).content.decode()
        assert "Waiting: sending to this destination is paused. Attentive refused the key (401)." in text, page
        assert f'href="/destinations/{delivery.destination_id}/"' in text, "a link to the destination's page"


@pytest.mark.parametrize(
    ("disable", "said"),
    [
        ("destination", "Acme · Shipped: its destination is disabled"),
        ("action", "Acme · Shipped: the action is disabled"),
    ],
)
def test_the_event_page_says_whether_the_action_or_its_destination_is_disabled(unmatched, disable, said) -> None:
    # Outside test: an enabled action of a disabled destination was listed as "disabled".
    if disable == "destination":
        Destination.objects.update(enabled=False)
    else:
        Action.objects.filter(name="Shipped").update(enabled=False)
    text = signed_in("marketer").get(f"/events/{unmatched.pk}/").content.decode()
    assert said in text

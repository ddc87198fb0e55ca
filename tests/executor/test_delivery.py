"""Every action type end to end: an event routed and sent to the strict fake Attentive over real HTTP."""

import pytest
from django_tasks_db.models import DBTaskResult

from destinations.attentive import ATTENTIVE
from destinations.models import Destination
from executor import sending
from executor.models import Delivery, DeliveryAttempt, WorkSignal
from executor.tasks import route_pending
from mapper.models import Action
from tests.events import shipped_event
from tests.executor.flows import accept, action_from_preset, preset_of, route_and_send
from tests.fake_attentive import FakeAttentive

pytestmark = pytest.mark.django_db


EVERY_PRESET = [(action_type.key, preset.key) for action_type in ATTENTIVE.actions for preset in action_type.presets]


@pytest.mark.parametrize(("action_type", "preset_key"), EVERY_PRESET, ids=[key for _, key in EVERY_PRESET])
def test_every_preset_delivers_its_example_event_through_ingest_routing_and_sending(
    fake: FakeAttentive, destination: Destination, action_type: str, preset_key: str
) -> None:
    Destination.objects.filter(pk=destination.pk).update(subscription_disclosure="Reply STOP to cancel.")
    action_from_preset(destination, action_type, preset_key)
    preset = preset_of(destination, action_type, preset_key)
    accept({**preset.example_event, "timestamp": None})
    delivery = route_and_send(destination)
    assert delivery.status == Delivery.Status.DELIVERED, delivery.reason
    assert fake.paths == [ATTENTIVE.action(action_type).path]
    assert fake.received == [delivery.payload]


def test_matching_event_is_delivered_with_the_exact_body(fake: FakeAttentive, order_shipped: Action) -> None:
    accept(shipped_event(7))
    delivery = route_and_send(order_shipped.destination)
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.attempt_count == 1
    (body,) = fake.received
    assert body == delivery.payload
    assert body["type"] == "Order Shipped"
    assert body["user"]["phone"] == "+14155552671"
    attempt = delivery.attempts.get()
    assert (attempt.status_code, attempt.outcome) == (200, DeliveryAttempt.Outcome.DELIVERED)
    assert attempt.latency_ms > 0


def test_route_task_wakes_the_sender(fake: FakeAttentive, order_shipped: Action) -> None:
    accept(shipped_event())
    route_pending.call()
    assert WorkSignal.objects.get(name=f"send:{order_shipped.destination.sender_key}").pending
    assert DBTaskResult.objects.filter(task_path="executor.tasks.send_pending").count() == 1
    sending.drain(order_shipped.destination.sender_key)
    assert Delivery.objects.get().status == Delivery.Status.DELIVERED


def test_a_purchase_is_delivered_to_attentives_purchase_endpoint_and_accepted_by_the_strict_fake(
    fake: FakeAttentive, destination: Destination
) -> None:
    action_from_preset(destination, "purchase")
    preset = preset_of(destination, "purchase")
    accept({**preset.example_event, "event": "order_completed", "timestamp": None})
    delivery = route_and_send(destination)
    assert delivery.status == Delivery.Status.DELIVERED, delivery.reason
    assert fake.paths == ["/v1/events/ecommerce/purchase"]
    assert [item["price"] for item in fake.received[0]["items"]] == [
        [{"value": 49.5, "currency": "USD"}],
        [{"value": 27.95, "currency": "USD"}],
    ]


def test_a_body_attentive_would_refuse_is_a_400_from_the_strict_fake_and_fails_without_retry(
    fake: FakeAttentive, destination: Destination
) -> None:
    action_from_preset(destination, "product_view")
    preset = preset_of(destination, "product_view")
    accept({**preset.example_event, "timestamp": None})
    route_pending.call()
    # A body that slipped past Relay's checks (here: changed after routing) is refused, not retried.
    Delivery.objects.update(payload={"items": [], "user": {"email": "jane@example.com"}})
    sending.drain(destination.sender_key)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempt_count == 1
    assert fake.received == []


@pytest.mark.parametrize(
    ("action_type", "path", "limit"),
    [
        ("identify", "/v1/identity-resolution/user-identifiers", 10),
        ("unsubscribe", "/v1/subscriptions/unsubscribe", 5),
    ],
)
def test_identify_and_unsubscribe_reach_their_endpoints_paced_at_their_own_limits(
    fake: FakeAttentive, destination: Destination, action_type: str, path: str, limit: int
) -> None:
    action_from_preset(destination, action_type)
    preset = preset_of(destination, action_type)
    accept({**preset.example_event, "timestamp": None})
    delivery = route_and_send(destination)
    assert delivery.status == Delivery.Status.DELIVERED, delivery.reason
    assert delivery.attempts.get().status_code == 202
    assert fake.paths == [path]
    assert sending._pacer(delivery).limit == limit


def test_a_consented_sign_up_is_subscribed_and_one_without_consent_is_skipped_with_the_reason(
    fake: FakeAttentive, destination: Destination
) -> None:
    Destination.objects.filter(pk=destination.pk).update(subscription_disclosure="Reply STOP to cancel.")
    action_from_preset(destination, "subscribe")
    preset = preset_of(destination, "subscribe")
    accept(
        {**preset.example_event, "timestamp": None, "messageId": "yes"},
        {**preset.example_event, "timestamp": None, "messageId": "no", "properties": {"phone": "(415) 555-0199"}},
    )
    route_pending.call()
    sending.drain(destination.sender_key)
    statuses = {d.event.message_id: (d.status, d.reason) for d in Delivery.objects.select_related("event")}
    assert statuses["yes"][0] == Delivery.Status.DELIVERED
    assert statuses["no"] == (
        Delivery.Status.SKIPPED,
        "Skipped: the consent field is not true for this event, so nobody is subscribed.",
    )
    assert fake.paths == ["/v1/subscriptions"]

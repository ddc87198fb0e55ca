"""Route and send against a fake Attentive over real HTTP."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from destinations.models import Destination
from executor import recovery, routing, sending
from executor.ingest import ingest
from executor.models import Delivery, DeliveryAttempt, InboundEvent, WorkSignal
from executor.tasks import route_pending
from mapper.models import Action
from tests.events import shipped_event
from tests.fake_attentive import FakeAttentive

pytestmark = pytest.mark.django_db


def accept(*events: dict) -> None:
    ingest(list(events), source="api", write_key=None)


def route_and_send(destination: Destination) -> Delivery:
    route_pending.call()
    sending.drain(destination.sender_key)
    return Delivery.objects.get()


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


def test_event_that_matches_no_trigger_gets_no_delivery(order_shipped: Action) -> None:
    accept(shipped_event(event="Order Placed"))
    route_pending.call()
    assert not Delivery.objects.exists()
    assert InboundEvent.objects.get().routed_at is not None


def test_routing_twice_creates_no_duplicate(order_shipped: Action) -> None:
    accept(shipped_event())
    route_pending.call()
    InboundEvent.objects.update(routed_at=None)
    routing.route_unrouted()
    assert Delivery.objects.count() == 1


def test_test_mode_records_and_never_sends(fake: FakeAttentive, order_shipped: Action) -> None:
    Destination.objects.update(test_mode=True)
    accept(shipped_event())
    delivery = route_and_send(order_shipped.destination)
    assert delivery.status == Delivery.Status.SKIPPED
    assert "test mode" in delivery.reason
    assert delivery.payload["type"] == "Order Shipped"
    assert fake.received == []


def test_invalid_payload_is_recorded_with_its_field_errors(fake: FakeAttentive, order_shipped: Action) -> None:
    Action.objects.update(mappings={**order_shipped.mappings, "event_name": "'Order, Shipped'"})
    accept(shipped_event())
    delivery = route_and_send(order_shipped.destination)
    assert delivery.status == Delivery.Status.INVALID
    assert delivery.errors[0]["field"] == "event_name"
    assert delivery.errors[0]["code"] == "forbidden_character"
    assert fake.received == []


def test_event_without_identifier_is_skipped_with_the_reason(order_shipped: Action) -> None:
    accept(shipped_event(context={}, userId=None, anonymousId="anon-1"))
    route_pending.call()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SKIPPED
    assert "no identifier" in delivery.reason


def test_delivery_records_the_action_as_it_was_used(order_shipped: Action) -> None:
    accept(shipped_event())
    route_pending.call()
    Action.objects.update(name="Renamed", trigger="@")
    snapshot = Delivery.objects.get().action_snapshot
    assert snapshot["name"] == "Order Shipped"
    assert snapshot["trigger"] == order_shipped.trigger


@pytest.mark.parametrize("behaviour", ["500", "503", "drop", "429"])
def test_retryable_answers_are_retried_later(fake: FakeAttentive, order_shipped: Action, behaviour: str) -> None:
    fake.then(behaviour)
    accept(shipped_event())
    delivery = route_and_send(order_shipped.destination)
    assert delivery.status == Delivery.Status.RETRYING
    assert delivery.next_attempt_at > timezone.now() - timedelta(seconds=1)
    assert delivery.attempts.get().outcome == DeliveryAttempt.Outcome.RETRY


def test_timeout_is_retried(fake: FakeAttentive, order_shipped: Action, settings) -> None:
    settings.ATTENTIVE_TIMEOUT_SECONDS = 0.5
    sending.reset_clients()
    fake.then("slow")
    accept(shipped_event())
    delivery = route_and_send(order_shipped.destination)
    assert delivery.status == Delivery.Status.RETRYING
    assert "in time" in delivery.reason


def test_retry_after_is_honoured(fake: FakeAttentive, order_shipped: Action, settings) -> None:
    settings.RELAY_RETRY_BASE_SECONDS = 0.01
    fake.then("429-retry-after")
    accept(shipped_event())
    delivery = route_and_send(order_shipped.destination)
    assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=6)


def test_retried_delivery_goes_out_once_due(fake: FakeAttentive, order_shipped: Action) -> None:
    fake.then("503")
    accept(shipped_event())
    route_and_send(order_shipped.destination)
    Delivery.objects.update(next_attempt_at=timezone.now())
    sending.drain(order_shipped.destination.sender_key)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.attempt_count == 2
    assert len(fake.received) == 1


def test_client_error_fails_for_good_with_a_masked_response(fake: FakeAttentive, order_shipped: Action) -> None:
    fake.then("400")
    accept(shipped_event())
    delivery = route_and_send(order_shipped.destination)
    assert delivery.status == Delivery.Status.FAILED
    attempt = delivery.attempts.get()
    assert attempt.status_code == 400
    assert "Invalid parameter" in attempt.response_excerpt
    assert "jane@example.com" not in attempt.response_excerpt


def test_rejected_key_pauses_the_destination_and_keeps_the_delivery(fake: FakeAttentive, order_shipped: Action) -> None:
    fake.api_keys.clear()
    accept(shipped_event())
    delivery = route_and_send(order_shipped.destination)
    destination = Destination.objects.get()
    assert destination.needs_attention
    assert "401" in destination.attention_reason
    assert delivery.status == Delivery.Status.QUEUED
    assert not sending.has_due_work(destination.sender_key)


def test_outside_the_retry_window_the_delivery_is_dead(fake: FakeAttentive, order_shipped: Action, settings) -> None:
    settings.RELAY_RETRY_WINDOW_SECONDS = 1
    fake.then("500")
    accept(shipped_event())
    route_pending.call()
    Delivery.objects.update(retry_window_start=timezone.now() - timedelta(hours=1))
    sending.drain(order_shipped.destination.sender_key)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.DEAD
    assert delivery.attempts.get().outcome == DeliveryAttempt.Outcome.DEAD


def test_delivered_delivery_is_never_sent_again(fake: FakeAttentive, order_shipped: Action) -> None:
    accept(shipped_event())
    route_and_send(order_shipped.destination)
    Delivery.objects.update(next_attempt_at=timezone.now())
    sending.drain(order_shipped.destination.sender_key)
    recovery.sweep(kick_router=lambda: None, kick_sender=lambda key: None)
    assert len(fake.received) == 1


def test_a_second_sender_cannot_take_a_leased_key(order_shipped: Action) -> None:
    from executor import wakeups

    name = wakeups.sender_signal(order_shipped.destination.sender_key)
    assert wakeups.acquire_lease(name) is not None
    summary = sending.drain(order_shipped.destination.sender_key)
    assert not summary.leased


def test_pacing_keeps_below_the_rate_limit(settings, order_shipped: Action) -> None:
    settings.RELAY_RATE_LIMIT_PER_SECOND = 40
    server = FakeAttentive(rate_limit=45).start()
    settings.DEBUG, settings.ATTENTIVE_API_URL = True, server.url
    sending.reset_clients()
    try:
        accept(*[shipped_event(i) for i in range(60)])
        route_pending.call()
        sending.drain(order_shipped.destination.sender_key)
        assert Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() == 60
        assert server.statuses[429] == 0
    finally:
        sending.reset_clients()
        server.stop()


def test_privacy_rule_blocks_the_delivery_and_keeps_nothing_of_it(fake: FakeAttentive, order_shipped: Action) -> None:
    Action.objects.update(mappings={**order_shipped.mappings, "properties.Diagnosis": "properties.dx"})
    accept(shipped_event(properties={"order_id": "1", "dx": "E11.9"}))
    delivery = route_and_send(order_shipped.destination)
    assert delivery.status == Delivery.Status.BLOCKED
    assert "properties.Diagnosis" in delivery.reason
    assert delivery.payload is None
    assert delivery.errors[0]["code"] == "blocked_by_rule"
    assert fake.received == []


def test_missing_consent_skips_the_delivery(fake: FakeAttentive, order_shipped: Action) -> None:
    Destination.objects.update(consent_expression="context.consent.marketing")
    accept(shipped_event())
    delivery = route_and_send(order_shipped.destination)
    assert delivery.status == Delivery.Status.SKIPPED
    assert "consent" in delivery.reason
    assert fake.received == []


def test_an_event_too_old_for_journeys_at_send_time_is_noted_on_the_attempt(
    fake: FakeAttentive, order_shipped: Action
) -> None:
    # Fresh when routed; a retry or a replay sends it 13 hours later.
    accept(shipped_event(7))
    route_pending.call()
    delivery = Delivery.objects.get()
    payload = {**delivery.payload, "occurredAt": "2020-01-01T00:00:00.000Z"}
    Delivery.objects.filter(pk=delivery.pk).update(payload=payload)
    sending.drain(order_shipped.destination.sender_key)
    attempt = DeliveryAttempt.objects.get()
    assert attempt.outcome == DeliveryAttempt.Outcome.DELIVERED
    assert "more than 12 hours old when sent" in attempt.warning


def test_a_fresh_event_has_no_warning_at_send_time(fake: FakeAttentive, order_shipped: Action) -> None:
    accept(shipped_event(7))
    route_and_send(order_shipped.destination)
    assert DeliveryAttempt.objects.get().warning == ""


def test_a_delivery_that_failed_before_says_delivered_on_attempt_n(fake: FakeAttentive, order_shipped: Action) -> None:
    fake.then("503")
    accept(shipped_event(7))
    route_and_send(order_shipped.destination)
    Delivery.objects.update(next_attempt_at=timezone.now())
    sending.drain(order_shipped.destination.sender_key)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.reason) == ("delivered", "Delivered on attempt 2.")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"test_mode": True}, "Skipped: the destination is in test mode, so it was recorded, not sent."),
        ({"consent_expression": "context.consent"}, "Skipped: the destination's consent condition is false"),
    ],
)
def test_skipped_deliveries_say_why_in_a_sentence(order_shipped: Action, change: dict, expected: str) -> None:
    Destination.objects.filter(pk=order_shipped.destination_id).update(**change)
    accept(shipped_event(7))
    route_pending.call()
    assert Delivery.objects.get().reason.startswith(expected)


def test_an_invalid_delivery_says_what_is_wrong_in_words_not_codes(order_shipped: Action) -> None:
    Action.objects.filter(pk=order_shipped.pk).update(mappings={**order_shipped.mappings, "event_name": "'A, B'"})
    accept(shipped_event(7))
    route_pending.call()
    reason = Delivery.objects.get().reason
    assert "contains “,”" in reason
    assert "forbidden_character" not in reason


def test_a_purchase_is_delivered_to_attentives_purchase_endpoint_and_accepted_by_the_strict_fake(
    fake: FakeAttentive, destination: Destination
) -> None:
    from destinations.attentive.ecommerce import PURCHASE

    preset = PURCHASE.presets[0]
    Action.objects.create(
        destination=destination,
        action_type="purchase",
        name=preset.name,
        trigger=preset.trigger,
        mappings=dict(preset.mappings),
    )
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
    from destinations.attentive.ecommerce import PRODUCT_VIEW

    preset = PRODUCT_VIEW.presets[0]
    Action.objects.create(
        destination=destination,
        action_type="product_view",
        name=preset.name,
        trigger=preset.trigger,
        mappings=dict(preset.mappings),
    )
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
    from destinations.attentive import ATTENTIVE

    preset = ATTENTIVE.action(action_type).presets[0]
    Action.objects.create(
        destination=destination,
        action_type=action_type,
        name=preset.name,
        trigger=preset.trigger,
        mappings=dict(preset.mappings),
    )
    accept({**preset.example_event, "timestamp": None})
    delivery = route_and_send(destination)
    assert delivery.status == Delivery.Status.DELIVERED, delivery.reason
    assert delivery.attempts.get().status_code == 202
    assert fake.paths == [path]
    assert sending._pacer(delivery).limit == limit


def test_a_consented_sign_up_is_subscribed_and_one_without_consent_is_skipped_with_the_reason(
    fake: FakeAttentive, destination: Destination
) -> None:
    from destinations.attentive import ATTENTIVE

    preset = ATTENTIVE.action("subscribe").presets[0]
    Destination.objects.filter(pk=destination.pk).update(subscription_disclosure="Reply STOP to cancel.")
    Action.objects.create(
        destination=destination,
        action_type="subscribe",
        name=preset.name,
        trigger=preset.trigger,
        mappings=dict(preset.mappings),
    )
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

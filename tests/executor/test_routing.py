"""Routing: which actions run on an event, what each delivery records (status, reason, payload, errors),
and failure contained per (event, action): one broken configuration never stops the rest."""

import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from destinations.models import Destination
from executor import routing
from executor.models import Delivery, InboundEvent
from executor.tasks import route_pending
from mapper.models import Action
from tests.events import shipped_event
from tests.executor.flows import accept, route_and_send
from tests.fake_attentive import FakeAttentive

pytestmark = pytest.mark.django_db


@pytest.fixture
def healthy(order_shipped: Action) -> Action:
    return order_shipped


@pytest.fixture
def broken_destination(healthy: Action) -> Destination:
    destination = Destination.objects.create(name="Broken")
    Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name="Shipped too",
        trigger=healthy.trigger,
        mappings=healthy.mappings,
    )
    return destination


def test_an_invalid_stored_privacy_rule_fails_its_own_deliveries_and_routing_goes_on(
    healthy: Action, broken_destination: Destination
) -> None:
    # Reproduced: a rule checked whole but stored cut to 500 characters raised on every event,
    # aborted the chunk, and the sweep retried it for ever: no destination got anything.
    Destination.objects.filter(pk=broken_destination.pk).update(
        blocked_names=[{"label": "X", "pattern": "(" + "a|" * 248}]
    )
    accept(shipped_event(1), shipped_event(2))
    summary = routing.route_unrouted()
    assert summary.events == 2
    assert not InboundEvent.objects.filter(routed_at__isnull=True).exists()
    assert set(Delivery.objects.filter(destination=healthy.destination).values_list("status", flat=True)) == {"queued"}
    failed = Delivery.objects.filter(destination=broken_destination)
    assert set(failed.values_list("status", flat=True)) == {"failed"}
    assert "privacy rule" in failed.first().reason


def test_an_unknown_action_type_fails_its_own_deliveries(healthy: Action, broken_destination: Destination) -> None:
    Action.objects.filter(destination=broken_destination).update(action_type="retired_type")
    accept(shipped_event(1))
    routing.route_unrouted()
    assert Delivery.objects.get(destination=healthy.destination).status == Delivery.Status.QUEUED
    failed = Delivery.objects.get(destination=broken_destination)
    assert (failed.status, "unknown" in failed.reason) == (Delivery.Status.FAILED, True)


def test_an_undecryptable_body_fails_that_event_only(healthy: Action, settings) -> None:
    accept(shipped_event(1))
    settings.RELAY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    accept(shipped_event(2))
    settings.RELAY_ENCRYPTION_KEYS = settings.RELAY_ENCRYPTION_KEYS[:1]  # the first key is lost
    routing.route_unrouted()
    statuses = dict(Delivery.objects.values_list("event__id", "status"))
    first, second = InboundEvent.objects.order_by("id").values_list("id", flat=True)
    assert statuses == {first: Delivery.Status.FAILED, second: Delivery.Status.QUEUED}
    assert "cannot be decrypted" in Delivery.objects.get(event_id=first).reason


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


def test_routing_goes_through_every_full_chunk(order_shipped: Action, monkeypatch) -> None:
    monkeypatch.setattr(routing, "ROUTE_CHUNK", 2)
    accept(*(shipped_event(number) for number in range(5)))
    summary = routing.route_unrouted()
    assert summary.events == 5
    assert not InboundEvent.objects.filter(routed_at__isnull=True).exists()


def test_a_short_chunk_ends_routing_without_looking_again(order_shipped: Action) -> None:
    # Looking again is a write transaction on SQLite: the senders would be woken only after it.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    accept(shipped_event())
    with CaptureQueriesContext(connection) as queries:
        routing.route_unrouted()
    looks = [
        query for query in queries if 'FROM "executor_inboundevent"' in query["sql"] and "routed_at" in query["sql"]
    ]
    assert len(looks) == 1


def test_the_same_message_id_from_two_write_keys_gets_two_external_event_ids(order_shipped: Action) -> None:
    from executor.ingest import ingest
    from executor.models import WriteKey

    checkout, _ = WriteKey.issue("checkout")
    crm, _ = WriteKey.issue("crm")
    for key in (checkout, crm):
        ingest([shipped_event(1)], source="api", write_key=key)
    route_pending.call()
    ids = {delivery.payload["externalEventId"] for delivery in Delivery.objects.all()}
    assert len(ids) == 2


def test_an_event_routed_again_from_its_source_keeps_its_external_event_id(order_shipped: Action) -> None:
    from executor.ingest import ingest
    from executor.models import WriteKey

    key, _ = WriteKey.issue("checkout")
    ingest([shipped_event(1)], source="api", write_key=key)
    route_pending.call()
    first = Delivery.objects.get().payload["externalEventId"]
    Delivery.objects.all().delete()
    InboundEvent.objects.update(routed_at=None)
    route_pending.call()
    assert Delivery.objects.get().payload["externalEventId"] == first


def test_an_action_requiring_consent_skips_an_event_without_it_and_keeps_nothing_to_send(
    fake: FakeAttentive, order_shipped: Action
) -> None:
    Action.objects.filter(pk=order_shipped.pk).update(consent_category="Marketing")
    accept(shipped_event())
    delivery = route_and_send(order_shipped.destination)
    assert delivery.status == Delivery.Status.SKIPPED
    assert delivery.reason == "Skipped: no consent for Marketing: the event carries no consent information."
    assert delivery.payload is None
    assert delivery.errors[0]["code"] == "no_consent_for_category"
    assert delivery.action_snapshot["consent_category"] == "Marketing"
    assert fake.received == []


def test_an_action_requiring_consent_delivers_an_event_that_grants_it(
    fake: FakeAttentive, order_shipped: Action
) -> None:
    Action.objects.filter(pk=order_shipped.pk).update(consent_category="Marketing")
    accept(
        shipped_event(context={"consent": {"categoryPreferences": {"Marketing": True}}, "traits": {"email": "a@b.co"}})
    )
    delivery = route_and_send(order_shipped.destination)
    assert delivery.status == Delivery.Status.DELIVERED
    assert len(fake.received) == 1


def test_the_destination_consent_category_applies_to_actions_without_their_own(order_shipped: Action) -> None:
    Destination.objects.update(consent_category="Marketing")
    accept(
        shipped_event(7, context={"consentManagement": {"allowedConsentIds": [], "deniedConsentIds": ["marketing"]}})
    )
    route_pending.call()
    assert Delivery.objects.get().reason == (
        "Skipped: no consent for Marketing: the page says the person did not agree to it."
    )


def test_an_action_category_replaces_the_destination_default(order_shipped: Action) -> None:
    Destination.objects.update(consent_category="Marketing")
    Action.objects.filter(pk=order_shipped.pk).update(consent_category="Analytics", consent_when_unknown="send")
    accept(shipped_event(7, context={"consent": {"categoryPreferences": {"Marketing": False}}}))
    route_pending.call()
    assert Delivery.objects.get().status == Delivery.Status.QUEUED


def test_a_consent_skip_is_listed_and_counted_with_the_other_skips_in_the_log(order_shipped: Action) -> None:
    from executor.metrics import DeliveryCollector
    from tests.mapper.test_trial_send import signed_in

    Action.objects.filter(pk=order_shipped.pk).update(consent_category="Marketing")
    accept(shipped_event(7))
    route_pending.call()
    html = signed_in("engineer").get("/deliveries/?status=skipped").content.decode()
    assert "Skipped: no consent for Marketing: the event carries no consent information." in html
    (deliveries,) = [metric for metric in DeliveryCollector().collect() if metric.name == "relay_deliveries"]
    assert [(s.labels["status"], s.value) for s in deliveries.samples] == [("skipped", 1)]


def test_a_chunk_holds_about_route_deliveries_whatever_the_number_of_actions(
    order_shipped: Action, monkeypatch
) -> None:
    chunks = []
    route_events = routing.route_events
    monkeypatch.setattr(routing, "ROUTE_DELIVERIES", 2)
    monkeypatch.setattr(
        routing,
        "route_events",
        lambda events, actions, contexts=None: chunks.append(len(events)) or route_events(events, actions, contexts),
    )
    Action.objects.create(
        destination=order_shipped.destination,
        action_type=order_shipped.action_type,
        name="Again",
        trigger=order_shipped.trigger,
        mappings=order_shipped.mappings,
    )
    accept(*(shipped_event(number) for number in range(3)))
    routing.route_unrouted()
    assert chunks == [1, 1, 1]
    assert Delivery.objects.count() == 6


def test_a_destinations_privacy_policy_is_read_once_per_chunk(order_shipped: Action, monkeypatch) -> None:
    from destinations import privacy

    calls = []
    of = privacy.PrivacyPolicy.of
    monkeypatch.setattr(privacy.PrivacyPolicy, "of", lambda *args: calls.append(1) or of(*args))
    accept(*(shipped_event(number) for number in range(5)))
    routing.route_unrouted()
    assert (len(calls), Delivery.objects.count()) == (1, 5)


def test_the_actions_and_their_policies_are_made_again_only_when_their_rows_change(
    order_shipped: Action, monkeypatch
) -> None:
    from destinations import privacy

    calls = []
    of = privacy.PrivacyPolicy.of
    monkeypatch.setattr(privacy.PrivacyPolicy, "of", lambda *args: calls.append(1) or of(*args))
    for number in range(3):
        accept(shipped_event(number))
        routing.route_unrouted()
    assert (len(calls), Delivery.objects.count()) == (1, 3)
    Destination.objects.filter(pk=order_shipped.destination_id).update(blocked_terms=["cancer"])
    accept(shipped_event(3))
    routing.route_unrouted()
    assert len(calls) == 2


def test_an_action_changed_without_its_timestamp_is_routed_as_it_is_now(order_shipped: Action) -> None:
    accept(shipped_event(1))
    routing.route_unrouted()
    # A plain UPDATE (auto_now untouched), as another process or a migration could write it.
    Action.objects.filter(pk=order_shipped.pk).update(enabled=False)
    accept(shipped_event(2))
    routing.route_unrouted()
    assert Delivery.objects.count() == 1
    Action.objects.filter(pk=order_shipped.pk).update(enabled=True, name="Renamed")
    accept(shipped_event(3))
    routing.route_unrouted()
    assert Delivery.objects.latest("id").action_snapshot["name"] == "Renamed"


def _readable_rows(rows: list[list]) -> list[list]:
    """Rows with the payload decrypted: tokens of the same text differ (each its own IV)."""
    from core import crypto

    payload = routing._insert_deliveries.columns.index("payload")
    return [[crypto.decrypt(v) if i == payload and v else v for i, v in enumerate(row)] for row in rows]


_SETUPS = {
    "as shipped": ({}, {}),
    "test mode": ({"test_mode": True}, {}),
    "consent": ({"consent_expression": "context.consent.marketing"}, {}),
    "invalid": ({}, {"event_name": "'Order, Shipped'"}),
    "a rule blocks": ({}, {"properties.Diagnosis": "properties.dx"}),
}


@pytest.mark.parametrize("setup", list(_SETUPS))
@hypothesis_settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    email=st.none() | st.sampled_from(["jane@example.com", "not an email"]),
    phone=st.none() | st.sampled_from(["(415) 555-2671", "12"]),
    dx=st.none() | st.sampled_from(["E11.9", "fine"]),
    name=st.sampled_from(["Order Shipped", "Order Placed"]),
    consent=st.booleans(),
    write_key_id=st.none() | st.integers(1, 9),
)
def test_the_row_routing_inserts_holds_the_values_of_the_delivery_it_made_before(
    order_shipped: Action, setup: str, monkeypatch, email, phone, dx, name, consent, write_key_id
) -> None:
    from datetime import UTC, datetime

    from django.utils import timezone

    destination_changes, mapping_changes = _SETUPS[setup]
    Destination.objects.filter(pk=order_shipped.destination_id).update(**destination_changes)
    Action.objects.filter(pk=order_shipped.pk).update(mappings={**order_shipped.mappings, **mapping_changes})
    action = Action.objects.select_related("destination").get(pk=order_shipped.pk)
    traits = {key: value for key, value in (("email", email), ("phone", phone)) if value is not None}
    body = shipped_event(
        3, event=name, context={"traits": traits, "consent": {"marketing": consent}}, properties={"dx": dx}
    )
    event = InboundEvent(pk=41, write_key_id=write_key_id)
    now = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: now)  # the time of saving, and retry_window_start's default
    context = routing.ActionContext.of(action)
    row = routing.delivery_row(event, body, action, now, context)
    delivery = routing.delivery_for(event, body, action, now, context)
    assert (row is None) == (delivery is None)
    if row is not None:
        insert = routing._insert_deliveries
        assert _readable_rows(insert.rows_of([row])) == _readable_rows(insert.values([delivery]))

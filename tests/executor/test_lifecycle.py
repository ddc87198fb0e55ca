"""The delivery state machine: every transition, and that a lost claim can never overwrite a newer state."""

from datetime import timedelta

import pytest
from django.utils import timezone

from destinations.errors import PermanentError, RetryableError
from destinations.models import Destination
from executor import lifecycle, wakeups
from executor.ingest import ingest
from executor.models import Delivery, DeliveryAttempt
from executor.routing import route_unrouted
from tests.events import shipped_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(order_shipped) -> Delivery:
    ingest([shipped_event(1)], source="api", write_key=None)
    route_unrouted()
    return Delivery.objects.get()


def test_claim_moves_due_deliveries_to_sending_under_the_token(queued: Delivery) -> None:
    (claimed,) = lifecycle.claim(queued.sender_key, "t1", limit=10)
    assert (claimed.status, claimed.lease_token, claimed.attempt_count) == ("sending", "t1", 1)
    assert lifecycle.claim(queued.sender_key, "t2", limit=10) == []


def test_an_answer_of_an_empty_object_keeps_no_excerpt_and_any_other_answer_keeps_its_own(queued: Delivery) -> None:
    lifecycle.claim(queued.sender_key, "t1", limit=10)
    (claimed,) = Delivery.objects.all()
    lifecycle.record(
        [lifecycle.SendOutcome(claimed, started_at=timezone.now(), status_code=200, response_excerpt="{}")]
    )
    assert DeliveryAttempt.objects.get().response_excerpt == ""
    Delivery.objects.update(status=Delivery.Status.QUEUED, next_attempt_at=timezone.now())
    lifecycle.claim(queued.sender_key, "t2", limit=10)
    (claimed,) = Delivery.objects.all()
    lifecycle.record(
        [lifecycle.SendOutcome(claimed, started_at=timezone.now(), status_code=200, response_excerpt='{"id":"a1"}')]
    )
    assert DeliveryAttempt.objects.get(number=2).response_excerpt == '{"id":"a1"}'


def test_record_delivered_is_final_with_one_attempt(queued: Delivery) -> None:
    (claimed,) = lifecycle.claim(queued.sender_key, "t1", limit=10)
    lifecycle.record([lifecycle.SendOutcome(claimed, timezone.now(), status_code=200)])
    queued.refresh_from_db()
    assert (queued.status, queued.lease_token) == ("delivered", "")
    assert DeliveryAttempt.objects.get().outcome == "delivered"


@pytest.mark.parametrize(
    ("error", "status"),
    [(RetryableError("busy", status=503), "retrying"), (PermanentError("bad", status=400), "failed")],
)
def test_record_failure_retries_or_fails(queued: Delivery, error, status: str) -> None:
    (claimed,) = lifecycle.claim(queued.sender_key, "t1", limit=10)
    lifecycle.record([lifecycle.SendOutcome(claimed, timezone.now(), error=error)])
    queued.refresh_from_db()
    assert queued.status == status


def test_a_lost_claim_records_nothing_over_a_newer_state(queued: Delivery) -> None:
    (claimed,) = lifecycle.claim(queued.sender_key, "t1", limit=10)
    # Recovery took it back and another sender claimed it under another token meanwhile.
    Delivery.objects.filter(pk=queued.pk).update(lease_token="t2")
    lifecycle.record([lifecycle.SendOutcome(claimed, timezone.now(), status_code=200)])
    queued.refresh_from_db()
    assert (queued.status, queued.lease_token) == ("sending", "t2")


def test_give_back_is_not_an_attempt(queued: Delivery) -> None:
    (claimed,) = lifecycle.claim(queued.sender_key, "t1", limit=10)
    later = timezone.now() + timedelta(seconds=10)
    lifecycle.record([lifecycle.SendOutcome(claimed, timezone.now(), deferred_until=later)])
    queued.refresh_from_db()
    assert (queued.status, queued.attempt_count, queued.next_attempt_at) == ("queued", 0, later)
    assert not DeliveryAttempt.objects.exists()


def test_renewed_claims_are_not_recovered(queued: Delivery, settings) -> None:
    settings.RELAY_SENDING_LEASE_SECONDS = 60
    lifecycle.claim(queued.sender_key, "t1", limit=10)
    Delivery.objects.update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    lifecycle.renew_claims(queued.sender_key, "t1")
    assert lifecycle.recover_abandoned() == 0


def test_expired_claims_of_a_live_sender_are_not_recovered(queued: Delivery) -> None:
    token = wakeups.acquire_lease(wakeups.sender_signal(queued.sender_key))
    lifecycle.claim(queued.sender_key, token, limit=10)
    Delivery.objects.update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert lifecycle.recover_abandoned() == 0


def test_expired_claims_of_a_dead_sender_go_back_with_a_lost_attempt(queued: Delivery) -> None:
    lifecycle.claim(queued.sender_key, "t1", limit=10)
    Delivery.objects.update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert lifecycle.recover_abandoned() == 1
    queued.refresh_from_db()
    assert queued.status == "retrying"
    assert DeliveryAttempt.objects.get().outcome == "lost"


@pytest.fixture
def two_queued(order_shipped) -> list[Delivery]:
    ingest([shipped_event(1), shipped_event(2)], source="api", write_key=None)
    route_unrouted()
    return list(Delivery.objects.order_by("id"))


def test_a_dead_workers_claims_go_back_at_once_with_a_lost_attempt_and_no_one_elses(
    two_queued: list[Delivery],
) -> None:
    # Its supervisor saw it die: its claims' leases (60 s) need not run out first.
    first, second = two_queued
    lifecycle.claim(first.sender_key, "deadworker1.a", limit=1)
    lifecycle.claim(second.sender_key, "liveworker1.b", limit=1)
    assert lifecycle.recover_claims_of_holder("deadworker1") == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("retrying", "sending")
    assert DeliveryAttempt.objects.get().outcome == "lost"


def test_a_dead_workers_claims_go_out_again_first_in_their_place_not_after_what_was_queued_since(
    two_queued: list[Delivery],
) -> None:
    # Outside test: due at the takeover, they went out 4-5 s after it, behind the backlog the worker left.
    first, _later_one = two_queued
    lifecycle.claim(first.sender_key, "deadworker1.a", limit=1)
    later = timezone.now() + timedelta(seconds=5)
    lifecycle.recover_claims_of_holder("deadworker1", now=later)
    claimed = lifecycle.claim(first.sender_key, "liveworker1.b", limit=1, path=first.path)
    assert [delivery.pk for delivery in claimed] == [first.pk]


def test_taking_a_keys_lock_takes_back_the_claims_made_under_another_token(two_queued: list[Delivery]) -> None:
    first, second = two_queued
    lifecycle.claim(first.sender_key, "old.a", limit=1)
    lifecycle.claim(second.sender_key, "new.b", limit=1)
    assert lifecycle.recover_claims_of_others(first.sender_key, "new.b") == 1
    assert dict(Delivery.objects.values_list("id", "status")) == {first.id: "retrying", second.id: "sending"}


def test_a_claim_recorded_before_it_is_taken_back_is_left_as_recorded(queued: Delivery) -> None:
    (claimed,) = lifecycle.claim(queued.sender_key, "w.a", limit=1)
    lifecycle.record([lifecycle.SendOutcome(claimed, timezone.now(), status_code=200)])
    assert lifecycle._take_back([claimed], timezone.now()) == 0
    queued.refresh_from_db()
    assert queued.status == "delivered"
    assert DeliveryAttempt.objects.get().outcome == "delivered"


def test_replay_queues_failed_deliveries_with_a_payload_only(queued: Delivery) -> None:
    Delivery.objects.update(status="failed")
    assert lifecycle.replay([queued.pk])[0] == 1
    Delivery.objects.update(status="dead", payload=None)
    assert lifecycle.replay([queued.pk])[0] == 0


def _invalid(order_shipped) -> Delivery:
    from mapper.models import Action

    Action.objects.filter(pk=order_shipped.pk).update(mappings={**order_shipped.mappings, "event_name": "'A, B'"})
    ingest([shipped_event(1)], source="api", write_key=None)
    route_unrouted()
    delivery = Delivery.objects.get()
    assert delivery.status == "invalid"
    return delivery


def test_rerun_sends_an_invalid_delivery_once_its_action_is_fixed(order_shipped) -> None:
    from mapper.models import Action

    delivery = _invalid(order_shipped)
    assert lifecycle.rerun([delivery.pk])[0] == 1  # still broken: re-run, still invalid
    delivery.refresh_from_db()
    assert delivery.status == "invalid"
    Action.objects.filter(pk=order_shipped.pk).update(mappings=order_shipped.mappings)
    count, keys = lifecycle.rerun([delivery.pk])
    delivery.refresh_from_db()
    assert (count, delivery.status, keys) == (1, "queued", {delivery.sender_key})
    assert delivery.payload["type"] == "Order Shipped"
    assert delivery.action_snapshot["mappings"]["event_name"] == order_shipped.mappings["event_name"]


def test_rerun_leaves_other_statuses_alone(queued: Delivery) -> None:
    assert lifecycle.rerun([queued.pk]) == (0, set())


@pytest.fixture
def many_queued(order_shipped) -> list[Delivery]:
    ingest([shipped_event(number) for number in range(20)], source="api", write_key=None)
    route_unrouted()
    return list(Delivery.objects.order_by("id"))


def test_recording_a_batch_of_answers_takes_as_many_queries_as_recording_one(many_queued: list[Delivery]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    key = many_queued[0].sender_key
    (first,) = lifecycle.claim(key, "t1", limit=1)
    with CaptureQueriesContext(connection) as one:
        lifecycle.record([lifecycle.SendOutcome(first, timezone.now(), status_code=200)])
    rest = lifecycle.claim(key, "t1", limit=100)
    with CaptureQueriesContext(connection) as batch:
        lifecycle.record([lifecycle.SendOutcome(claimed, timezone.now(), status_code=200) for claimed in rest])
    assert len(rest) == 19
    assert len(batch) <= len(one)  # the first also created the tally of 200s
    assert Delivery.objects.filter(status="delivered").count() == 20
    assert DeliveryAttempt.objects.count() == 20


def test_a_tally_row_another_worker_made_meanwhile_is_added_to_and_the_answers_are_recorded(
    many_queued: list[Delivery], monkeypatch
) -> None:
    from executor.models import AttemptTally

    add = lifecycle._ADD_TO_TALLY

    def another_worker_first(code: str, more: int) -> int:
        # Our update found no row; another worker's first 200 made it before our insert.
        monkeypatch.setattr(lifecycle, "_ADD_TO_TALLY", add)
        AttemptTally.objects.create(code=code, count=5)
        return 0

    monkeypatch.setattr(lifecycle, "_ADD_TO_TALLY", another_worker_first)
    claimed = lifecycle.claim(many_queued[0].sender_key, "t1", limit=3)
    lifecycle.record([lifecycle.SendOutcome(delivery, timezone.now(), status_code=200) for delivery in claimed])
    assert AttemptTally.objects.get(code="200").count == 8
    assert Delivery.objects.filter(status="delivered").count() == 3


def test_a_batch_records_each_answer_and_leaves_a_lost_claim_as_it_is_now(many_queued: list[Delivery]) -> None:
    key = many_queued[0].sender_key
    claimed = lifecycle.claim(key, "t1", limit=3)
    # The third was taken back and claimed again under another token meanwhile.
    Delivery.objects.filter(pk=claimed[2].pk).update(lease_token="t2")
    lifecycle.record(
        [
            lifecycle.SendOutcome(claimed[0], timezone.now(), status_code=200),
            lifecycle.SendOutcome(claimed[1], timezone.now(), error=RetryableError("busy", status=503)),
            lifecycle.SendOutcome(claimed[2], timezone.now(), status_code=200),
        ]
    )
    statuses = dict(Delivery.objects.filter(pk__in=[d.pk for d in claimed]).values_list("pk", "status"))
    assert [statuses[d.pk] for d in claimed] == ["delivered", "retrying", "sending"]
    assert DeliveryAttempt.objects.count() == 3


def test_a_claim_reads_the_action_type_without_the_snapshot_and_sends_with_no_query_more(
    queued: Delivery, django_assert_num_queries
) -> None:
    (claimed,) = lifecycle.claim(queued.sender_key, "token-1", limit=10)
    assert "action_snapshot" in claimed.get_deferred_fields()
    with django_assert_num_queries(0):
        assert lifecycle.action_type_of(claimed) == queued.action_snapshot["action_type"]
        assert claimed.payload == queued.payload


def test_recording_any_answer_reads_nothing_the_claim_left_unread(many_queued: list[Delivery]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from destinations.errors import AuthenticationError

    key = many_queued[0].sender_key
    claimed = lifecycle.claim(key, "t1", limit=6)
    claimed[4].retry_window_start -= timedelta(days=1)  # its retry window is over: dead
    now = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        lifecycle.record(
            [
                lifecycle.SendOutcome(claimed[0], now, status_code=200),
                lifecycle.SendOutcome(claimed[1], now, error=RetryableError("busy", status=503)),
                lifecycle.SendOutcome(claimed[2], now, error=PermanentError("bad", status=400)),
                lifecycle.SendOutcome(claimed[3], now, error=AuthenticationError("key", status=401)),
                lifecycle.SendOutcome(claimed[4], now, error=RetryableError("busy", status=503)),
                lifecycle.SendOutcome(claimed[5], now, deferred_until=now + timedelta(seconds=5)),
            ]
        )
    reads = [query["sql"] for query in queries if query["sql"].startswith("SELECT")]
    unread = [f'"executor_delivery"."{name}"' for name in lifecycle.CLAIM_LEAVES_UNREAD]
    assert [sql for sql in reads if any(column in sql for column in unread)] == []
    statuses = dict(Delivery.objects.filter(pk__in=[d.pk for d in claimed]).values_list("pk", "status"))
    assert [statuses[d.pk] for d in claimed] == ["delivered", "retrying", "failed", "queued", "dead", "queued"]


HELD_BACK = [
    ({"enabled": False}, "the destination is disabled"),
    (
        {"needs_attention": True, "attention_reason": "Attentive refused the key (401)."},
        "paused. Attentive refused the key (401).",
    ),
    ({"test_mode": True}, "test mode"),
]


@pytest.mark.parametrize(("change", "words"), HELD_BACK, ids=["disabled", "paused", "test-mode"])
def test_a_delivery_its_destination_holds_back_is_not_due_and_says_why(queued: Delivery, change, words) -> None:
    # Outside test: the log showed a paused destination's deliveries as "Queued · 0 attempts", no reason.
    Destination.objects.filter(pk=queued.destination_id).update(**change)
    held = Delivery.objects.select_related("destination").get()
    later = timezone.now() + timedelta(days=1)
    assert not lifecycle.due_anywhere(later).filter(pk=held.pk).exists()
    assert words in lifecycle.why_waiting(held)


def test_a_due_delivery_has_nothing_holding_it_back(queued: Delivery) -> None:
    assert lifecycle.due_anywhere(timezone.now() + timedelta(days=1)).filter(pk=queued.pk).exists()
    assert lifecycle.why_waiting(queued) == ""


def test_a_final_delivery_of_a_paused_destination_is_not_waiting(queued: Delivery) -> None:
    lifecycle.claim(queued.sender_key, "t1", limit=10)
    (claimed,) = Delivery.objects.all()
    lifecycle.record([lifecycle.SendOutcome(claimed, started_at=timezone.now(), status_code=200)])
    Destination.objects.filter(pk=queued.destination_id).update(enabled=False)
    assert lifecycle.why_waiting(Delivery.objects.select_related("destination").get()) == ""


def test_a_paused_destinations_reason_is_not_said_twice_and_its_remedy_is_an_admins(queued: Delivery) -> None:
    # Outside test: the log read "Attentive rejected the API key (401). Waiting: … paused. Attentive
    # rejected the API key (401). It is sent once the key is replaced" to marketers, who cannot replace it.
    reason = "Attentive rejected the API key (401)."
    Destination.objects.filter(pk=queued.destination_id).update(needs_attention=True, attention_reason=reason)
    Delivery.objects.update(reason=reason)
    held = Delivery.objects.select_related("destination").get()
    waiting = lifecycle.why_waiting(held)
    assert reason not in waiting
    assert waiting.endswith("It is sent once an admin replaces or verifies the key.")

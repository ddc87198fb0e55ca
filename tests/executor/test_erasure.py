"""Erasure end to end: stored data gone, the request forwarded and followed, later events refused."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import AuditEntry
from destinations.models import Destination
from executor import erasure
from executor.ingest import ingest
from executor.models import Delivery, DeliveryAttempt, ErasureForward, ErasureRequest, InboundEvent
from executor.tasks import route_pending
from mapper.models import Action
from tests.events import shipped_event
from tests.fake_attentive import GOOD_KEY, FakeAttentive

pytestmark = pytest.mark.django_db

JANE = "jane.doe@example.com"


def jane(index: int, **overrides: object) -> dict:
    event = shipped_event(index, **overrides)
    event["context"]["traits"]["email"] = " Jane.Doe@Example.com "
    return event


def accept(*events: dict):
    return ingest(list(events), source="api", write_key=None)


def erase(kind: str, value: str) -> ErasureRequest:
    return erasure.run(erasure.file(erasure.subject(kind, value), None))


def test_every_stored_event_delivery_and_sample_that_names_the_person_is_deleted(
    fake: FakeAttentive, order_shipped: Action
) -> None:
    accept(jane(1), jane(2), shipped_event(3, properties={"note": f"reach me at {JANE}"}), shipped_event(4))
    route_pending.call()
    Action.objects.filter(pk=order_shipped.pk).update(sample_event=jane(9))
    assert Delivery.objects.count() == 4

    request = erase("email", "JANE.DOE@example.com")

    assert (request.purged_events, request.purged_deliveries) == (3, 3)
    (left,) = InboundEvent.objects.all()
    assert left.body["messageId"] == "msg-4"
    assert Delivery.objects.count() == 1
    assert Action.objects.get().sample_event is None


def test_a_phone_is_found_in_any_spelling_and_a_client_user_id_where_ids_live(order_shipped: Action) -> None:
    accept(
        shipped_event(1),  # (415) 555-2671 in context.traits.phone
        shipped_event(2, properties={"callback": "+1 415-555-2671"}),
        {**shipped_event(3), "context": {"traits": {"phone": "(212) 555-0199"}}},
    )
    assert erase("phone", "+14155552671").purged_events == 2
    other = {"traits": {"email": "sam@example.com"}}  # not the phone erased above: it would be refused
    accept(
        shipped_event(7, userId="crm-7", context=other),
        shipped_event(8, properties={"user_id": "crm-7"}, context=other),
    )
    assert erase("client_user_id", "crm-7").purged_events == 2


def test_the_request_is_forwarded_to_each_destination_and_followed_until_processed(
    fake: FakeAttentive, destination: Destination
) -> None:
    request = erase("email", JANE)
    (forward,) = request.forwards.all()
    assert fake.deletions == {forward.remote_id: {"subjectEmail": JANE}}
    assert (forward.state, request.state) == (ErasureForward.State.SENT, ErasureRequest.State.FORWARDED)

    assert erasure.check_due(timezone.now()) == 0  # not due yet
    fake.deletions_processed = True
    assert erasure.check_due(timezone.now() + erasure.CHECK_EVERY) == 1
    request.refresh_from_db()
    assert request.forwards.get().state == ErasureForward.State.PROCESSED
    assert request.state == ErasureRequest.State.COMPLETED
    assert request.subject == ""  # nobody needs the person any more


def test_a_destination_that_fails_is_asked_again_at_the_next_check(
    fake: FakeAttentive, destination: Destination
) -> None:
    fake.api_keys.clear()  # every key refused: 401
    request = erase("email", JANE)
    forward = request.forwards.get()
    assert forward.state == ErasureForward.State.FAILED
    assert "401" in forward.message
    failed = AuditEntry.objects.get(verb="erasure_forward_failed")
    assert "could not be forwarded (it is tried again at the next check) (with Brand)" in failed.sentence
    fake.api_keys.add(GOOD_KEY)
    erasure.check_due(timezone.now() + erasure.CHECK_EVERY)
    assert request.forwards.get().state == ErasureForward.State.SENT


def test_later_events_of_the_person_are_refused_with_a_reason_and_the_others_accepted(order_shipped: Action) -> None:
    erase("email", JANE)
    result = accept(jane(1), shipped_event(2), {**shipped_event(3), "userId": None, "traits": {"email": JANE}})
    statuses = [row["status"] for row in result.results()]
    assert statuses == ["rejected", "accepted", "rejected"]
    assert "asked to be erased" in result.results()[0]["errors"][0]["detail"]
    assert InboundEvent.objects.count() == 1


def test_events_are_accepted_again_once_the_refusal_time_is_over(order_shipped: Action) -> None:
    request = erase("email", JANE)
    ErasureRequest.objects.filter(pk=request.pk).update(refuse_until=timezone.now() - timedelta(seconds=1))
    assert accept(jane(1)).accepted == 1


def test_the_person_never_reaches_the_audit_log_the_page_or_the_api(api_as, client) -> None:
    from django.contrib.auth import get_user_model

    from accounts.roles import set_role

    response = api_as("admin").post("/api/v1/erasure-requests", {"email": JANE}, format="json")
    assert response.status_code == 202
    assert response.json()["masked"] == "j•••@example.com"
    assert JANE not in response.content.decode()
    ada = get_user_model().objects.create_user("ada")
    set_role(ada, "admin")
    client.force_login(ada)
    page = client.get("/privacy/erasure/").content.decode()
    assert "j•••@example.com" in page
    assert JANE not in page
    for entry in AuditEntry.objects.all():
        assert JANE not in f"{entry.target_name} {entry.details} {entry.sentence}"


def test_the_erasure_page_asks_once_more_before_filing_and_links_its_docs(client) -> None:
    from django.contrib.auth import get_user_model

    from accounts.roles import set_role

    ada = get_user_model().objects.create_user("ada")
    set_role(ada, "admin")
    client.force_login(ada)
    assert "/docs/privacy/#forgetting-a-person-erasure" in client.get("/privacy/erasure/").content.decode()
    asked = client.post("/privacy/erasure/", {"kind": "email", "value": JANE})
    assert "This cannot be undone." in asked.content.decode()
    assert "/docs/privacy/#forgetting-a-person-erasure" in asked.content.decode()
    assert not ErasureRequest.objects.exists()
    filed = client.post("/privacy/erasure/", {"kind": "email", "value": JANE, "confirm": "1"})
    assert filed.status_code == 302
    assert ErasureRequest.objects.get().masked == "j•••@example.com"


def test_the_api_wants_exactly_one_way_to_find_the_person(api_as) -> None:
    both = api_as("admin").post("/api/v1/erasure-requests", {"email": JANE, "phone": "+14155552671"}, format="json")
    assert both.status_code == 400
    assert both["Content-Type"] == "application/problem+json"
    bad = api_as("admin").post("/api/v1/erasure-requests", {"phone": "call me"}, format="json")
    assert bad.status_code == 400
    assert api_as("marketer").post("/api/v1/erasure-requests", {"email": JANE}, format="json").status_code == 403


def test_manage_py_erase_files_and_runs_the_request() -> None:
    accept(jane(1))
    out = StringIO()
    call_command("erase", email=JANE, stdout=out)
    assert "deleted 1 event and 0 deliveries" in out.getvalue()
    assert JANE not in out.getvalue()
    assert not InboundEvent.objects.exists()


def test_ingest_asks_the_database_one_question_about_erasures_while_none_is_active() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        accept(shipped_event(2))
    assert len([query for query in queries if "erasure" in query["sql"]]) == 1


def _filed_elsewhere(kind: str, value: str) -> ErasureRequest:
    """A request committed as another process (or host) would: nothing of this process is told."""
    person = erasure.subject(kind, value)
    return ErasureRequest.objects.create(
        kind=kind,
        subject_hash=person.key,
        subject=person.value,
        masked=person.masked,
        refuse_until=timezone.now() + timedelta(days=90),
    )


def test_a_request_committed_by_another_process_is_in_force_at_the_next_event() -> None:
    assert accept(jane(1)).accepted == 1
    _filed_elsewhere("email", JANE)
    assert accept(jane(2)).accepted == 0


SPELLINGS = {
    "userId is the email": {**shipped_event(1), "userId": "Jane.Doe@example.com"},
    "a phone with 001": shipped_event(2, properties={"phone": "001 617 555 0142"}),
    "properties.user.email": shipped_event(3, properties={"user": {"email": JANE}}),
    "context.traits.Email": {**shipped_event(4), "context": {"traits": {"Email": JANE.upper()}}},
    "properties.phone_number": shipped_event(5, properties={"phone_number": "617-555-0142"}),
    "properties.mobile": shipped_event(6, properties={"mobile": "(617) 555 0142"}),
    "anonymousId": {**shipped_event(7), "userId": None, "anonymousId": "crm-42"},
    "alias previousId": {"type": "alias", "userId": "new-1", "previousId": "crm-42", "messageId": "msg-8"},
    "phone in free text": shipped_event(9, properties={"note": "Order 77: call 617-555-0142"}),
}


@pytest.mark.parametrize("event", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_every_spelling_of_an_erased_person_is_refused(event: dict) -> None:
    for kind, value in (("email", JANE), ("phone", "+16175550142"), ("client_user_id", "crm-42")):
        _filed_elsewhere(kind, value)
    result = accept(event, {**shipped_event(99), "context": {"traits": {"email": "sam@example.com"}}})
    refused, other = result.results()
    assert [error["detail"] for error in refused["errors"]] == [
        "This person asked to be erased: events about them are refused for now."
    ]
    assert other["status"] == "accepted"


PURGED = {
    "an email as a property name": shipped_event(1, properties={JANE: "gold"}),
    "a %40-encoded email in a web address": shipped_event(
        2, context={"page": {"url": "https://a.example/?e=jane.doe%40example.com"}}
    ),
    "a phone in free text": shipped_event(3, properties={"note": "Order 77: call 617-555-0142"}, context={}),
}


@pytest.mark.parametrize("event", PURGED.values(), ids=PURGED.keys())
def test_the_purge_finds_the_person_wherever_they_are_written(event: dict, order_shipped: Action) -> None:
    accept(event)
    kind, value = ("phone", "+16175550142") if "note" in event.get("properties", {}) else ("email", JANE)
    assert erase(kind, value).purged_events == 1
    assert not InboundEvent.objects.exists()


def test_erasing_an_address_never_deletes_a_longer_address_that_contains_it(order_shipped: Action) -> None:
    accept(shipped_event(1, context={"traits": {"email": "jane@example.com"}}))
    assert erase("email", "ne@example.co").purged_events == 0
    assert InboundEvent.objects.count() == 1


def test_an_event_stored_before_the_request_is_deleted_at_routing_not_routed(order_shipped: Action) -> None:
    accept(jane(1), shipped_event(2))
    request = _filed_elsewhere("email", JANE)  # committed between the event's storing and its routing
    route_pending.call()
    assert [event.message_id for event in InboundEvent.objects.all()] == ["msg-2"]
    assert Delivery.objects.count() == 1
    request.refresh_from_db()
    assert (request.purged_events, request.purged_deliveries) == (1, 0)


def test_a_delivery_queued_before_the_request_is_not_sent_when_claimed(
    fake: FakeAttentive, order_shipped: Action
) -> None:
    from executor import sending

    accept(jane(1), shipped_event(2))
    route_pending.call()
    assert Delivery.objects.filter(status=Delivery.Status.QUEUED).count() == 2
    request = _filed_elsewhere("email", JANE)
    sending.drain(order_shipped.destination.sender_key)
    assert [body["user"].get("email") for body in fake.received] == ["person2@example.com"]
    assert [event.message_id for event in InboundEvent.objects.all()] == ["msg-2"]
    request.refresh_from_db()
    assert (request.purged_events, request.purged_deliveries) == (1, 1)


def test_the_answer_of_a_delivery_erased_while_on_the_wire_does_not_stop_the_others_being_recorded(
    order_shipped: Action,
) -> None:
    from executor import lifecycle

    accept(jane(1), shipped_event(2))
    route_pending.call()
    claimed = lifecycle.claim(order_shipped.destination.sender_key, "token", limit=10)
    erase("email", JANE)  # deletes the first delivery while its request is out
    now = timezone.now()
    assert lifecycle.record([lifecycle.SendOutcome(delivery, now, 200) for delivery in claimed]) == 2
    assert Delivery.objects.get().status == Delivery.Status.DELIVERED
    assert DeliveryAttempt.objects.count() == 1


def test_the_request_is_forwarded_only_once_sends_judged_before_it_can_have_arrived(
    fake: FakeAttentive, destination: Destination, settings
) -> None:
    from django_tasks_db.models import DBTaskResult

    from executor.tasks import run_erasure

    settings.RELAY_ERASURE_FORWARD_DELAY_SECONDS = 16
    request = erasure.file(erasure.subject("email", JANE), None)
    run_erasure.call(request.pk)
    assert fake.deletions == {}
    (scheduled,) = DBTaskResult.objects.filter(task_path="executor.tasks.forward_erasure")
    assert scheduled.run_after == request.created_at + timedelta(seconds=16)


def test_the_second_purge_before_forwarding_deletes_what_was_stored_during_the_first(
    fake: FakeAttentive, order_shipped: Action
) -> None:
    request = erasure.purge_stored(erasure.file(erasure.subject("email", JANE), None))
    ingest([jane(1)], source="api", write_key=None)  # would be refused now: stored as a late commit is
    InboundEvent.objects.create(
        source="api", event_type="track", message_id="late", body=jane(2), received_at=timezone.now()
    )
    request = erasure.purge_again_and_forward(request)
    assert not InboundEvent.objects.exists()
    assert request.purged_events == 1
    assert fake.deletions


def test_a_uk_number_is_found_written_nationally_with_its_trunk_zero(order_shipped: Action) -> None:
    accept(
        shipped_event(1, properties={"mobile": "07700 900123"}),
        shipped_event(2, properties={"mobile": "0044 7700 900123"}),
    )
    assert erase("phone", "+44 7700 900123").purged_events == 2


def test_running_a_completed_request_again_deletes_nothing(order_shipped: Action) -> None:
    accept(jane(1), shipped_event(2))
    request = erase("email", JANE)
    ErasureRequest.objects.filter(pk=request.pk).update(subject="")
    accept(shipped_event(3))
    request.refresh_from_db()
    erasure.run(request)
    assert InboundEvent.objects.count() == 2


def test_a_destination_in_test_mode_is_not_sent_the_request_until_test_mode_is_off(
    fake: FakeAttentive, destination: Destination
) -> None:
    Destination.objects.filter(pk=destination.pk).update(test_mode=True)
    request = erase("email", JANE)
    forward = request.forwards.get()
    assert (forward.state, fake.deletions) == (ErasureForward.State.FAILED, {})
    assert "test mode" in forward.message
    Destination.objects.filter(pk=destination.pk).update(test_mode=False)
    erasure.check_due(timezone.now() + erasure.CHECK_EVERY)
    assert request.forwards.get().state == ErasureForward.State.SENT


def test_an_event_whose_body_retention_removed_is_still_found_by_its_message_id(order_shipped: Action) -> None:
    accept({**shipped_event(1), "messageId": JANE})
    InboundEvent.objects.update(body=None)
    assert erase("email", JANE).purged_events == 1

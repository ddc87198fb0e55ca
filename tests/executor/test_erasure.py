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
from executor.models import Delivery, ErasureForward, ErasureRequest, InboundEvent
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


def test_ingest_asks_the_database_nothing_about_erasures_while_none_is_active() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    accept(shipped_event(1))  # the first look is remembered for a few seconds
    with CaptureQueriesContext(connection) as queries:
        accept(shipped_event(2))
    assert not [query for query in queries if "erasure" in query["sql"]]


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

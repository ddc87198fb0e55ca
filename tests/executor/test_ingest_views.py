"""Ingest over HTTP (executor/ingest_views.py and ingest.py): our API and Segment's tracking API, single and
batch, their limits, problems and idempotency."""

import base64
import gzip
import json

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from executor.models import InboundEvent, WorkSignal, WriteKey
from tests.events import shipped_event

pytestmark = pytest.mark.django_db

URL = "/api/v1/events"


def post(client: Client, body: object, key: str, **headers: str):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        URL, data, content_type="application/json", headers={"Authorization": f"Bearer {key}", **headers}
    )


def test_single_event_is_accepted_stored_encrypted_and_routing_enqueued(client: Client, write_key: str) -> None:
    response = post(client, shipped_event(), write_key)
    assert response.status_code == 202
    assert response.json() == {"status": "accepted", "messageId": "msg-1"}
    event = InboundEvent.objects.get()
    assert event.event_name == "Order Shipped"
    assert event.body["properties"]["order_id"] == "1"
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM executor_inboundevent")
        stored = cursor.fetchone()[0]
    assert "person1@example.com" not in stored
    assert WorkSignal.objects.get(name="route").pending
    assert DBTaskResult.objects.filter(task_path="executor.tasks.route_pending").count() == 1


def test_many_requests_enqueue_one_routing_task(client: Client, write_key: str) -> None:
    for index in range(5):
        assert post(client, shipped_event(index), write_key).status_code == 202
    assert DBTaskResult.objects.filter(task_path="executor.tasks.route_pending").count() == 1


def test_batch_answers_per_event_with_index_and_reason(client: Client, write_key: str) -> None:
    response = post(client, [shipped_event(1), {"type": "track"}, "nope"], write_key)
    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (1, 2)
    assert body["results"][0] == {"index": 0, "status": "accepted", "messageId": "msg-1"}
    assert body["results"][1]["errors"] == [
        {"pointer": "/1/event", "detail": "A track event needs an event name (text)."}
    ]
    assert body["results"][2]["status"] == "rejected"
    assert InboundEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{broken", 400),
        (b'{"event": NaN}', 400),
        (b'{"event": "x", "a": "\\ud800"}', 422),
        (b'{"event": "x", "p": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1000 + b"}", 422),
        (b"[" * 100_000 + b"]" * 100_000, 422),
        (b'{"type": "track"}', 422),
        (b"\xff", 400),
    ],
    ids=["broken", "nan", "lone-surrogate", "1000-deep-event", "100000-deep", "no-event-name", "bad-utf8"],
)
def test_bad_input_gets_a_problem_document_never_a_500(
    client: Client, write_key: str, body: bytes, status: int
) -> None:
    response = post(client, body, write_key)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]


def test_1000_deep_batch_entry_is_rejected_with_its_index(client: Client, write_key: str) -> None:
    response = post(client, b"[" + b"[" * 999 + b"]" * 999 + b"]", write_key)
    assert response.json()["results"][0]["status"] == "rejected"


def test_wrong_content_type_is_415(client: Client, write_key: str) -> None:
    response = client.post(URL, "event=x", content_type="text/plain", headers={"Authorization": f"Bearer {write_key}"})
    assert response.status_code == 415
    assert response["Content-Type"] == "application/problem+json"


def test_body_over_5_mb_is_413(client: Client, write_key: str) -> None:
    assert post(client, b" " * (5 * 1024 * 1024 + 10), write_key).status_code == 413


def test_more_than_1000_events_is_413(client: Client, write_key: str) -> None:
    assert post(client, [shipped_event(i) for i in range(1001)], write_key).status_code == 413


@pytest.mark.parametrize("key", ["", "rwk_wrong"])
def test_missing_or_wrong_write_key_is_401(client: Client, key: str) -> None:
    response = post(client, shipped_event(), key)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_write_key_is_401(client: Client) -> None:
    key, raw = WriteKey.issue("old")
    key.revoke()
    assert post(client, shipped_event(), raw).status_code == 401


def test_write_key_is_stored_hashed_and_last_use_recorded(client: Client) -> None:
    key, raw = WriteKey.issue("checkout")
    assert raw not in str(WriteKey.objects.values().get())
    post(client, shipped_event(), raw)
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_gzip_bodies_are_read(client: Client, write_key: str) -> None:
    body = gzip.compress(json.dumps(shipped_event()).encode())
    assert post(client, body, write_key, **{"Content-Encoding": "gzip"}).status_code == 202


def test_get_is_not_allowed(client: Client) -> None:
    assert client.get(URL).status_code == 405


def test_segment_track_with_basic_auth(client: Client, write_key: str) -> None:
    auth = base64.b64encode(f"{write_key}:".encode()).decode()
    event = {"userId": "u1", "event": "Order Shipped", "properties": {"order_id": "9"}}
    response = client.post(
        "/v1/track", json.dumps(event), content_type="application/json", headers={"Authorization": f"Basic {auth}"}
    )
    assert response.status_code == 200
    assert response.json()["success"] is True
    assert InboundEvent.objects.get().source == "segment"


def test_segment_identify_without_a_key_is_401(client: Client) -> None:
    response = client.post("/v1/identify", "{}", content_type="application/json")
    assert response.status_code == 401


def test_a_number_too_large_to_be_finite_is_refused_with_a_problem(client: Client, write_key: str) -> None:
    body = b'{"type": "track", "event": "Order Shipped", "userId": "u1", "properties": {"total": 1e400}}'
    response = post(client, body, write_key)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert InboundEvent.objects.count() == 0


def test_a_nul_character_in_an_event_name_is_refused_with_422_naming_the_field(client: Client, write_key: str) -> None:
    response = post(client, {**shipped_event(), "event": "Order\u0000Shipped"}, write_key)
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/event"
    assert InboundEvent.objects.count() == 0


def test_a_nul_character_in_a_property_name_rejects_only_that_event_of_a_batch(client: Client, write_key: str) -> None:
    bad = {**shipped_event(2), "properties": {"no\u0000te": "x"}}
    response = post(client, [shipped_event(1), bad], write_key)
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    assert body["results"][1]["errors"][0]["pointer"] == "/1/properties/no\\u0000te"


def test_a_retried_batch_stores_nothing_twice_and_says_which_were_duplicates(client: Client, write_key: str) -> None:
    first = post(client, [shipped_event(1), shipped_event(2)], write_key).json()
    assert (first["accepted"], first["duplicates"]) == (2, 0)
    retried = post(client, [shipped_event(1), shipped_event(2), shipped_event(3)], write_key).json()
    assert (retried["accepted"], retried["duplicates"], retried["rejected"]) == (1, 2, 0)
    assert [row["status"] for row in retried["results"]] == ["duplicate", "duplicate", "accepted"]
    assert InboundEvent.objects.count() == 3


def test_a_repeated_single_event_is_answered_as_a_duplicate(client: Client, write_key: str) -> None:
    assert post(client, shipped_event(1), write_key).json()["status"] == "accepted"
    assert post(client, shipped_event(1), write_key).json() == {"status": "duplicate", "messageId": "msg-1"}
    assert InboundEvent.objects.count() == 1


def test_a_batch_that_repeats_an_event_stores_it_once(client: Client, write_key: str) -> None:
    body = post(client, [shipped_event(1), shipped_event(1)], write_key).json()
    assert [row["status"] for row in body["results"]] == ["accepted", "duplicate"]
    assert InboundEvent.objects.count() == 1


def test_the_same_message_id_from_another_write_key_is_another_event(client: Client, write_key: str) -> None:
    _, other = WriteKey.issue("other source")
    post(client, shipped_event(1), write_key)
    assert post(client, shipped_event(1), other).json()["status"] == "accepted"
    assert InboundEvent.objects.count() == 2


def test_segment_batches_report_duplicates(client: Client, write_key: str) -> None:
    auth = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()
    body = json.dumps({"batch": [{**shipped_event(1), "type": "track"}]})
    client.post("/v1/batch", body, content_type="application/json", headers={"Authorization": auth})
    answer = client.post("/v1/batch", body, content_type="application/json", headers={"Authorization": auth}).json()
    assert (answer["accepted"], len(answer["duplicates"])) == (0, 1)


def test_a_segment_track_sent_twice_is_answered_as_a_duplicate_not_an_error(client: Client, write_key: str) -> None:
    auth = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()
    body = json.dumps(shipped_event(1))
    first = client.post("/v1/track", body, content_type="application/json", headers={"Authorization": auth})
    again = client.post("/v1/track", body, content_type="application/json", headers={"Authorization": auth})
    assert (first.status_code, again.status_code) == (200, 200)
    assert (again.json()["accepted"], len(again.json()["duplicates"])) == (0, 1)
    assert InboundEvent.objects.count() == 1


def test_a_write_key_revoked_by_another_process_is_refused_at_the_next_request(client: Client) -> None:
    key, raw = WriteKey.issue("checkout")
    assert post(client, shipped_event(1), raw).status_code == 202
    WriteKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())  # as another process revokes it
    assert post(client, shipped_event(2), raw).status_code == 401


def test_an_erasure_request_committed_by_another_process_is_in_force_at_the_next_request(client: Client) -> None:
    from datetime import timedelta

    from executor import erasure
    from executor.models import ErasureRequest

    _, raw = WriteKey.issue("checkout")
    assert post(client, shipped_event(1), raw).status_code == 202
    person = erasure.subject("email", "person2@example.com")
    ErasureRequest.objects.create(  # as another process files it: nothing of this process is told
        kind="email",
        subject_hash=person.key,
        subject=person.value,
        masked=person.masked,
        refuse_until=timezone.now() + timedelta(days=90),
    )
    refused = post(client, shipped_event(2), raw)
    assert refused.status_code == 422
    assert "asked to be erased" in refused.json()["detail"]
    assert post(client, shipped_event(3), raw).status_code == 202


def test_a_request_reads_its_write_key_and_whether_erasures_refuse_events_in_one_query(
    client: Client, write_key: str
) -> None:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert post(client, shipped_event(1), write_key).status_code == 202
    asked = [query["sql"] for query in queries if "erasure" in query["sql"] or "key_hash" in query["sql"]]
    assert len(asked) == 1
    assert "erasure" in asked[0]
    assert "key_hash" in asked[0]

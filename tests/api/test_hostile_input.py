"""Malformed and hostile input to the JSON API: always a 4xx problem document, never a 500 or HTML."""

import json

import pytest
from django.test import Client

from executor.models import Delivery, InboundEvent
from mapper.models import Action

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert body["status"] == status
    return body


def _delivery(action, status: str) -> Delivery:
    event = InboundEvent.objects.create(source="api", event_type="track", message_id=f"m-{status}", body={})
    return Delivery.objects.create(
        event=event,
        action=action,
        destination=action.destination,
        action_snapshot={},
        sender_key="k",
        status=status,
        payload={"type": "Order Shipped"},
    )


@pytest.fixture
def delivered(action) -> Delivery:
    return _delivery(action, Delivery.Status.DELIVERED)


@pytest.fixture
def failed_delivery(action) -> Delivery:
    return _delivery(action, Delivery.Status.FAILED)


@pytest.mark.parametrize(
    ("url", "query", "named"),
    [
        ("/api/v1/deliveries", {"destination": "²"}, "destination"),
        ("/api/v1/deliveries", {"event": "²"}, "event"),
        ("/api/v1/deliveries", {"action": "1.5"}, "action"),
        ("/api/v1/deliveries", {"status": "nope"}, "status"),
        ("/api/v1/deliveries", {"period": "1y"}, "period"),
        ("/api/v1/deliveries", {"destinaton": "1"}, "destinaton"),
        ("/api/v1/actions", {"destination": "²"}, "destination"),
        ("/api/v1/audit-log", {"verb": "x" * 65}, "verb"),
        ("/api/v1/audit-log", {"actr": "admin"}, "actr"),
        ("/api/v1/destinations", {"limit": "abc"}, "limit"),
        ("/api/v1/write-keys", {"offset": "-1"}, "offset"),
    ],
)
def test_a_malformed_filter_is_a_400_problem_naming_it(api_as, delivered, url: str, query: dict, named: str) -> None:
    body = assert_problem(api_as("admin").get(url, query), 400)
    assert [error["field"] for error in body["errors"]] == [named]
    assert "results" not in body


def test_a_replay_by_a_malformed_filter_is_a_400_and_replays_nothing(api_as, failed_delivery) -> None:
    response = api_as("marketer").post("/api/v1/deliveries/replay", {"filter": {"destination": "²"}}, format="json")
    body = assert_problem(response, 400)
    assert [error["field"] for error in body["errors"]] == ["filter.destination"]
    failed_delivery.refresh_from_db()
    assert failed_delivery.status == Delivery.Status.FAILED


def test_a_well_formed_filter_still_filters(api_as, delivered) -> None:
    client = api_as("engineer")
    assert client.get("/api/v1/deliveries", {"destination": delivered.destination_id}).json()["count"] == 1
    assert client.get("/api/v1/deliveries", {"destination": delivered.destination_id + 1}).json()["count"] == 0
    assert client.get("/api/v1/deliveries", {"limit": "1", "offset": "0", "status": ""}).json()["count"] == 1


def test_one_delivery_is_found_by_its_id_whatever_the_query(api_as, delivered) -> None:
    assert api_as("engineer").get(f"/api/v1/deliveries/{delivered.pk}", {"status": "failed"}).status_code == 200


def test_reorder_with_a_nested_list_is_a_400_naming_order(api_as, action) -> None:
    response = api_as("marketer").post(
        "/api/v1/actions/reorder", {"destination": action.destination_id, "order": [[1]]}, format="json"
    )
    body = assert_problem(response, 400)
    assert body["errors"][0]["field"] == "order"


def test_get_on_the_ingest_endpoint_is_a_405_problem(client: Client) -> None:
    response = client.get("/api/v1/events")
    assert_problem(response, 405)
    assert response["Allow"] == "POST"


@pytest.mark.parametrize("path", ["/api/v1/events", "/v1/track", "/api/v1/nothing-here"])
def test_an_error_made_problem_json_keeps_the_security_headers(client: Client, path: str) -> None:
    response = client.get(path)
    assert response["Content-Type"] == "application/problem+json"
    assert response["X-Frame-Options"] == "DENY"
    assert "default-src" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_get_on_a_segment_endpoint_is_a_405_problem(client: Client) -> None:
    assert_problem(client.get("/v1/track"), 405)


def test_an_unknown_api_address_is_a_404_problem(client: Client) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404)


def test_an_api_body_over_5_mb_is_a_413_problem(api_as) -> None:
    body = json.dumps({"event": {"note": "x" * (6 * 1024 * 1024)}})
    response = api_as("engineer").post("/api/v1/preview", body, content_type="application/json")
    assert_problem(response, 413)


def test_an_infinite_number_in_an_api_body_is_a_400_problem(api_as, action) -> None:
    body = '{"action": ACTION, "event": {"type": "track", "n": 1e400}}'.replace("ACTION", str(action.pk))
    response = api_as("engineer").post("/api/v1/preview", body, content_type="application/json")
    assert_problem(response, 400)


def test_a_preview_of_a_100000_deep_event_is_a_4xx_not_a_500(api_as, action) -> None:
    body = f'{{"action": {action.pk}, "event": {"[" * 100_000}1{"]" * 100_000}}}'
    response = api_as("engineer").post("/api/v1/preview", body, content_type="application/json")
    assert_problem(response, 400)


def test_a_preview_sample_over_the_ingest_limits_is_refused_on_the_event_field(api_as, action) -> None:
    event = {"type": "track", "event": "x", "properties": {"note": "y" * (70 * 1024)}}
    response = api_as("engineer").post("/api/v1/preview", {"action": action.pk, "event": event}, format="json")
    body = assert_problem(response, 400)
    assert body["errors"][0]["field"] == "event"
    assert "65536 bytes" in body["errors"][0]["message"]


def test_a_preview_with_an_exploding_literal_is_an_error_on_its_field(api_as, destination) -> None:
    response = api_as("engineer").post(
        "/api/v1/preview",
        {
            "destination": destination.pk,
            "action_type": "custom_event",
            "trigger": "`true`",
            "mappings": {"event_name": "`1e400`", "email": "'a@b.co'", "properties.x": "a||" * 600 + "a"},
            "event": {"type": "track", "event": "x"},
        },
        format="json",
    )
    assert response.status_code == 200
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"event_name", "properties.x"} <= fields


@pytest.fixture
def infinite_delivery(action) -> Delivery:
    """A row stored before ingest refused 1e400 (as the first release did)."""
    event = InboundEvent.objects.create(
        source="api", event_type="track", message_id="m-inf", body={"type": "track", "properties": {"n": 1e400}}
    )
    return Delivery.objects.create(
        event=event,
        action=action,
        destination=action.destination,
        action_snapshot={},
        sender_key="k",
        status="retrying",
        payload={"type": "x", "properties": {"n": float("inf")}},
    )


@pytest.mark.parametrize("role", ["engineer", "marketer", "admin"])
@pytest.mark.parametrize("query", [{}, {"status": "retrying"}])
def test_a_stored_infinite_number_never_makes_the_delivery_list_fail(api_as, infinite_delivery, role, query) -> None:
    response = api_as(role).get("/api/v1/deliveries", query)
    assert response.status_code == 200
    assert response.json()["results"][0]["id"] == infinite_delivery.pk


def test_a_stored_infinite_number_is_shown_as_text_to_admins(api_as, infinite_delivery) -> None:
    detail = api_as("admin").get(f"/api/v1/deliveries/{infinite_delivery.pk}").json()
    assert detail["payload"]["properties"]["n"] == "inf"


def test_a_stored_infinite_number_never_makes_the_event_page_fail(client: Client, infinite_delivery, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "a-long-password-1"))
    assert client.get(f"/events/{infinite_delivery.event_id}/").status_code == 200


@pytest.mark.parametrize(
    "sample",
    [
        "[" * 100_000 + "1" + "]" * 100_000,
        '{"type": "track", "event": "x", "n": 1e400}',
        '{"type": "track", "event": "x\\u0000"}',
    ],
    ids=["100000-deep", "infinite", "nul"],
)
def test_the_editor_preview_refuses_a_hostile_sample_on_its_field(client: Client, destination, sample: str) -> None:
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "a-long-password-1"))
    data = {"name": "x", "trigger": "@", "map__event_name": "event", "sample_event": sample}
    response = client.post(f"/destinations/{destination.pk}/actions/preview/custom_event/", data)
    assert response.status_code == 200
    assert "invalid_sample" in response.content.decode()


@pytest.mark.parametrize("endpoint", ["replay", "rerun"])
def test_a_replay_or_rerun_of_too_many_ids_is_a_400_naming_ids(api_as, endpoint: str) -> None:
    response = api_as("marketer").post(f"/api/v1/deliveries/{endpoint}", {"ids": list(range(1, 40_000))}, format="json")
    body = assert_problem(response, 400)
    assert body["errors"][0]["field"] == "ids"


@pytest.mark.parametrize("endpoint", ["replay", "rerun"])
@pytest.mark.parametrize(
    ("body", "field", "says"), [({"ids": "abc"}, "ids", "A list of"), ({"filter": "x"}, "filter", "An object")]
)
def test_ids_or_a_filter_in_the_wrong_shape_are_refused_saying_what_they_must_be(
    api_as, endpoint: str, body: dict, field: str, says: str
) -> None:
    problem = assert_problem(api_as("marketer").post(f"/api/v1/deliveries/{endpoint}", body, format="json"), 400)
    assert (problem["errors"][0]["field"], problem["errors"][0]["message"][: len(says)]) == (field, says)


def test_a_server_error_in_the_api_is_a_problem_that_says_nothing_of_the_request(api_as, monkeypatch) -> None:
    from executor.api import DeliveryViewSet

    def broken(*args, **kwargs):
        raise RuntimeError("jane@example.com")  # a message that must not reach the answer

    monkeypatch.setattr(DeliveryViewSet, "list", broken)
    client = api_as("engineer")
    client.raise_request_exception = False
    response = client.get("/api/v1/deliveries")
    body = assert_problem(response, 500)
    assert "jane@example.com" not in response.content.decode()
    assert "nothing about the request was logged" in body["detail"]


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        (
            "/api/v1/actions",
            {"destination": 999, "action_type": "custom_event", "name": "x"},
            "destination",
            "No destination has the id 999.",
        ),
        ("/api/v1/backfills", {"action": 999, "since": "2026-12-01T00:00:00Z"}, "action", "No action has the id 999."),
    ],
)
def test_an_id_of_nothing_is_refused_in_words(api_as, path: str, body: dict, field: str, message: str) -> None:
    problem = assert_problem(api_as("marketer").post(path, body, format="json"), 400)
    assert {"field": field, "message": message} in [{k: e[k] for k in ("field", "message")} for e in problem["errors"]]


@pytest.mark.parametrize(
    ("role", "path", "body", "field"),
    [
        ("marketer", "/api/v1/actions/{action}/duplicate", {"x": 1}, "x"),
        ("marketer", "/api/v1/actions/{action}/restore", {"version": 1, "x": 2}, "x"),
        ("marketer", "/api/v1/actions/{action}/test-send", {"event": {}, "confrim": True}, "confrim"),
        ("marketer", "/api/v1/deliveries/rerun", {"fitler": {"status": "invalid"}}, "fitler"),
        (
            "marketer",
            "/api/v1/backfills",
            {"action": "{action}", "since": "2026-12-01T00:00:00Z", "dryrun": True},
            "dryrun",
        ),
        ("admin", "/api/v1/destinations/{destination}/verify", {"x": 1}, "x"),
    ],
)
def test_a_command_endpoint_names_a_field_it_does_not_read(
    api_as, action, role: str, path: str, body: dict, field: str
) -> None:
    ids = {"action": action.pk, "destination": action.destination_id}
    body = {name: value.format(**ids) if isinstance(value, str) else value for name, value in body.items()}
    if "action" in body:
        body["action"] = int(body["action"])
    since = Action.objects.count()
    problem = assert_problem(api_as(role).post(path.format(**ids), body, format="json"), 400)
    assert [(error["field"], error["code"]) for error in problem["errors"]] == [(field, "unknown_field")]
    assert Action.objects.count() == since

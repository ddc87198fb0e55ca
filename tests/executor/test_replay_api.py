"""Following a replay through the API: the jobs the delivery log's "Recent replays" shows, with the same
progress; engineers read them; a message id a replay's filter names stays masked for non-admins."""

import pytest
from django.test import Client

from executor.models import Delivery, InboundEvent, Replay
from mapper.models import Action
from tests.commands import page_client

pytestmark = pytest.mark.django_db


def _failed(action: Action, message_id: str = "m-1") -> Delivery:
    event = InboundEvent.objects.create(source="api", event_type="track", message_id=message_id, body={})
    return Delivery.objects.create(
        event=event,
        action=action,
        destination=action.destination,
        action_snapshot={},
        sender_key="k",
        status="failed",
        payload={"type": "x"},
    )


def test_a_replay_made_through_the_api_is_followed_by_its_id(api_as, order_shipped: Action) -> None:
    failed = _failed(order_shipped)
    made = api_as("marketer").post("/api/v1/deliveries/replay", {"ids": [failed.pk]}, format="json").json()
    shown = api_as("engineer").get(f"/api/v1/replays/{made['replay']}")
    assert shown.status_code == 200
    body = shown.json()
    assert {key: body[key] for key in ("id", "description", "total", "done", "percent", "state")} == {
        "id": made["replay"],
        "description": "1 selected delivery",
        "total": 1,
        "done": 1,
        "percent": 100,
        "state": "done",
    }
    assert body["finished_at"] is not None


def test_the_list_shows_the_progress_the_delivery_log_shows_newest_first(api_as, db) -> None:
    Replay.objects.create(description="2 selected deliveries", selection={"ids": [1, 2]}, total=2, done=2, state="done")
    running = Replay.objects.create(
        description="Everything matching destination=1", selection={"destination": "1"}, total=10, done=3
    )
    listed = api_as("engineer").get("/api/v1/replays").json()["results"]
    first = listed[0]
    assert (first["id"], first["done"], first["total"], first["percent"], first["state"]) == (
        running.pk,
        3,
        10,
        30,
        "running",
    )
    assert [job["description"] for job in listed] == ["Everything matching destination=1", "2 selected deliveries"]
    page = page_client("engineer").get("/deliveries/").content.decode()
    assert "Everything matching destination=1 · 3 of 10 (30%) · Running" in page


@pytest.mark.parametrize(("role", "masked"), [("engineer", True), ("marketer", True), ("admin", False)])
def test_a_message_id_the_filter_names_is_masked_for_non_admins(api_as, db, role: str, masked: bool) -> None:
    job = Replay.objects.create(
        description="Everything matching message_id=jane@example.com",
        selection={"message_id": "jane@example.com"},
        total=1,
    )
    description = api_as(role).get(f"/api/v1/replays/{job.pk}").json()["description"]
    assert ("jane@example.com" not in description) is masked
    assert description.startswith("Everything matching message_id=")
    page = page_client(role).get("/deliveries/").content.decode()  # the delivery log's "Recent replays" too
    assert ("jane@example.com" not in page) is masked


def test_an_unknown_list_parameter_is_a_400_naming_it(api_as, db) -> None:
    response = api_as("engineer").get("/api/v1/replays", {"state": "running"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "state"


def test_a_replay_is_read_only_and_an_unknown_one_is_a_404(api_as, db) -> None:
    assert api_as("engineer").get("/api/v1/replays/999").status_code == 404
    assert api_as("admin").post("/api/v1/replays", {}, format="json").status_code == 405


def test_replays_are_not_shown_without_a_token(db) -> None:
    Replay.objects.create(description="1 selected delivery", selection={"ids": [1]}, total=1)
    assert Client().get("/api/v1/replays").status_code == 401

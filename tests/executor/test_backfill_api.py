"""The backfill API: a dry run, start, cancel and status; bad input is a 400 problem naming the field."""

from datetime import timedelta

import pytest
from django.utils import timezone

from destinations.models import Destination
from executor.models import Backfill
from executor.routing import route_unrouted
from mapper.models import Action
from tests.events import shipped_event
from tests.executor.flows import accept, action_from_preset

pytestmark = pytest.mark.django_db


@pytest.fixture
def action(destination: Destination) -> Action:
    accept(shipped_event(1))
    route_unrouted()
    return action_from_preset(destination, "custom_event", "order_shipped")


def an_hour_ago() -> str:
    return (timezone.now() - timedelta(hours=1)).isoformat()


def test_a_dry_run_start_status_and_cancel_through_the_api(api_as, action: Action) -> None:
    client = api_as("marketer")
    counted = client.post("/api/v1/backfills", {"action": action.pk, "since": an_hour_ago()}, format="json")
    assert counted.status_code == 201
    assert counted.json()["state"] == "dry_run"
    assert counted.json()["expected"]["queued"] == 1
    url = f"/api/v1/backfills/{counted.json()['id']}"

    started = client.post(f"{url}/start", format="json")
    assert (started.status_code, started.json()["state"], started.json()["total"]) == (202, "running", 1)
    assert api_as("engineer").get(url).json()["state"] == "running"
    cancelled = client.post(f"{url}/cancel", format="json")
    assert (cancelled.status_code, cancelled.json()["state"]) == (200, "cancelled")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"since": "2026-01-01T00:00:00Z"}, "action"),
        ({"action": "x", "since": "2026-01-01T00:00:00Z"}, "action"),
        ({"action": 1}, "since"),
        ({"action": 1, "since": "yesterday"}, "since"),
        ({"action": 1, "since": "2000-01-01T00:00:00Z"}, "since"),
    ],
)
def test_bad_input_is_a_400_problem_naming_the_field(api_as, action: Action, body: dict, field: str) -> None:
    body = {**body, "action": action.pk} if body.get("action") == 1 else body
    response = api_as("marketer").post("/api/v1/backfills", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert not Backfill.objects.exists()


def test_starting_a_running_backfill_again_is_a_400_naming_it(api_as, action: Action) -> None:
    client = api_as("marketer")
    job = client.post("/api/v1/backfills", {"action": action.pk, "since": an_hour_ago()}, format="json").json()
    client.post(f"/api/v1/backfills/{job['id']}/start", format="json")
    again = client.post(f"/api/v1/backfills/{job['id']}/start", format="json")
    assert again.status_code == 400
    assert [error["field"] for error in again.json()["errors"]] == ["backfill"]


def test_an_engineer_reads_backfills_but_may_not_start_one(api_as, action: Action) -> None:
    engineer = api_as("engineer")
    assert engineer.get("/api/v1/backfills").status_code == 200
    refused = engineer.post("/api/v1/backfills", {"action": action.pk, "since": an_hour_ago()}, format="json")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"

"""The REST API carries an action's consent category and its preview judges it."""

import pytest

from mapper.models import Action

pytestmark = pytest.mark.django_db

EVENT = {"type": "track", "event": "Order Shipped", "context": {"traits": {"email": "jane@example.com"}}}
ACTION = {
    "name": "Shipped",
    "action_type": "custom_event",
    "trigger": "event == 'Order Shipped'",
    "mappings": {"event_name": "event", "email": "context.traits.email"},
    "enabled": True,
}


def test_the_api_saves_and_answers_an_action_consent_category(api_as, destination) -> None:
    client = api_as("marketer")
    body = {**ACTION, "destination": destination.pk, "consent_category": " Marketing "}
    response = client.post("/api/v1/actions", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["consent_category"] == "Marketing"
    assert response.json()["consent_when_unknown"] == ""
    patched = client.patch(f"/api/v1/actions/{response.json()['id']}", {"consent_when_unknown": "send"}, format="json")
    assert patched.json()["consent_when_unknown"] == "send"


def test_the_api_refuses_a_bad_consent_setting_naming_the_field(api_as, destination) -> None:
    body = {**ACTION, "destination": destination.pk, "consent_when_unknown": "maybe"}
    response = api_as("marketer").post("/api/v1/actions", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "consent_when_unknown" in response.content.decode()


def test_the_api_preview_says_an_event_without_consent_is_skipped(api_as, destination) -> None:
    client = api_as("engineer")
    unsaved = {**ACTION, "destination": destination.pk, "event": EVENT, "consent_category": "Marketing"}
    answer = client.post("/api/v1/preview", unsaved, format="json").json()
    assert answer["outcome"] == {
        "kind": "skipped",
        "reason": "Skipped: no consent for Marketing: the event carries no consent information.",
    }
    saved = Action.objects.create(destination=destination, consent_category="Marketing", **ACTION)
    answer = client.post("/api/v1/preview", {"action": saved.pk, "event": EVENT}, format="json").json()
    assert answer["outcome"]["kind"] == "skipped"

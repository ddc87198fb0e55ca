"""An enabled action that could deliver nothing is not saved as enabled: editor, API, enable, import."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.roles import set_role
from destinations.models import Destination
from destinations.privacy import PrivacyPolicy
from mapper.models import Action
from mapper.pipeline import ActionConfig, never_delivers

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("mappings", "field", "code"),
    [
        ({"event_name": "event"}, "phone", "no_identifier_mapped"),
        ({"event_name": "'Order, Shipped'", "email": "context.traits.email"}, "event_name", "forbidden_character"),
        ({"event_name": "'HIV Test'", "email": "context.traits.email"}, "event_name", "blocked_by_rule"),
        (
            {"event_name": "event", "email": "context.traits.email", "properties.Note": "properties.diagnosis"},
            "properties.Note",
            "blocked_by_rule",
        ),
    ],
)
def test_what_can_never_deliver_is_named_on_its_field(mappings: dict, field: str, code: str) -> None:
    config = ActionConfig.of("attentive", "custom_event", "@", mappings)
    assert [(e.field, e.code) for e in never_delivers(config, PrivacyPolicy())] == [(field, code)]


def test_a_deliverable_action_has_nothing_against_it() -> None:
    config = ActionConfig.of("attentive", "custom_event", "@", {"event_name": "event", "email": "context.traits.email"})
    assert never_delivers(config, PrivacyPolicy()) == []


def test_a_source_only_its_context_can_stop_does_not_keep_the_action_disabled() -> None:
    # A member id is a loyalty member's in "Loyalty Points Earned" and may be an insurer's elsewhere:
    # some events deliver it, so the action may be enabled; each event is judged on its own.
    mappings = {"event_name": "event", "email": "context.traits.email", "properties.Member": "properties.member_id"}
    config = ActionConfig.of("attentive", "custom_event", "@", mappings)
    assert never_delivers(config, PrivacyPolicy()) == []


@pytest.fixture
def destination() -> Destination:
    return Destination.objects.create(name="Brand")


def marketer() -> Client:
    user = get_user_model().objects.create_user("maria")
    set_role(user, "marketer")
    client = Client()
    client.force_login(user)
    return client


def form(**overrides: str) -> dict[str, str]:
    return {
        "name": "No id",
        "trigger": "@",
        "enabled": "on",
        "map__event_name": "event",
        "sample_event": "{}",
        **overrides,
    }


def test_the_editor_refuses_to_save_it_enabled_and_says_why(destination: Destination) -> None:
    response = marketer().post(f"/destinations/{destination.pk}/actions/new/?type=custom_event", form(_save="1"))
    assert response.status_code == 400
    assert "Not saved as enabled" in response.content.decode()
    assert not Action.objects.exists()


def test_save_disabled_keeps_the_work(destination: Destination) -> None:
    response = marketer().post(
        f"/destinations/{destination.pk}/actions/new/?type=custom_event", form(_save_disabled="1")
    )
    assert response.status_code == 302
    action = Action.objects.get()
    assert (action.enabled, action.mappings) == (False, {"event_name": "event"})


def test_it_cannot_be_switched_on_from_the_list(destination: Destination) -> None:
    action = Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name="x",
        trigger="@",
        enabled=False,
        mappings={"event_name": "event"},
    )
    marketer().post(f"/actions/{action.pk}/toggle/")
    action.refresh_from_db()
    assert not action.enabled


def test_the_api_answers_422_naming_the_field(api_as, destination: Destination) -> None:
    body = {"destination": destination.pk, "action_type": "custom_event", "name": "x", "trigger": "@"}
    response = api_as("marketer").post("/api/v1/actions", {**body, "mappings": {"event_name": "event"}}, format="json")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "mappings.phone"
    disabled = {**body, "mappings": {"event_name": "event"}, "enabled": False}
    created = api_as("marketer").post("/api/v1/actions", disabled, format="json")
    assert created.status_code == 201
    assert api_as("marketer").post(f"/api/v1/actions/{created.json()['id']}/enable").status_code == 422


def test_a_config_import_refuses_it_enabled(api_as, destination: Destination) -> None:
    document = {
        "format": "relay-config",
        "version": 1,
        "destinations": [
            {
                "name": "Brand",
                "actions": [
                    {"name": "x", "action_type": "custom_event", "trigger": "@", "mappings": {"event_name": "event"}}
                ],
            }
        ],
    }
    response = api_as("admin").post("/api/v1/config", document, format="json")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["destinations.0.actions.0.mappings.phone"]

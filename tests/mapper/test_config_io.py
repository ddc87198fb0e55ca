"""A configuration document is read strictly: a key Relay does not know is refused by name and place,
at every level, by the function, the API and the command alike."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.roles import set_role
from destinations.models import Destination
from mapper.config_io import export_config, import_config
from mapper.models import Action

pytestmark = pytest.mark.django_db

ACTION = {
    "name": "Shipped",
    "action_type": "custom_event",
    "trigger": "event == 'Order Shipped'",
    "mappings": {"event_name": "event", "email": "context.traits.email"},
    "enabled": True,
}


def _document(**destination: object) -> dict:
    return {
        "format": "relay-config",
        "version": 1,
        "destinations": [{"name": "Acme", "actions": [dict(ACTION)], **destination}],
    }


@pytest.fixture
def admin_api() -> APIClient:
    admin = get_user_model().objects.create_user("config-admin")
    set_role(admin, "admin")
    client = APIClient()
    client.force_authenticate(admin)
    return client


def _paths(document: dict) -> set[str]:
    return {problem.path for problem in import_config(document).problems}


def test_a_misspelt_destination_setting_is_refused_with_its_place_and_the_key_meant() -> None:
    result = import_config(_document(allowlist_enable=True))
    assert [(p.path, p.code) for p in result.problems] == [("destinations.0.allowlist_enable", "unknown_key")]
    assert "Did you mean “allowlist_enabled”?" in result.problems[0].message
    assert not Destination.objects.exists()


def test_an_unknown_key_at_the_top_of_the_document_is_refused() -> None:
    assert _paths({**_document(), "destinatons": []}) == {"destinatons"}


def test_an_unknown_action_key_is_refused() -> None:
    document = _document()
    document["destinations"][0]["actions"][0]["trigger_expression"] = "@"
    assert _paths(document) == {"destinations.0.actions.0.trigger_expression"}


@pytest.mark.parametrize(
    ("key", "rule"),
    [
        ("blocked_names", {"label": "Health", "pattern": "diagnos", "flags": "i"}),
        ("blocked_values", {"label": "ICD", "pattern": "[A-Z][0-9]{2}", "flags": "i"}),
        ("blocked_terms", {"label": "Health", "terms": ["diabetes"], "flags": "i"}),
    ],
)
def test_an_unknown_key_in_a_privacy_rule_is_refused(key: str, rule: dict) -> None:
    assert _paths(_document(**{key: [rule]})) == {f"destinations.0.{key}.0.flags"}


def test_every_unknown_key_is_named_not_only_the_first() -> None:
    document = _document(allowlist_enable=True, colour="red")
    document["destinations"][0]["actions"][0]["enable"] = False
    assert _paths(document) == {
        "destinations.0.allowlist_enable",
        "destinations.0.colour",
        "destinations.0.actions.0.enable",
    }


def test_an_exported_document_has_only_known_keys(db) -> None:
    destination = Destination.objects.create(name="Acme")
    Action.objects.create(destination=destination, **ACTION)
    assert import_config(export_config(), dry_run=True).problems == []


def test_the_api_answers_an_unknown_key_with_a_400_problem_naming_it(admin_api: APIClient) -> None:
    answer = admin_api.post("/api/v1/config", _document(allowlist_enable=True), format="json")
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["errors"] == [
        {
            "field": "destinations.0.allowlist_enable",
            "code": "unknown_key",
            "message": "Unknown key “allowlist_enable”. Did you mean “allowlist_enabled”?",
        }
    ]
    assert not Destination.objects.exists()


def test_the_api_keeps_every_problem_of_one_place(admin_api: APIClient) -> None:
    document = _document(blocked_names=[{"label": "A", "pattern": "("}, {"label": "B", "pattern": "["}])
    answer = admin_api.post("/api/v1/config", document, format="json")
    assert answer.status_code == 400
    assert len([e for e in answer.json()["errors"] if e["field"] == "destinations.0.blocked_names"]) == 2


def test_the_import_command_refuses_an_unknown_key_and_imports_nothing(tmp_path) -> None:
    path = tmp_path / "relay.json"
    path.write_text(json.dumps(_document(allowlist_enable=True)))
    with pytest.raises(CommandError, match=r"destinations\.0\.allowlist_enable: Unknown key"):
        call_command("import_config", str(path))
    assert not Destination.objects.exists()


def test_a_broken_privacy_rule_is_the_only_problem_of_a_file_with_an_enabled_subscribe_action() -> None:
    subscribe = {
        "name": "Subscribed",
        "action_type": "subscribe",
        "trigger": "event == 'Subscribed'",
        "mappings": {"consent": "properties.consent", "phone": "properties.phone"},
        "enabled": True,
    }
    document = _document(
        subscription_disclosure="I agree to texts.", blocked_names=[{"label": "Health", "patern": "diagnos"}]
    )
    document["destinations"][0]["actions"] = [subscribe]
    assert {path for path in _paths(document) if ".actions." in path} == set()

"""The consent category travels through configuration export and import."""

import copy

import pytest

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


def document(action: dict | None = None, **destination: object) -> dict:
    return {
        "format": "relay-config",
        "version": 1,
        "destinations": [{"name": "Acme", "actions": [action or dict(ACTION)], **destination}],
    }


def test_consent_categories_round_trip_through_export_and_import() -> None:
    wanted = document(
        {**ACTION, "consent_category": "Marketing", "consent_when_unknown": "send"},
        consent_category="Analytics",
        consent_when_unknown="skip",
    )
    assert not import_config(wanted).problems
    exported = export_config()
    (destination,) = exported["destinations"]
    assert (destination["consent_category"], destination["consent_when_unknown"]) == ("Analytics", "skip")
    assert destination["actions"][0]["consent_category"] == "Marketing"
    assert destination["actions"][0]["consent_when_unknown"] == "send"
    Action.objects.all().delete()
    Destination.objects.all().delete()
    assert not import_config(copy.deepcopy(exported)).problems
    assert export_config() == exported
    assert import_config(exported).counts["unchanged"] == 2


def test_an_action_without_consent_exports_no_consent_keys() -> None:
    import_config(document())
    assert "consent_category" not in export_config()["destinations"][0]["actions"][0]


@pytest.mark.parametrize(
    ("where", "value", "path"),
    [
        ("action", {"consent_category": 7}, "destinations.0.actions.0.consent_category"),
        ("action", {"consent_when_unknown": "maybe"}, "destinations.0.actions.0.consent_when_unknown"),
        ("destination", {"consent_category": "x" * 101}, "destinations.0.consent_category"),
        ("destination", {"consent_when_unknown": "never"}, "destinations.0.consent_when_unknown"),
    ],
)
def test_import_refuses_a_malformed_consent_setting_by_its_path(where: str, value: dict, path: str) -> None:
    wanted = document({**ACTION, **value}) if where == "action" else document(**value)
    problems = import_config(wanted).problems
    assert path in {problem.path for problem in problems}
    assert not Destination.objects.exists()

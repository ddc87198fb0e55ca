"""GET, PUT and PATCH /api/v1/destinations/{id}/privacy: the privacy rules page's fields, checked by its form
and saved by its command, so the page and the API refuse alike and leave the same rows and audit entry."""

from typing import Any

import pytest

from destinations import privacy
from destinations.models import Destination
from tests.commands import api_client, entries, last_entry_id, page_client
from tests.mapper.test_config_io_privacy import too_many_rules

pytestmark = pytest.mark.django_db

RULES: dict[str, Any] = {
    "consent_expression": "context.consent.categoryPreferences.marketing",
    "consent_category": "Marketing",
    "consent_when_unknown": "send",
    "allowlist_enabled": True,
    "allowed_names": ["order_id", "total"],
    "blocked_names": [{"label": "Diagnosis", "pattern": "diagnos unless shipping"}],
    "blocked_values": [{"label": "Codes", "pattern": "@ICD-10-CM"}],
    "blocked_terms": [{"label": "Conditions", "terms": ["HIV positive", "diabetes"]}],
    "privacy_exceptions": ["properties.sku"],
}


@pytest.fixture
def destination() -> Destination:
    return Destination.objects.create(name="Clinic")


def _url(destination: Destination) -> str:
    return f"/api/v1/destinations/{destination.pk}/privacy"


def _page_form(rules: dict[str, Any]) -> dict[str, str]:
    form = {
        "consent_expression": rules["consent_expression"],
        "consent_category": rules["consent_category"],
        "consent_when_unknown": rules["consent_when_unknown"],
        "allowed_names": "\n".join(rules["allowed_names"]),
        "blocked_names": privacy.rules_to_text(rules["blocked_names"]),
        "blocked_values": privacy.rules_to_text(rules["blocked_values"]),
        "blocked_terms": privacy.terms_to_text(rules["blocked_terms"]),
        "privacy_exceptions": "\n".join(rules["privacy_exceptions"]),
    }
    return {**form, "allowlist_enabled": "on"} if rules["allowlist_enabled"] else form


def _stored(destination: Destination) -> dict[str, Any]:
    destination.refresh_from_db()
    return {name: getattr(destination, name) for name in Destination.PRIVACY_FIELDS}


def test_engineers_read_the_rules_the_page_shows(destination: Destination) -> None:
    response = api_client("engineer").get(_url(destination))
    assert response.status_code == 200
    assert response.json() == _stored(destination)
    assert response.json()["blocked_names"] == privacy.default_rules("name")


@pytest.mark.parametrize("path", ["page", "api"])
def test_the_page_and_the_api_leave_the_same_rows_and_the_same_entry(path: str, destination: Destination) -> None:
    if path == "page":
        client, since = page_client("admin"), last_entry_id()
        assert client.post(f"/destinations/{destination.pk}/privacy/", _page_form(RULES)).status_code == 302
    else:
        client, since = api_client("admin"), last_entry_id()
        response = client.put(_url(destination), RULES, format="json")
        assert response.status_code == 200
        assert response.json() == RULES
    assert _stored(destination) == RULES
    changed = sorted(Destination.PRIVACY_FIELDS)
    assert [e for e in entries(since=since) if e[0] != "login"] == [
        ("privacy_rules_changed", "destination", "Clinic", {"fields": changed})
    ]


def test_patch_changes_only_the_fields_given(destination: Destination) -> None:
    before = _stored(destination)
    response = api_client("admin").patch(_url(destination), {"allowed_names": ["sku"]}, format="json")
    assert response.status_code == 200
    assert _stored(destination) == {**before, "allowed_names": ["sku"]}
    assert entries()[-1] == ("privacy_rules_changed", "destination", "Clinic", {"fields": ["allowed_names"]})


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consent_expression": "context.consent["}, "consent_expression"),
        ({"consent_when_unknown": "maybe"}, "consent_when_unknown"),
        ({"blocked_names": [{"label": "Broken", "pattern": "(unclosed"}]}, "blocked_names"),
        ({"blocked_names": [{"label": "A = B", "pattern": "x"}]}, "blocked_names.0.label"),
        ({"blocked_names": [{"label": "A", "pattern": "x", "unless": "y"}]}, "blocked_names.0.unless"),
        ({"blocked_terms": [{"label": "A", "terms": ["one, two"]}]}, "blocked_terms.0.terms.0"),
        ({"blocked_names": too_many_rules()}, "blocked_names"),
        ({"allowlist_enable": True}, "allowlist_enable"),
        ({"allowed_names": "order_id"}, "allowed_names"),
    ],
)
def test_bad_rules_are_a_400_naming_the_field_and_change_nothing(
    destination: Destination, change: dict[str, Any], field: str
) -> None:
    before, since = _stored(destination), last_entry_id()
    response = api_client("admin").patch(_url(destination), change, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert _stored(destination) == before
    assert entries(since=since) == []


def test_the_page_and_the_api_refuse_a_broken_pattern_with_the_same_message(destination: Destination) -> None:
    broken = {**RULES, "blocked_names": [{"label": "Broken", "pattern": "(unclosed"}]}
    page = page_client("admin").post(f"/destinations/{destination.pk}/privacy/", _page_form(broken))
    assert page.status_code == 400
    api = api_client("admin").put(_url(destination), broken, format="json")
    assert [error["message"] for error in api.json()["errors"]] == page.context["form"].errors["blocked_names"]


def test_put_wants_every_field(destination: Destination) -> None:
    partial = {name: value for name, value in RULES.items() if name != "privacy_exceptions"}
    response = api_client("admin").put(_url(destination), partial, format="json")
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["privacy_exceptions"]


@pytest.mark.parametrize("role", ["engineer", "marketer"])
def test_only_admins_change_the_rules(destination: Destination, role: str) -> None:
    before = _stored(destination)
    response = api_client(role).patch(_url(destination), {"allowlist_enabled": True}, format="json")
    assert response.status_code == 403
    assert "it needs the admin role" in response.json()["detail"]
    assert _stored(destination) == before


def test_an_unknown_destination_is_a_404(db) -> None:
    assert api_client("engineer").get("/api/v1/destinations/999/privacy").status_code == 404

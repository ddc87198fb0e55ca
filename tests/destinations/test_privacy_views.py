"""The privacy rules page refuses rules that cannot be searched together, and an admin's "not
health information" adds an exception for a source path, audited."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import AuditEntry
from accounts.roles import set_role
from destinations import privacy
from destinations.models import Destination
from tests.mapper.test_config_io_privacy import too_many_rules

pytestmark = pytest.mark.django_db


def signed_in(role: str) -> Client:
    user = get_user_model().objects.create_user(f"{role}-user")
    set_role(user, role)
    client = Client()
    client.force_login(user)
    return client


def test_the_page_refuses_rules_too_large_to_search_together() -> None:
    destination = Destination.objects.create(name="Clinic")
    response = signed_in("admin").post(
        f"/destinations/{destination.pk}/privacy/",
        {"blocked_names": privacy.rules_to_text(too_many_rules()), "blocked_values": "", "blocked_terms": ""},
    )
    assert response.status_code == 400
    assert "too large to be searched together" in response.content.decode()
    destination.refresh_from_db()
    assert destination.blocked_names == privacy.default_rules("name")


def test_not_health_information_adds_the_exception_once_and_audits_it() -> None:
    destination = Destination.objects.create(name="Shop")
    admin = signed_in("admin")
    url = f"/destinations/{destination.pk}/privacy/not-health/"
    assert admin.post(url, {"source": "properties.sku"}).status_code == 302
    assert admin.post(url, {"source": "properties.sku"}).status_code == 302
    destination.refresh_from_db()
    assert destination.privacy_exceptions == ["properties.sku"]
    (entry,) = AuditEntry.objects.filter(verb="privacy_exception_added")
    assert "marked a blocked field as not health information for “Shop” (field properties.sku)" in entry.sentence


@pytest.mark.parametrize("source", ["", "properties..sku", "a\nb", "x" * 301])
def test_not_health_information_wants_an_event_path(source: str) -> None:
    destination = Destination.objects.create(name="Shop")
    response = signed_in("admin").post(f"/destinations/{destination.pk}/privacy/not-health/", {"source": source})
    assert response.status_code == 400
    destination.refresh_from_db()
    assert destination.privacy_exceptions == []


def test_only_admins_mark_a_source_not_health_information() -> None:
    destination = Destination.objects.create(name="Shop")
    url = f"/destinations/{destination.pk}/privacy/not-health/"
    assert signed_in("marketer").post(url, {"source": "properties.sku"}).status_code == 403
    destination.refresh_from_db()
    assert destination.privacy_exceptions == []


def test_an_admin_sets_the_destination_consent_category_for_every_action() -> None:
    from tests.mapper.test_trial_send import signed_in

    destination = Destination.objects.create(name="Consent")
    url = f"/destinations/{destination.pk}/privacy/"
    data = {"consent_category": "Marketing", "consent_when_unknown": "send", "blocked_names": "", "blocked_values": ""}
    assert signed_in("admin").post(url, data).status_code == 302
    destination.refresh_from_db()
    assert (destination.consent_category, destination.consent_when_unknown) == ("Marketing", "send")
    page = signed_in("engineer").get(f"/destinations/{destination.pk}/").content.decode()
    assert "consent for Marketing" in page


@pytest.mark.parametrize("role", ["marketer", "engineer"])
def test_others_than_admins_read_the_rules_in_fields_they_cannot_type_in(role: str) -> None:
    destination = Destination.objects.create(name="Clinic")
    client = signed_in(role)
    page = client.get(f"/destinations/{destination.pk}/privacy/").content.decode()
    assert all("disabled" in _tag_of(page, name) for name in ("blocked_names", "consent_expression"))
    refused = client.post(f"/destinations/{destination.pk}/privacy/", {"blocked_names": ""})
    assert refused.status_code == 403
    assert "it needs the admin role" in refused.content.decode()
    destination.refresh_from_db()
    assert destination.blocked_names == privacy.default_rules("name")


def _tag_of(page: str, name: str) -> str:
    return re.search(rf'<[^<>]*name="{name}"[^<>]*>', page).group(0)


def test_an_admin_types_in_the_rules_and_others_cannot() -> None:
    destination = Destination.objects.create(name="Clinic")
    url = f"/destinations/{destination.pk}/privacy/"
    assert "disabled" not in _tag_of(signed_in("admin").get(url).content.decode(), "blocked_names")
    assert "disabled" in _tag_of(signed_in("marketer").get(url).content.decode(), "blocked_names")

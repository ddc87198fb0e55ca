"""destinations.commands: create a destination, change it or replace its key, verify it, change its
privacy rules; the settings page and the API leave the same rows and the same audit entry."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from core.commands import Refused
from destinations import commands
from destinations.models import Destination
from tests.commands import api_client, entries, last_entry_id, page_client, person
from tests.fake_attentive import GOOD_KEY

pytestmark = pytest.mark.django_db

OTHER_GOOD_KEY = GOOD_KEY  # the fake Attentive accepts this key whatever the destination
SETTINGS = {
    "default_region": "US",
    "test_mode": True,
    "enabled": True,
    "subscription_disclosure": "",
    "default_locale": "en-US",
    "default_sign_up_source_id": "",
}


@pytest.fixture
def destination(fake) -> Destination:
    destination = Destination(name="Acme", **SETTINGS)
    destination.set_api_key(GOOD_KEY)
    destination.save()
    return destination


def test_create_destination_checks_the_key_first_and_audits_it(fake) -> None:
    destination = commands.create_destination(person("admin"), name="Acme", api_key=GOOD_KEY, settings=SETTINGS)
    assert (destination.company_name, destination.api_key_last4) == ("Acme Health Inc.", GOOD_KEY[-4:])
    assert entries() == [("destination_created", "destination", "Acme", {})]


def test_create_destination_refuses_a_key_the_destination_rejects_on_the_key_field(fake) -> None:
    with pytest.raises(Refused) as refused:
        commands.create_destination(person("admin"), name="Acme", api_key="wrong-key-1234", settings=SETTINGS)
    assert refused.value.codes == {"api_key": "key_rejected"}
    assert not Destination.objects.exists()
    assert entries() == []


def test_create_destination_without_a_key_is_for_test_mode_only() -> None:
    admin = person("admin")
    with pytest.raises(Refused) as refused:
        commands.create_destination(admin, name="Live", api_key=None, settings={**SETTINGS, "test_mode": False})
    assert refused.value.codes == {"api_key": "required"}
    demo = commands.create_destination(admin, name="Demo", api_key=None, settings=SETTINGS)
    assert (demo.test_mode, demo.api_key_last4, demo.verified_at) == (True, "", None)
    assert entries(since=0)[-1] == ("destination_created", "destination", "Demo", {})


def test_create_destination_refuses_an_empty_key_even_in_test_mode() -> None:
    # What the page and the API pass when the key field is left empty.
    with pytest.raises(Refused) as refused:
        commands.create_destination(person("admin"), name="Acme", api_key="", settings=SETTINGS)
    assert refused.value.codes == {"api_key": "required"}


def test_create_destination_is_for_admins(fake) -> None:
    with pytest.raises(PermissionDenied):
        commands.create_destination(person("marketer"), name="Acme", api_key=GOOD_KEY)


def test_change_destination_audits_which_settings_changed_never_their_values(destination) -> None:
    commands.change_destination(
        person("admin"), destination=destination, settings={**SETTINGS, "subscription_disclosure": "I agree."}
    )
    assert entries() == [("destination_changed", "destination", "Acme", {"fields": ["subscription_disclosure"]})]


def test_replace_key_is_one_audit_entry(destination) -> None:
    commands.replace_key(person("admin"), destination=destination, api_key=OTHER_GOOD_KEY)
    assert entries() == [("destination_key_replaced", "destination", "Acme", {})]


def test_verify_destination_key_is_audited_with_its_answer(destination) -> None:
    verification = commands.verify_destination_key(person("admin"), destination=destination)
    assert verification.ok
    assert entries() == [("destination_verified", "destination", "Acme", {"ok": True})]


def test_change_privacy_rules_sets_them_and_audits_which_changed(destination) -> None:
    commands.change_privacy_rules(
        person("admin"), destination=destination, rules={"allowlist_enabled": True, "allowed_names": ["sku"]}
    )
    destination.refresh_from_db()
    assert (destination.allowlist_enabled, destination.allowed_names) == (True, ["sku"])
    assert entries() == [
        ("privacy_rules_changed", "destination", "Acme", {"fields": ["allowed_names", "allowlist_enabled"]})
    ]


def test_add_privacy_exception_refuses_what_is_not_an_event_path(destination) -> None:
    with pytest.raises(Refused) as refused:
        commands.add_privacy_exception(person("admin"), destination=destination, source="properties..sku")
    assert list(refused.value.errors) == ["source"]
    assert commands.add_privacy_exception(person("admin"), destination=destination, source="properties.sku")
    assert not commands.add_privacy_exception(person("admin"), destination=destination, source="properties.sku")
    assert [verb for verb, *_ in entries()] == ["privacy_exception_added"]


# The page and the API of the same command leave the same rows and the same audit entry.


def _form(**changes: Any) -> dict[str, Any]:
    form = {"name": "Acme", **SETTINGS, **changes}
    return {name: value for name, value in form.items() if value is not False}  # an unticked box is not sent


def _row(destination: Destination) -> tuple[Any, ...]:
    destination.refresh_from_db()
    return (destination.name, destination.test_mode, destination.company_name, destination.api_key_last4)


@pytest.mark.parametrize("path", ["page", "api"])
def test_creating_a_destination_from_the_page_or_the_api_leaves_the_same_rows_and_audit(path: str, fake) -> None:
    if path == "page":
        client, since = page_client("admin"), last_entry_id()
        assert client.post("/destinations/new/", _form(api_key=GOOD_KEY)).status_code == 302
    else:
        client, since = api_client("admin"), last_entry_id()
        body = {"name": "Acme", "api_key": GOOD_KEY, "test_mode": True}
        assert client.post("/api/v1/destinations", body, format="json").status_code == 201
    assert _row(Destination.objects.get()) == ("Acme", True, "Acme Health Inc.", GOOD_KEY[-4:])
    assert entries(since=since) == [("destination_created", "destination", "Acme", {})]


@pytest.mark.parametrize("path", ["page", "api"])
def test_replacing_the_key_from_the_page_or_the_api_is_one_audit_entry(path: str, destination) -> None:
    Destination.objects.filter(pk=destination.pk).update(company_name="")
    if path == "page":
        client, since = page_client("admin"), last_entry_id()
        assert client.post(f"/destinations/{destination.pk}/edit/", _form(api_key=OTHER_GOOD_KEY)).status_code == 302
    else:
        client, since = api_client("admin"), last_entry_id()
        body = {"api_key": OTHER_GOOD_KEY}
        assert client.patch(f"/api/v1/destinations/{destination.pk}", body, format="json").status_code == 200
    assert _row(destination) == ("Acme", True, "Acme Health Inc.", OTHER_GOOD_KEY[-4:])
    assert entries(since=since) == [("destination_key_replaced", "destination", "Acme", {})]


@pytest.mark.parametrize("path", ["page", "api"])
def test_changing_settings_from_the_page_or_the_api_leaves_the_same_rows_and_audit(path: str, destination) -> None:
    if path == "page":
        client, since = page_client("admin"), last_entry_id()
        assert client.post(f"/destinations/{destination.pk}/edit/", _form(test_mode=False)).status_code == 302
    else:
        client, since = api_client("admin"), last_entry_id()
        body = {"test_mode": False}
        assert client.patch(f"/api/v1/destinations/{destination.pk}", body, format="json").status_code == 200
    assert _row(destination) == ("Acme", False, "", GOOD_KEY[-4:])
    assert entries(since=since) == [("destination_changed", "destination", "Acme", {"fields": ["test_mode"]})]


@pytest.mark.parametrize("path", ["page", "api"])
def test_verifying_from_the_page_or_the_api_leaves_the_same_rows_and_audit(path: str, destination) -> None:
    if path == "page":
        client, since = page_client("admin"), last_entry_id()
        assert client.post(f"/destinations/{destination.pk}/verify/").status_code == 302
    else:
        client, since = api_client("admin"), last_entry_id()
        assert client.post(f"/api/v1/destinations/{destination.pk}/verify").status_code == 200
    assert _row(destination) == ("Acme", True, "Acme Health Inc.", GOOD_KEY[-4:])
    assert entries(since=since) == [("destination_verified", "destination", "Acme", {"ok": True})]


@pytest.mark.parametrize("path", ["page", "api"])
def test_a_rejected_key_is_refused_on_its_field_by_the_page_and_the_api(path: str, destination) -> None:
    if path == "page":
        client, since = page_client("admin"), last_entry_id()
        response = client.post(f"/destinations/{destination.pk}/edit/", _form(api_key="wrong-key-1234"))
        assert response.status_code == 400
        assert response.context["form"].errors["api_key"]
    else:
        client, since = api_client("admin"), last_entry_id()
        body = {"api_key": "wrong-key-1234"}
        response = client.patch(f"/api/v1/destinations/{destination.pk}", body, format="json")
        assert response.status_code == 400
        assert response.json()["errors"][0] == {"field": "api_key", "code": "key_rejected", "message": ANY_MESSAGE}
    assert _row(destination)[3] == GOOD_KEY[-4:]
    assert entries(since=since) == []


class _AnyMessage(str):
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and bool(other)

    __hash__ = str.__hash__


ANY_MESSAGE = _AnyMessage()


def test_a_key_that_could_not_be_checked_is_refused_as_unchecked_not_as_rejected(settings) -> None:
    from tests.executor.workers import free_port

    settings.RELAY_ALLOW_PLAIN_HTTP_ATTENTIVE = True
    settings.ATTENTIVE_API_URL = f"http://127.0.0.1:{free_port()}"  # nobody listens: the check cannot be made
    with pytest.raises(Refused) as refused:
        commands.create_destination(person("admin"), name="Acme", api_key=GOOD_KEY)
    assert refused.value.codes == {"api_key": "key_unchecked"}
    assert refused.value.errors["api_key"].startswith("Could not check the key with Attentive")

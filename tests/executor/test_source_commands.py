"""What a person does to sources (executor/commands.py): create, change origins, revoke."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from accounts.models import AuditEntry
from accounts.roles import set_role
from core.commands import Refused
from executor import commands
from executor.ingest import authenticate
from executor.models import WriteKey

pytestmark = pytest.mark.django_db


def user(role: str):
    person = get_user_model().objects.create_user(f"u-{role}")
    set_role(person, role)
    return person


def test_an_admin_creates_a_browser_source_with_its_origins_and_one_audit_entry() -> None:
    admin = user("admin")
    key, raw = commands.issue_write_key(
        admin, label="Storefront", kind="browser", origins=["https://Shop.example.com/", ""]
    )
    assert key.allowed_origins == ["https://shop.example.com"]
    assert key.public_key == raw  # public by nature: kept for the snippet
    assert authenticate(raw) == key
    entry = AuditEntry.objects.get()
    assert (entry.verb, entry.target_name) == ("source_created", str(key))
    assert raw not in str(entry.details)


def test_a_server_source_keeps_no_key_and_no_origins() -> None:
    key, _raw = commands.issue_write_key(
        user("admin"), label="Checkout", kind="server", origins=["https://shop.example.com"]
    )
    assert (key.public_key, key.allowed_origins) == ("", [])
    assert AuditEntry.objects.get().verb == "write_key_created"


def test_a_browser_source_needs_an_origin_and_refuses_what_is_not_one() -> None:
    admin = user("admin")
    with pytest.raises(Refused) as none:
        commands.issue_write_key(admin, label="Storefront", kind="browser", origins=[])
    with pytest.raises(Refused) as bad:
        commands.issue_write_key(
            admin, label="Storefront", kind="browser", origins=["https://shop.example.com", "shop.example.com/cart"]
        )
    assert "allowed_origins" in none.value.errors
    assert bad.value.errors["allowed_origins"].startswith("Line 2 ")
    assert WriteKey.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_a_label_is_required() -> None:
    with pytest.raises(Refused) as refused:
        commands.issue_write_key(user("admin"), label=" ", kind="server")
    assert set(refused.value.errors) == {"label"}


@pytest.mark.parametrize("role", ["marketer", "engineer"])
def test_only_admins_manage_sources(role: str) -> None:
    key, _ = WriteKey.issue("Storefront", kind="browser", allowed_origins=["https://shop.example.com"])
    person = user(role)
    with pytest.raises(PermissionDenied):
        commands.issue_write_key(person, label="x", kind="server")
    with pytest.raises(PermissionDenied):
        commands.change_source_origins(person, key=key, origins=["https://other.example.com"])
    with pytest.raises(PermissionDenied):
        commands.revoke_write_key(person, key=key)


def test_changing_origins_is_audited_with_before_and_after() -> None:
    key, _ = WriteKey.issue("Storefront", kind="browser", allowed_origins=["https://shop.example.com"])
    commands.change_source_origins(
        user("admin"), key=key, origins=["https://shop.example.com", "https://m.shop.example.com"]
    )
    key.refresh_from_db()
    assert key.allowed_origins == ["https://shop.example.com", "https://m.shop.example.com"]
    entry = AuditEntry.objects.get()
    assert entry.verb == "source_origins_changed"
    assert entry.details == {"before": ["https://shop.example.com"], "after": key.allowed_origins}


def test_saving_the_same_origins_again_records_nothing() -> None:
    key, _ = WriteKey.issue("Storefront", kind="browser", allowed_origins=["https://shop.example.com"])
    commands.change_source_origins(user("admin"), key=key, origins=["https://shop.example.com"])
    assert not AuditEntry.objects.exists()


def test_a_server_source_has_no_origins_to_change() -> None:
    key, _ = WriteKey.issue("Checkout")
    with pytest.raises(Refused):
        commands.change_source_origins(user("admin"), key=key, origins=["https://shop.example.com"])


def test_revoking_refuses_the_key_and_twice_is_refused() -> None:
    admin = user("admin")
    key, raw = WriteKey.issue("Storefront", kind="browser", allowed_origins=["https://shop.example.com"])
    commands.revoke_write_key(admin, key=key)
    assert authenticate(raw) is None
    with pytest.raises(Refused):
        commands.revoke_write_key(admin, key=key)
    assert AuditEntry.objects.filter(verb="write_key_revoked").count() == 1


def test_the_api_creates_a_browser_source_with_its_origins(api_as) -> None:
    client = api_as("admin")
    body = {"label": "Storefront", "kind": "browser", "allowed_origins": ["https://shop.example.com"]}
    created = client.post("/api/v1/write-keys", body, format="json")
    assert created.status_code == 201
    assert created.json()["kind"] == "browser"
    assert created.json()["allowed_origins"] == ["https://shop.example.com"]
    assert authenticate(created.json()["key"]).is_browser


def test_the_api_names_a_bad_origin(api_as) -> None:
    body = {"label": "Storefront", "kind": "browser", "allowed_origins": ["shop.example.com"]}
    response = api_as("admin").post("/api/v1/write-keys", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "allowed_origins" in str(response.json())


def test_manage_py_creates_a_browser_source_with_its_origins() -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("create_write_key", "Storefront", "--origin", "https://Shop.example.com", stdout=out)
    raw = out.getvalue().splitlines()[-1]
    key = authenticate(raw)
    assert key.is_browser
    assert key.allowed_origins == ["https://shop.example.com"]

"""A new password, whoever sets it, revokes the user's API tokens; the audit log and the pages say so."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiToken, AuditEntry
from accounts.roles import set_role

pytestmark = pytest.mark.django_db
PASSWORD = "an-old-long-password-1"
NEW_PASSWORD = "a-brand-new-long-password-2"


@pytest.fixture
def bob():
    user = get_user_model().objects.create_user("bob", password=PASSWORD)
    set_role(user, "marketer")
    return user


@pytest.fixture
def admin_client() -> Client:
    admin = get_user_model().objects.create_user("root")
    set_role(admin, "admin")
    client = Client()
    client.force_login(admin)
    return client


def _api(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_an_admin_resetting_a_password_revokes_that_users_api_tokens(bob, admin_client) -> None:
    # Reproduced: after the reset, the user's tokens kept working.
    _, raw = ApiToken.issue(bob, "ci")
    assert _api(raw).get("/api/v1/actions").status_code == 200
    page = admin_client.post(f"/users/{bob.pk}/", {"reset_password": "1"}).content.decode()
    assert _api(raw).get("/api/v1/actions").status_code == 401
    assert "Their 1 API token was revoked." in page


def test_the_revocation_is_named_in_the_one_entry_of_the_reset_with_who_reset_the_password(bob, admin_client) -> None:
    ApiToken.issue(bob, "ci")
    ApiToken.issue(bob, "laptop")
    since = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    admin_client.post(f"/users/{bob.pk}/", {"reset_password": "1"})
    entry = AuditEntry.objects.get(pk__gt=since)
    assert (entry.verb, entry.actor_name, entry.target_name) == ("password_reset", "root", "bob")
    assert entry.sentence == "root reset the password of “bob” (2 API tokens revoked)."


def test_the_reset_form_says_the_tokens_stop_working(bob, admin_client) -> None:
    ApiToken.issue(bob, "ci")
    page = admin_client.get(f"/users/{bob.pk}/").content.decode()
    assert "Their 1 API token stops working." in page


def test_changing_ones_own_password_revokes_ones_api_tokens(bob) -> None:
    _, raw = ApiToken.issue(bob, "ci")
    client = Client()
    client.force_login(bob)
    assert "A new password revokes your 1 API token" in client.get("/account/password/").content.decode()
    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Your new password is set. Your 1 API token was revoked." in response.content.decode()
    assert _api(raw).get("/api/v1/actions").status_code == 401
    entry = AuditEntry.objects.get(verb="api_tokens_revoked")
    assert (entry.actor_name, entry.details["reason"]) == ("bob", "password_changed")


def test_a_password_set_any_other_way_revokes_the_tokens_too(bob) -> None:
    _, raw = ApiToken.issue(bob, "ci")
    bob.set_password(NEW_PASSWORD)
    bob.save()
    assert _api(raw).get("/api/v1/actions").status_code == 401
    assert AuditEntry.objects.get(verb="api_tokens_revoked").actor_name == "system"


def test_manage_py_changepassword_revokes_the_tokens(bob, monkeypatch) -> None:
    ApiToken.issue(bob, "ci")
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)
    call_command("changepassword", "bob", stdout=StringIO())
    assert not ApiToken.objects.get().is_active


def test_saving_a_user_without_a_new_password_keeps_the_tokens(bob) -> None:
    ApiToken.issue(bob, "ci")
    bob.email = "bob@example.com"
    bob.save()
    assert ApiToken.objects.get().is_active
    assert not AuditEntry.objects.filter(verb="api_tokens_revoked").exists()


def test_the_hash_upgrade_of_a_sign_in_is_no_new_password(bob, settings) -> None:
    ApiToken.issue(bob, "ci")
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert Client().post("/login/", {"username": "bob", "password": PASSWORD}).status_code == 302
    bob.refresh_from_db()
    assert bob.password.startswith("pbkdf2_sha1$")
    assert ApiToken.objects.get().is_active

"""Who gets in, and what the browser is told: deploy checks, headers, sessions, throttling, CSRF."""

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts.middleware import LOGIN_AT
from accounts.roles import set_role
from destinations.models import Destination
from mapper.models import Action

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.django_db


def test_deploy_check_with_production_settings_reports_nothing(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DEBUG": "0",
        "RELAY_HTTPS": "1",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "RELAY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "relay.example.com",
        "RELAY_DATA_DIR": str(tmp_path),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests for their own process only
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_pages_carry_a_strict_content_security_policy(client: Client) -> None:
    response = client.get("/login/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_http_only_and_same_site(client: Client) -> None:
    user = get_user_model().objects.create_user("s", password="a-long-password-123")
    set_role(user, "engineer")
    client.post("/login/", {"username": "s", "password": "a-long-password-123"})
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_sessions_expire_after_30_idle_minutes(settings) -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST


def test_sessions_end_after_12_hours_even_when_active(client: Client) -> None:
    user = get_user_model().objects.create_user("long")
    set_role(user, "engineer")
    client.force_login(user)
    assert client.get("/destinations/").status_code == 200
    session = client.session
    session[LOGIN_AT] = time.time() - 12 * 3600 - 1
    session.save()
    response = client.get("/destinations/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_is_throttled_after_five_failures(client: Client) -> None:
    user = get_user_model().objects.create_user("victim", password="the-right-password-1")
    set_role(user, "engineer")
    for _ in range(5):
        client.post("/login/", {"username": "victim", "password": "wrong"})
    response = client.post("/login/", {"username": "victim", "password": "the-right-password-1"})
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_ui_writes_without_csrf_token_are_refused() -> None:
    client = Client(enforce_csrf_checks=True)
    user = get_user_model().objects.create_user("m")
    set_role(user, "admin")
    client.force_login(user)
    destination = Destination.objects.create(name="D", test_mode=True)
    action = Action.objects.create(
        destination=destination, action_type="custom_event", name="A", trigger="@", mappings={"event_name": "event"}
    )
    for url in (
        reverse("mapper:action_toggle", args=[action.pk]),
        reverse("mapper:action_delete", args=[action.pk]),
        reverse("executor:source_list"),
        reverse("accounts:user_list"),
        reverse("destinations:create"),
    ):
        assert client.post(url, {"label": "x"}).status_code == 403
    assert Action.objects.get().enabled


def test_api_writes_with_a_session_but_no_csrf_token_are_refused() -> None:
    client = Client(enforce_csrf_checks=True)
    user = get_user_model().objects.create_user("api-m")
    set_role(user, "admin")
    client.force_login(user)
    response = client.post("/api/v1/write-keys", {"label": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/destinations",
        "/api/v1/actions",
        "/api/v1/deliveries",
        "/api/v1/write-keys",
        "/api/v1/audit-log",
        "/api/v1/config",
        "/api/v1/presets",
        "/api/schema/",
    ],
)
def test_anonymous_visitors_reach_no_api_endpoint(url: str) -> None:
    assert Client().get(url).status_code == 401


def test_inactive_users_reach_nothing() -> None:
    user = get_user_model().objects.create_user("gone", is_active=False)
    set_role(user, "admin")
    client = Client()
    client.force_login(user)
    assert client.get("/destinations/").status_code in (302, 403)


def test_sign_ins_and_failed_sign_ins_are_audited(client: Client) -> None:
    from accounts.models import AuditEntry

    user = get_user_model().objects.create_user("audited", password="the-right-password-1")
    set_role(user, "engineer")
    client.post("/login/", {"username": "audited", "password": "wrong"})
    client.post("/login/", {"username": "audited", "password": "the-right-password-1"})
    verbs = list(AuditEntry.objects.order_by("id").values_list("verb", flat=True))
    assert verbs == ["login_failed", "login"]
    assert "the-right-password-1" not in str(list(AuditEntry.objects.values()))


def _check(tmp_path: Path, *options: str, **env_overrides: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RELAY_DATA_DIR": str(tmp_path), **env_overrides}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if "RELAY_ENCRYPTION_KEYS" not in env_overrides:
        env.pop("RELAY_ENCRYPTION_KEYS", None)
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "check", *options], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def test_the_deploy_check_refuses_plain_http_to_attentive(tmp_path: Path) -> None:
    result = _check(tmp_path, "--deploy", SECRET_KEY=secrets.token_urlsafe(50), RELAY_ALLOW_PLAIN_HTTP_ATTENTIVE="1")
    assert result.returncode != 0
    assert "relay.E002" in result.stderr


def test_a_postgresql_deployment_without_shared_encryption_keys_refuses_to_start(tmp_path: Path) -> None:
    result = _check(tmp_path, DATABASE_URL="postgres://relay@127.0.0.1:5432/relay", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "relay.E001" in result.stderr


def test_a_postgresql_deployment_with_shared_keys_passes_the_check(tmp_path: Path) -> None:
    keys = Fernet.generate_key().decode()
    result = _check(
        tmp_path, DATABASE_URL="postgres://relay@127.0.0.1:5432/relay", SECRET_KEY="x" * 50, RELAY_ENCRYPTION_KEYS=keys
    )
    assert "relay.E001" not in result.stderr

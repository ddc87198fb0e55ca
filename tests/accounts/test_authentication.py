"""A personal API token obeys the rules the user's session obeys: 2FA when required, a new password first."""

import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from drf_spectacular.generators import EndpointEnumerator
from rest_framework.test import APIClient

from accounts import two_factor
from accounts.models import ApiToken, PasswordChangeRequired
from accounts.roles import set_role

pytestmark = pytest.mark.django_db


def _user_with_token(role: str, name: str = "ada") -> tuple[object, APIClient]:
    user = get_user_model().objects.create_user(name, password="a-long-password-for-tokens")
    set_role(user, role)
    _, raw = ApiToken.issue(user, "ci")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return user, client


def _turn_on_two_factor(user) -> None:
    device, secret = two_factor.start_setup(user)
    assert two_factor.confirm(device, pyotp.TOTP(secret).now()).accepted


def _every_api_endpoint() -> list[tuple[str, str]]:
    """Every endpoint of the REST API as the OpenAPI schema enumerates it: a new one is covered by itself."""
    return [
        (method, path.replace("{pk}", "1"))
        for path, _, method, _ in EndpointEnumerator().get_api_endpoints()
        if path.startswith("/api/")
    ]


@pytest.mark.parametrize(("method", "path"), _every_api_endpoint())
def test_an_admin_without_two_factor_gets_a_403_on_every_endpoint_when_it_is_required(
    settings, method: str, path: str
) -> None:
    settings.RELAY_REQUIRE_2FA_FOR_ADMINS = True
    _, client = _user_with_token("admin")
    response = getattr(client, method.lower())(path, {}, format="json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["title"] == "Two-factor sign-in required"
    assert "/account/two-factor/" in response.json()["detail"]


def test_an_admin_token_made_before_two_factor_was_required_stops_reading_and_writing(settings) -> None:
    # Reproduced: GET 200 and POST write-keys 201 while the same admin's session was sent to the set-up page.
    _, client = _user_with_token("admin")
    assert client.get("/api/v1/destinations").status_code == 200
    settings.RELAY_REQUIRE_2FA_FOR_ADMINS = True
    assert client.get("/api/v1/destinations").status_code == 403
    assert client.post("/api/v1/write-keys", {"label": "x"}, format="json").status_code == 403


def test_the_token_of_an_admin_with_two_factor_works_when_it_is_required(settings) -> None:
    settings.RELAY_REQUIRE_2FA_FOR_ADMINS = True
    user, client = _user_with_token("admin")
    _turn_on_two_factor(user)
    assert client.get("/api/v1/destinations").status_code == 200
    assert client.post("/api/v1/write-keys", {"label": "x"}, format="json").status_code == 201


def test_tokens_of_non_admins_work_without_two_factor_when_it_is_required_of_admins(settings) -> None:
    settings.RELAY_REQUIRE_2FA_FOR_ADMINS = True
    _, client = _user_with_token("marketer")
    assert client.get("/api/v1/actions").status_code == 200


def test_an_admin_session_without_two_factor_gets_the_same_403_problem_on_the_api(settings) -> None:
    settings.RELAY_REQUIRE_2FA_FOR_ADMINS = True
    user = get_user_model().objects.create_user("ses")
    set_role(user, "admin")
    client = Client()
    client.force_login(user)
    response = client.get("/api/v1/destinations")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["title"] == "Two-factor sign-in required"
    assert client.get("/destinations/")["Location"] == "/account/two-factor/"


def test_a_token_of_a_user_who_must_choose_a_new_password_is_refused_until_they_do() -> None:
    user, client = _user_with_token("engineer")
    PasswordChangeRequired.objects.create(user=user)
    response = client.get("/api/v1/actions")
    assert response.status_code == 403
    assert response.json()["title"] == "New password required"
    PasswordChangeRequired.objects.filter(user=user).delete()
    assert client.get("/api/v1/actions").status_code == 200

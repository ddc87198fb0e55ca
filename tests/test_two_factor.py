import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts import two_factor
from config.roles import set_role

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-password-for-2fa"


@pytest.fixture
def admin():
    user = get_user_model().objects.create_user("ada", password=PASSWORD)
    set_role(user, "admin")
    return user


def _enable(client: Client) -> str:
    page = client.get("/account/two-factor/").content.decode()
    secret = page.split('data-testid="totp-secret">')[1].split("<")[0]
    response = client.post("/account/two-factor/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    return secret


def test_admin_turns_on_two_factor_and_then_needs_a_code_to_sign_in(admin) -> None:
    client = Client()
    client.force_login(admin)
    secret = _enable(client)
    client.logout()
    response = client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert response["Location"] == "/login/code/"
    assert "_auth_user_id" not in client.session
    assert client.get("/destinations/").status_code == 302  # not signed in yet
    assert client.post("/login/code/", {"code": "000000"}).status_code == 400
    response = client.post("/login/code/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert client.get("/destinations/").status_code == 200


def test_five_wrong_codes_end_the_attempt(admin) -> None:
    client = Client()
    client.force_login(admin)
    _enable(client)
    client.logout()
    client.post("/login/", {"username": "ada", "password": PASSWORD})
    for _ in range(5):
        client.post("/login/code/", {"code": "123456"})
    assert client.get("/login/code/")["Location"] == "/login/"


def test_the_secret_is_encrypted_at_rest(admin) -> None:
    device, secret = two_factor.start_setup(admin)
    assert secret not in device.secret_encrypted
    assert two_factor.secret_of(device) == secret


def test_admins_can_be_required_to_set_it_up(admin, settings) -> None:
    settings.RELAY_REQUIRE_2FA_FOR_ADMINS = True
    client = Client()
    response = client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert response["Location"] == "/account/two-factor/"
    assert client.get("/destinations/")["Location"] == "/account/two-factor/"
    _enable(client)
    assert client.get("/destinations/").status_code == 200


def test_without_two_factor_sign_in_is_one_step(admin) -> None:
    client = Client()
    response = client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert response["Location"] == "/destinations/"

import time
from datetime import timedelta

import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from accounts import two_factor
from accounts.roles import set_role

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-password-for-2fa"


@pytest.fixture
def admin():
    user = get_user_model().objects.create_user("ada", password=PASSWORD)
    set_role(user, "admin")
    return user


def next_code(secret: str) -> str:
    """The code of the next time step: accepted (clock drift), and not the one _enable used."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def _wait_out_the_throttle(user) -> None:
    from accounts.models import TotpDevice

    TotpDevice.objects.filter(user=user).update(throttled_until=timezone.now() - timedelta(seconds=1))


def _enable(client: Client) -> str:
    return _enable_with_codes(client)[0]


def _enable_with_codes(client: Client) -> tuple[str, list[str]]:
    """Turn two-factor sign-in on; return the set-up key and the recovery codes shown."""
    page = client.get("/account/two-factor/").content.decode()
    secret = page.split('data-testid="totp-secret">')[1].split("<")[0]
    response = client.post("/account/two-factor/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    return secret, _recovery_codes_of(response.content.decode())


def _recovery_codes_of(page: str) -> list[str]:
    listing = page.split('data-testid="recovery-codes">')[1].split("</ul>")[0]
    return [item.split("</code>")[0] for item in listing.split("<code>")[1:]]


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
    _wait_out_the_throttle(admin)
    response = client.post("/login/code/", {"code": next_code(secret)})
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


def _signed_in_pending_code(admin) -> tuple[Client, str]:
    client = Client()
    client.force_login(admin)
    secret = _enable(client)
    client.logout()
    client.post("/login/", {"username": "ada", "password": PASSWORD})
    return client, secret


def test_a_code_is_accepted_once(admin) -> None:
    client, secret = _signed_in_pending_code(admin)
    code = next_code(secret)
    assert client.post("/login/code/", {"code": code}).status_code == 302
    client.logout()
    client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert client.post("/login/code/", {"code": code}).status_code == 400
    assert "_auth_user_id" not in client.session


def test_wrong_codes_make_the_device_wait_longer_each_time(admin) -> None:
    client, _ = _signed_in_pending_code(admin)
    waits = []
    for _ in range(4):
        client.post("/login/code/", {"code": "000000"})
        device = two_factor.confirmed_device(admin)
        waits.append(round((device.throttled_until - timezone.now()).total_seconds()))
        _wait_out_the_throttle(admin)
    assert waits == [1, 2, 4, 8]


def test_while_throttled_even_the_right_code_is_refused(admin) -> None:
    client, secret = _signed_in_pending_code(admin)
    client.post("/login/code/", {"code": "000000"})
    response = client.post("/login/code/", {"code": next_code(secret)})
    assert response.status_code == 400
    assert "Too many wrong codes" in response.content.decode()


def test_a_correct_password_does_not_reset_the_count_of_wrong_codes(admin) -> None:
    # Reproduced: 40 wrong codes over 8 password sign-ins, then the right one, signed in.
    client, secret = _signed_in_pending_code(admin)
    for _ in range(3):
        for _ in range(4):
            client.post("/login/code/", {"code": "000000"})
            _wait_out_the_throttle(admin)
        client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert two_factor.confirmed_device(admin).failure_count == 12
    client.post("/login/code/", {"code": "000000"})
    assert (two_factor.confirmed_device(admin).throttled_until - timezone.now()).total_seconds() > 3000
    client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert client.post("/login/code/", {"code": next_code(secret)}).status_code == 400
    assert "_auth_user_id" not in client.session


def test_turning_two_factor_off_is_throttled_too(admin) -> None:
    client = Client()
    client.force_login(admin)
    secret = _enable(client)
    client.post("/account/two-factor/", {"disable": "1", "code": "000000"})
    client.post("/account/two-factor/", {"disable": "1", "code": next_code(secret)})
    assert two_factor.confirmed_device(admin) is not None

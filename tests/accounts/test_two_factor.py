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


def test_turning_it_on_shows_ten_recovery_codes_once_and_stores_only_their_hashes(admin) -> None:
    from accounts.models import RecoveryCode

    client = Client()
    client.force_login(admin)
    _, codes = _enable_with_codes(client)
    assert len(set(codes)) == 10
    stored = str(list(RecoveryCode.objects.values()))
    assert not any(code in stored or code.replace("-", "") in stored for code in codes)
    page = client.get("/account/two-factor/").content.decode()
    assert not any(code in page for code in codes)
    assert "<strong>10</strong> unused" in page


def test_a_recovery_code_signs_in_in_place_of_the_apps_code_once(admin) -> None:
    client = Client()
    client.force_login(admin)
    _, codes = _enable_with_codes(client)
    client.logout()
    client.post("/login/", {"username": "ada", "password": PASSWORD})
    response = client.post("/login/code/", {"code": codes[0].upper().replace("-", " ")}, follow=True)
    assert "_auth_user_id" in client.session
    assert "You signed in with a recovery code; 9 left." in response.content.decode()
    client.logout()
    client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert client.post("/login/code/", {"code": codes[0]}).status_code == 400
    assert "_auth_user_id" not in client.session


def test_signing_in_with_a_recovery_code_is_audited(admin) -> None:
    from accounts.models import AuditEntry

    client = Client()
    client.force_login(admin)
    _, codes = _enable_with_codes(client)
    client.logout()
    client.post("/login/", {"username": "ada", "password": PASSWORD})
    client.post("/login/code/", {"code": codes[3]})
    assert AuditEntry.objects.get(verb="recovery_code_used").sentence == "ada signed in with a recovery code (9 left)."


def test_wrong_recovery_codes_wait_like_wrong_app_codes(admin) -> None:
    client = Client()
    client.force_login(admin)
    _, codes = _enable_with_codes(client)
    client.logout()
    client.post("/login/", {"username": "ada", "password": PASSWORD})
    client.post("/login/code/", {"code": "aaaa-bbbb-cccc-dddd"})
    response = client.post("/login/code/", {"code": codes[0]})
    assert "Too many wrong codes" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_cannot_confirm_a_new_authenticator(admin) -> None:
    device, _ = two_factor.start_setup(admin)
    codes = two_factor.new_recovery_codes(admin)
    assert not two_factor.confirm(device, codes[0]).accepted
    assert two_factor.confirmed_device(admin) is None


def test_new_recovery_codes_replace_the_old_ones(admin) -> None:
    client = Client()
    client.force_login(admin)
    secret, old_codes = _enable_with_codes(client)
    response = client.post("/account/two-factor/", {"new_codes": "1", "code": next_code(secret)})
    new_codes = _recovery_codes_of(response.content.decode())
    assert len(new_codes) == 10
    assert "Your earlier codes no longer work." in response.content.decode()
    device = two_factor.confirmed_device(admin)
    assert not two_factor.check(device, old_codes[0]).accepted
    _wait_out_the_throttle(admin)
    assert two_factor.check(device, new_codes[0]).accepted


def test_turning_it_off_forgets_the_recovery_codes(admin) -> None:
    from accounts.models import RecoveryCode

    client = Client()
    client.force_login(admin)
    secret, _ = _enable_with_codes(client)
    client.post("/account/two-factor/", {"disable": "1", "code": next_code(secret)})
    assert two_factor.confirmed_device(admin) is None
    assert not RecoveryCode.objects.exists()


def test_the_set_up_page_shows_the_link_as_an_inline_svg_qr_code(admin) -> None:
    client = Client()
    client.force_login(admin)
    page = client.get("/account/two-factor/").content.decode()
    qr = page.split('data-testid="totp-qr">')[1].split("</div>")[0].strip()
    assert qr.startswith("<svg ")
    assert 'aria-label="QR code to scan with your authenticator app"' in qr
    assert "<script" not in qr  # the strict CSP holds
    assert "style=" not in qr
    secret = page.split('data-testid="totp-secret">')[1].split("<")[0]
    assert secret not in qr  # drawn, not written


def test_the_qr_code_encodes_the_set_up_link(admin) -> None:
    import segno

    device, _ = two_factor.start_setup(admin)
    modules = segno.make(two_factor.provisioning_uri(device), error="m").svg_inline(border=4, omitsize=True)
    assert modules.split('class="qrline"')[1] in str(two_factor.qr_code_svg(device))


@pytest.fixture
def root_client() -> Client:
    root = get_user_model().objects.create_user("root")
    set_role(root, "admin")
    client = Client()
    client.force_login(root)
    return client


def test_an_admin_resets_another_users_authenticator_for_a_lost_phone(admin, root_client) -> None:
    from accounts.models import AuditEntry, RecoveryCode

    client = Client()
    client.force_login(admin)
    _enable(client)
    assert "Reset two-factor sign-in" in root_client.get(f"/users/{admin.pk}/").content.decode()
    root_client.post(f"/users/{admin.pk}/", {"reset_two_factor": "1"})
    assert two_factor.confirmed_device(admin) is None
    assert not RecoveryCode.objects.filter(user=admin).exists()
    entry = AuditEntry.objects.get(verb="two_factor_reset")
    assert entry.sentence == "root reset the two-factor sign-in of “ada”."
    response = Client().post("/login/", {"username": "ada", "password": PASSWORD})
    assert response["Location"] == "/destinations/"


def test_an_admin_cannot_reset_their_own_authenticator_without_a_code(admin) -> None:
    client = Client()
    client.force_login(admin)
    _enable(client)
    assert "Reset two-factor sign-in" not in client.get(f"/users/{admin.pk}/").content.decode()
    client.post(f"/users/{admin.pk}/", {"reset_two_factor": "1"})
    assert two_factor.confirmed_device(admin) is not None


def test_only_admins_reset_an_authenticator(admin) -> None:
    marketer = get_user_model().objects.create_user("mia")
    set_role(marketer, "marketer")
    client = Client()
    client.force_login(admin)
    _enable(client)
    other = Client()
    other.force_login(marketer)
    assert other.post(f"/users/{admin.pk}/", {"reset_two_factor": "1"}).status_code == 403
    assert two_factor.confirmed_device(admin) is not None

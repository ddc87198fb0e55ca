"""Two-factor set-up, recovery codes and the forced password change, in a real browser."""

from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, make_user, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _turn_on_two_factor(page: Page, live_server, shots: Path) -> list[str]:
    """From any page: set up the authenticator with the key shown, and return the recovery codes shown."""
    page.get_by_role("link", name="Two-factor").click()
    qr = page.get_by_role("img", name="QR code to scan with your authenticator app")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 150  # big enough to scan from a screen
    assert box["width"] == pytest.approx(box["height"], abs=1)
    page.screenshot(path=str(shots / "two-factor-setup.png"), full_page=True)
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    page.screenshot(path=str(shots / "recovery-codes.png"), full_page=True)
    return codes


def test_setting_up_two_factor_with_the_qr_code_shows_recovery_codes_once(page: Page, live_server, tmp_path) -> None:
    make_user("ada", "admin")
    sign_in(page, live_server, "ada")
    codes = _turn_on_two_factor(page, live_server, tmp_path)
    assert len(codes) == 10
    assert all(len(code) == 19 for code in codes)  # xxxx-xxxx-xxxx-xxxx
    page.get_by_role("link", name="I have saved them").click()
    page.get_by_role("link", name="Two-factor").click()
    expect(page.get_by_test_id("codes-left")).to_contain_text("10 unused")
    assert codes[0] not in page.content()


def test_signing_in_with_a_recovery_code_when_the_phone_is_lost(page: Page, live_server, tmp_path) -> None:
    make_user("ada", "admin")
    sign_in(page, live_server, "ada")
    codes = _turn_on_two_factor(page, live_server, tmp_path)
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    code_input = page.get_by_label("Code from your authenticator app, or a recovery code")
    expect(code_input).to_be_visible()
    code_input.fill(codes[0])
    code_input.press("Enter")
    page.wait_for_url(f"{live_server.url}/destinations/")
    expect(page.get_by_role("status")).to_contain_text("You signed in with a recovery code; 9 left.")
    page.screenshot(path=str(tmp_path / "signed-in-with-recovery-code.png"), full_page=True)


def test_a_new_user_chooses_their_own_password_at_first_sign_in(page: Page, live_server, tmp_path) -> None:
    make_user("ada", "admin")
    sign_in(page, live_server, "ada")
    page.get_by_role("link", name="Users").click()
    page.get_by_label("Username").fill("newbie")
    page.get_by_role("button", name="Add user").click()
    issued = page.get_by_test_id("new-password").inner_text()
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("newbie")
    page.get_by_label("Password").fill(issued)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/account/password/")
    expect(page.get_by_test_id("password-required")).to_be_visible()
    page.screenshot(path=str(tmp_path / "choose-a-new-password.png"), full_page=True)
    page.get_by_label("Old password").fill(issued)
    page.locator("#id_new_password1").fill("my-own-long-password-9")
    page.locator("#id_new_password2").fill("my-own-long-password-9")
    page.get_by_role("button", name="Set my password").click()
    page.wait_for_url(f"{live_server.url}/destinations/")
    expect(page.get_by_role("status")).to_contain_text("Your new password is set.")
    expect(page.get_by_role("link", name="Change my password")).to_be_visible()

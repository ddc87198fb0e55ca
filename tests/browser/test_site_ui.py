"""The site shell in a real browser: narrow screens, the favicon, the add-user form."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_at_420_pixels_the_header_fits_and_nothing_scrolls_sideways(browser: Browser, live_server, tmp_path: Path):
    make_user("ada", "admin")
    context = browser.new_context(viewport={"width": 420, "height": 800})
    page = context.new_page()
    sign_in(page, live_server, "ada")
    assert page.evaluate("document.documentElement.scrollWidth") <= 420
    nav = page.locator("header.top nav").bounding_box()
    assert nav["x"] + nav["width"] <= 420
    page.screenshot(path=str(tmp_path / "narrow.png"))
    context.close()


def test_the_favicon_is_served_from_the_project(browser: Browser, live_server) -> None:
    context = browser.new_context()
    page = context.new_page()
    response = page.goto(f"{live_server.url}/favicon.ico")
    assert response.ok
    assert "svg" in response.headers["content-type"]
    context.close()


def test_a_new_user_is_an_engineer_unless_the_admin_chooses_more(browser: Browser, live_server) -> None:
    make_user("ada", "admin")
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server, "ada")
    page.goto(f"{live_server.url}/users/")
    expect(page.get_by_label("Role")).to_have_value("engineer")
    email = page.get_by_label("Email")
    assert email.evaluate("element => getComputedStyle(element).borderTopStyle") == "solid"
    context.close()

"""An admin creates a website source in the browser, gets its snippet, and watches its events arrive."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from executor.ingest import ingest
from executor.models import WriteKey
from tests.browser.conftest import make_user, sign_in
from tests.events import shipped_event

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_creates_a_website_source_and_its_live_view_shows_events_as_they_arrive(
    page: Page, live_server, shots: Path
) -> None:
    make_user("ada", "admin")
    sign_in(page, live_server, "ada")
    page.get_by_role("link", name="Sources").click()
    page.get_by_label("Label").fill("Storefront")
    page.get_by_label("Website or app (public key)").check()
    page.get_by_label("Allowed origins (website or app sources)").fill("https://shop.example.com")
    page.get_by_role("button", name="Create a source").click()
    key = WriteKey.objects.get()
    expect(page.get_by_test_id("source-kind")).to_have_text("Website or app (public key)")
    expect(page.get_by_test_id("snippet-1")).to_contain_text(key.public_key)
    expect(page.get_by_test_id("snippet-1")).to_contain_text(f"cdnURL: '{live_server.url}'")
    expect(page.locator("#live-events")).to_contain_text("No event from this source yet.")
    # An event arrives while the page is open: the live view shows it without a reload.
    ingest([shipped_event()], source="segment", write_key=key)
    expect(page.locator("#live-events")).to_contain_text("Order Shipped", timeout=10_000)


def test_an_engineer_sees_the_live_view_masked(page: Page, live_server, shots: Path) -> None:
    key, raw = WriteKey.issue("Storefront", kind="browser", allowed_origins=["https://shop.example.com"])
    ingest([shipped_event()], source="segment", write_key=key)
    make_user("eve", "engineer")
    sign_in(page, live_server, "eve")
    page.goto(f"{live_server.url}/sources/{key.pk}/")
    page.locator("#live-events summary").first.click()
    expect(page.locator("#live-events")).to_contain_text("•••")
    expect(page.locator("body")).not_to_contain_text("person1@example.com")
    expect(page.locator("body")).not_to_contain_text(raw)
    expect(page.get_by_role("button", name="Save the origins")).to_have_count(0)
    page.screenshot(path=str(shots / "source-page.png"), full_page=True)


@pytest.mark.parametrize("role", ["admin", "marketer", "engineer"])
def test_an_old_write_keys_link_lands_on_sources_the_one_place_for_write_keys(
    page: Page, live_server, shots: Path, role: str
) -> None:
    WriteKey.issue("Checkout")
    make_user("sam", role)
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server.url}/write-keys/")
    expect(page).to_have_url(f"{live_server.url}/sources/")
    expect(page.get_by_role("heading", name="Sources")).to_be_visible()
    expect(page.get_by_role("link", name="Checkout")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Sources")).to_be_visible()
    expect(nav.get_by_role("link", name="Write keys")).to_have_count(0)
    expect(page.get_by_role("button", name="Create a source")).to_have_count(1 if role == "admin" else 0)
    page.screenshot(path=str(shots / f"sources-from-write-keys-{role}.png"), full_page=True)

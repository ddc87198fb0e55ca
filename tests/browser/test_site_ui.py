"""The site shell in a real browser: narrow screens, the favicon, the add-user form."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import make_user, shipped_action, sign_in

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


def test_the_overview_shows_totals_and_a_legend_without_bullets(browser: Browser, live_server, tmp_path: Path) -> None:
    from destinations.models import Destination
    from executor.models import Delivery, InboundEvent

    destination = Destination.objects.create(name="Acme Health")
    event = InboundEvent.objects.create(source="api", event_type="track", message_id="m", body={})
    for status in ("delivered", "delivered", "delivered", "failed", "skipped", "invalid"):
        Delivery.objects.create(event=event, destination=destination, action_snapshot={}, sender_key="k", status=status)
    make_user("ada", "admin")
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, "ada")
    page.goto(f"{live_server.url}/destinations/{destination.pk}/overview/")
    expect(page.get_by_test_id("total")).to_have_text("6 in 24 hours")
    legend = page.get_by_test_id("legend")
    expect(legend).to_contain_text("Delivered: 3")
    assert legend.evaluate("element => getComputedStyle(element).listStyleType") == "none"
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("role", ["admin", "marketer", "engineer"])
def test_a_filter_that_cannot_be_read_shows_a_page_naming_it_and_a_way_back(
    browser: Browser, live_server, tmp_path: Path, role: str
) -> None:
    make_user("ada", role)
    context = browser.new_context(viewport={"width": 1200, "height": 700})
    page = context.new_page()
    sign_in(page, live_server, "ada")
    response = page.goto(f"{live_server.url}/deliveries/?destination=%C2%B2&status=nope")
    assert response.status == 400
    expect(page.get_by_role("heading", name="Filter not understood")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("destination: An id")
    expect(page.get_by_role("alert")).to_contain_text("status: One of:")
    page.screenshot(path=str(tmp_path / f"bad-filter-{role}.png"))
    page.get_by_role("link", name="Show the list without filters").click()
    expect(page.get_by_role("heading", name="Deliveries")).to_be_visible()
    context.close()


# The contrast of the focused element's outline with the first opaque background behind it (the ring
# is drawn just outside the element, over its parent), as WCAG defines contrast.
FOCUS_RING_CONTRAST = """() => {
  const element = document.activeElement;
  if (element === document.body) return ["", 21];  // tabbed past the last control
  const style = getComputedStyle(element);
  if (style.outlineStyle === "none" || parseFloat(style.outlineWidth) < 2) return [element.outerHTML.slice(0, 80), 0];
  const rgb = text => text.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const channel = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  let behind = element.parentElement;
  while (behind && rgb(getComputedStyle(behind).backgroundColor)[3] === 0) behind = behind.parentElement;
  const back = behind ? rgb(getComputedStyle(behind).backgroundColor) : [255, 255, 255];
  const [a, b] = [luminance(rgb(style.outlineColor)), luminance(back)].sort((x, y) => y - x);
  return [element.outerHTML.slice(0, 80), (a + 0.05) / (b + 0.05)];
}"""


def test_the_focus_ring_contrasts_at_least_3_to_1_with_what_is_behind_it(page, live_server, destination) -> None:
    shipped_action(destination)
    make_user("maria", "marketer")
    sign_in(page, live_server, "maria")
    low = []
    for url in ("/destinations/", f"/destinations/{destination.pk}/", f"/actions/{destination.actions.get().pk}/"):
        page.goto(live_server.url + url)
        for _ in range(30):
            page.keyboard.press("Tab")
            element, contrast = page.evaluate(FOCUS_RING_CONTRAST)
            if contrast < 3:
                low.append(f"{url}: {element} {contrast:.2f}")
    assert not low, "\n".join(low)

"""The pages of the crawl (tests/crawl.py) in a real browser, for each role: none is wider than a 420 px
screen, and axe-core finds no serious or critical accessibility violation on any page of the crawl (run
once per page structure: pages that differ only in their text, such as the delete pages of two actions,
are checked once).

axe-core is the copy that the pinned axe-playwright-python ships, injected by the test: no CDN.
"""

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client
from playwright.sync_api import Browser, Page

from tests.crawl import ROLES, Visit, build_world, crawl, editor_urls, user_of

pytestmark = pytest.mark.django_db(transaction=True)

NARROW = 420
AXE_IMPACTS = ("serious", "critical")
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    # Off by default in axe (experimental), and the one that catches a button whose visible text is not
    # in its accessible name (speech users say what they see).
    "rules": {"label-content-name-mismatch": {"enabled": True}},
}


def pages_of(role: str, world) -> tuple[Client, list[Visit]]:
    """The pages `role` reaches (the Django test-client crawl), and a client signed in as `role`."""
    client = Client()
    client.force_login(user_of(role))

    def get(url: str) -> tuple[int, str, str]:
        response = client.get(url)
        content_type = response.get("Content-Type", "")
        return response.status_code, content_type, response.content.decode() if "html" in content_type else ""

    visits = crawl(get, ["/destinations/", *editor_urls(world)])
    # Swagger UI is drf-spectacular's page, not ours.
    return client, [visit for visit in visits if visit.skeleton and not visit.url.startswith("/api/docs/")]


@pytest.fixture
def world(transactional_db):
    return build_world()


@pytest.fixture
def narrow_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": NARROW, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def signed_in(page: Page, live_server, client: Client) -> None:
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.mark.parametrize("role", ROLES)
def test_no_page_is_wider_than_a_420_pixel_screen(world, live_server, narrow_page: Page, role: str) -> None:
    client, visits = pages_of(role, world)
    signed_in(narrow_page, live_server, client)
    too_wide = []
    for url in (visit.url for visit in visits):
        narrow_page.goto(live_server.url + url)
        width = narrow_page.evaluate("document.documentElement.scrollWidth")
        if width > NARROW:
            too_wide.append(f"{url}: {width} px")
    assert not too_wide, "\n".join(too_wide)


@pytest.mark.parametrize("role", ROLES)
def test_axe_finds_no_serious_violation_on_any_page(world, live_server, page: Page, role: str) -> None:
    client, visits = pages_of(role, world)
    urls = list({visit.skeleton: visit.url for visit in reversed(visits)}.values())
    signed_in(page, live_server, client)
    # In every page before its own scripts: one injection per page load, compiled once per context.
    page.context.add_init_script(Axe().axe_script)
    found = []
    for url in urls:
        page.goto(live_server.url + url)
        results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        for violation in results["violations"]:
            if violation["impact"] in AXE_IMPACTS:
                targets = ", ".join(str(node["target"]) for node in violation["nodes"][:3])
                found.append(f"{url}: {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    assert not found, "\n".join(found)

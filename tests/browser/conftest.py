"""Browser tests: Playwright driving Debian's Chromium against the live test server."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, Page, expect, sync_playwright

from accounts.roles import set_role
from destinations.models import Destination
from mapper.models import Action
from tests.fake_attentive import GOOD_KEY

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "a-long-test-password-42"

# The first pages of a run (templates compiled, the live server warming up on a 2-core machine
# busy with the rest of the suite) can take longer than Playwright's default 5 s.
expect.set_options(timeout=10_000)

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session", autouse=True)
def _live_server_answers_as_the_web_server_does() -> Iterator[None]:
    """The live server runs the web server's application (config.handlers.RelayApplication), so the
    SDKs' requests take the ingest handler, as they do in production."""
    from django.test import testcases

    from config.handlers import RelayApplication

    original = testcases.WSGIHandler
    testcases.WSGIHandler = RelayApplication
    yield
    testcases.WSGIHandler = original


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def make_user(username: str, role: str) -> None:
    user = get_user_model().objects.create_user(username, f"{username}@example.com", PASSWORD)
    set_role(user, role)


def sign_in(page: Page, live_server: object, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/destinations/")


def open_new_action(
    page: Page, live_server: object, destination: Destination, preset: str = "order_shipped", username: str = "maria"
) -> None:
    """Sign in as a new marketer and open the editor of a new action from `preset`."""
    make_user(username, "marketer")
    sign_in(page, live_server, username)
    page.goto(f"{live_server.url}/destinations/{destination.pk}/actions/new/?preset={preset}")


DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: docs/ when UPDATE_DOCS_SCREENSHOTS=1 (to refresh the README's), else a temp dir."""
    return DOCS if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1" else tmp_path


def shipped_action(destination: Destination, **mappings: str) -> Action:
    """A saved action that sends Order Shipped with the event's email."""
    return Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name="Shipped",
        trigger="type == 'track'",
        mappings={"event_name": "event", "email": "context.traits.email", **mappings},
    )


@pytest.fixture
def destination() -> Destination:
    destination = Destination(name="Acme Health", default_region="US")
    destination.set_api_key(GOOD_KEY)
    destination.company_name = "Acme Health Inc."
    destination.save()
    return destination

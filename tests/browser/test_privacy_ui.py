"""An admin sees which rule and which source path stopped a value, and exempts a product-code field."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from destinations.models import Destination
from mapper.models import Action
from tests.browser.conftest import make_user, sign_in
from tests.fake_attentive import GOOD_KEY

pytestmark = pytest.mark.django_db(transaction=True)
DOCS = Path(__file__).resolve().parents[2] / "docs"

SAMPLE = {
    "type": "track",
    "event": "Order Shipped",
    "userId": "u1",
    "properties": {"sku": "B20"},
    "context": {"traits": {"email": "jane@example.com"}},
}


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    import os

    return DOCS if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1" else tmp_path


def test_admin_sees_the_rule_and_source_path_then_adds_an_exception(page: Page, live_server, shots: Path) -> None:
    destination = Destination(name="Acme Health", default_region="US")
    destination.set_api_key(GOOD_KEY)
    destination.save()
    action = Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name="Shipped",
        trigger="type == 'track'",
        mappings={"event_name": "event", "email": "context.traits.email", "properties.Code": "properties.sku"},
    )
    make_user("ada", "admin")
    sign_in(page, live_server, "ada")

    page.goto(f"{live_server.url}/actions/{action.pk}/")
    page.get_by_label("Sample event").fill(json.dumps(SAMPLE, indent=2))
    row = page.locator("[data-row='properties.Code']")
    expect(row.locator(".live-errors")).to_contain_text("privacy rule “ICD-10 code without its dot”")
    expect(row.locator(".live-errors")).to_contain_text("properties.sku")
    page.screenshot(path=str(shots / "privacy-blocked-value.png"), full_page=True)

    page.goto(f"{live_server.url}/destinations/{destination.pk}/privacy/")
    page.get_by_label("Exceptions").fill("properties.sku")
    page.get_by_role("button", name="Save privacy rules").click()
    expect(page.get_by_text("Privacy rules saved.")).to_be_visible()
    page.screenshot(path=str(shots / "privacy-rules.png"), full_page=True)
    destination.refresh_from_db()
    assert destination.privacy_exceptions == ["properties.sku"]

    page.goto(f"{live_server.url}/actions/{action.pk}/")
    page.get_by_label("Sample event").fill(json.dumps(SAMPLE, indent=2))
    expect(page.locator("#preview [data-testid=request]")).to_contain_text('"Code": "B20"')
    expect(row.locator(".live-errors")).to_be_empty()

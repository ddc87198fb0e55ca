"""An admin sees which rule and which source path stopped a value, and exempts a product-code field:
on the privacy rules page, or from the blocked delivery in the log."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import AuditEntry
from destinations.models import Destination
from executor import routing
from executor.models import Delivery
from mapper.models import Action
from tests.browser.conftest import make_user, sign_in
from tests.executor.flows import accept
from tests.fake_attentive import GOOD_KEY

pytestmark = pytest.mark.django_db(transaction=True)
DOCS = Path(__file__).resolve().parents[2] / "docs"

SAMPLE = {
    "type": "track",
    "event": "Refill Shipped",
    "userId": "u1",
    "properties": {"sku": "B20"},
    "context": {"traits": {"email": "jane@example.com"}},
}


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    import os

    return DOCS if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1" else tmp_path


def product_code_action() -> Action:
    """An action that sends a product's SKU under the name "Code": B20 there, in a refill's event, reads as a
    diagnosis code."""
    destination = Destination(name="Acme Health", default_region="US")
    destination.set_api_key(GOOD_KEY)
    destination.save()
    return Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name="Shipped",
        trigger="type == 'track'",
        mappings={"event_name": "event", "email": "context.traits.email", "properties.Code": "properties.sku"},
    )


def test_admin_sees_the_rule_and_source_path_then_adds_an_exception(page: Page, live_server, shots: Path) -> None:
    action = product_code_action()
    destination = action.destination
    make_user("ada", "admin")
    sign_in(page, live_server, "ada")

    page.goto(f"{live_server.url}/actions/{action.pk}/")
    page.get_by_label("Sample event").fill(json.dumps(SAMPLE, indent=2))
    row = page.locator("[data-row='properties.Code']")
    expect(row.locator(".live-errors")).to_contain_text("privacy rule “ICD-10 code”")
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


def test_admin_marks_a_blocked_delivery_not_health_information_from_the_log(
    page: Page, live_server, shots: Path
) -> None:
    action = product_code_action()
    accept({**SAMPLE, "messageId": "m-1"})
    routing.route_unrouted()
    assert Delivery.objects.get().status == Delivery.Status.BLOCKED
    make_user("ada", "admin")
    sign_in(page, live_server, "ada")

    event_id = Delivery.objects.get().event_id
    page.goto(f"{live_server.url}/events/{event_id}/")
    expect(page.get_by_test_id("not-health")).to_contain_text("properties.sku")
    page.screenshot(path=str(shots / "privacy-blocked-event.png"), full_page=True)

    page.goto(f"{live_server.url}/deliveries/")
    row = page.get_by_role("row").filter(has_text="Blocked")
    expect(row).to_contain_text("from “properties.sku” (rule “ICD-10 code”)")
    page.screenshot(path=str(shots / "privacy-blocked-delivery.png"), full_page=True)
    row.get_by_test_id("not-health").click()
    expect(page.get_by_text("“properties.sku” is marked not health information")).to_be_visible()
    action.destination.refresh_from_db()
    assert action.destination.privacy_exceptions == ["properties.sku"]
    entry = AuditEntry.objects.get(verb="privacy_exception_added")
    assert (entry.actor_name, entry.details) == ("ada", {"source": "properties.sku"})

    # The preview shows it at once: the same sample now leaves, Code and all.
    page.goto(f"{live_server.url}/actions/{action.pk}/")
    page.get_by_label("Sample event").fill(json.dumps(SAMPLE, indent=2))
    expect(page.locator("#preview [data-testid=request]")).to_contain_text('"Code": "B20"')
    expect(page.locator("[data-row='properties.Code'] .live-errors")).to_be_empty()


def test_only_admins_see_the_not_health_information_button(page: Page, live_server) -> None:
    product_code_action()
    accept({**SAMPLE, "messageId": "m-2"})
    routing.route_unrouted()
    make_user("mo", "marketer")
    sign_in(page, live_server, "mo")
    page.goto(f"{live_server.url}/deliveries/")
    expect(page.get_by_role("row").filter(has_text="Blocked")).to_contain_text("properties.sku")
    expect(page.get_by_test_id("not-health")).to_have_count(0)
    page.goto(f"{live_server.url}/events/{Delivery.objects.get().event_id}/")
    expect(page.get_by_text("properties.sku").first).to_be_visible()
    expect(page.get_by_test_id("not-health")).to_have_count(0)

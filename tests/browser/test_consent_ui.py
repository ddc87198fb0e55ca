"""Consent from the page, in the action editor: a marketer requires a category without writing JMESPath,
and the live preview says at once that a sample without that consent is skipped, and why."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from destinations.models import Destination
from mapper.models import Action
from tests.browser.conftest import open_new_action

pytestmark = pytest.mark.django_db(transaction=True)


def test_marketer_requires_marketing_consent_and_the_preview_skips_a_sample_without_it(
    page: Page, live_server, destination: Destination, shots: Path
) -> None:
    open_new_action(page, live_server, destination)
    preview = page.locator("#preview")
    outcome = preview.locator("[data-testid=outcome]")
    expect(preview.locator("[data-testid=request]")).to_be_visible()
    expect(outcome).to_have_count(0)

    page.get_by_label("Consent required").fill("Marketing")
    expect(outcome).to_have_text("Skipped: no consent for Marketing: the event carries no consent information.")
    expect(page.locator("[data-errors-for=consent_category]")).to_contain_text("No consent for Marketing")
    page.locator("[data-testid=consent-control]").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "consent-skip-preview.png"))

    # The same sample, as the page's consent tool sends it once the person agreed: it would be sent.
    sample = page.get_by_label("Sample event")
    event = json.loads(sample.input_value())
    event.setdefault("context", {})["consent"] = {"categoryPreferences": {"Marketing": True, "Analytics": False}}
    sample.fill(json.dumps(event, indent=2))
    expect(outcome).to_have_count(0)
    expect(page.locator("[data-errors-for=consent_category]")).to_be_empty()

    # Only a page that says no stops it: a sample without consent information is sent again.
    event["context"].pop("consent")
    sample.fill(json.dumps(event, indent=2))
    expect(outcome).to_be_visible()
    page.get_by_label("Events that carry no consent for it").select_option("send")
    expect(outcome).to_have_count(0)

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved “Order Shipped”.")).to_be_visible()
    action = Action.objects.get()
    assert (action.consent_category, action.consent_when_unknown) == ("Marketing", "send")

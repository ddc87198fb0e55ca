"""The delivery log as each role reads it: a delivery its destination holds back says why, what
sends it, and leads to the destination's page, where the remedy is said for that role."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from destinations.models import Destination
from executor.ingest import ingest
from executor.routing import route_unrouted
from tests.browser.conftest import make_user, shipped_action, sign_in
from tests.events import shipped_event

pytestmark = pytest.mark.django_db(transaction=True)

REMEDY = {
    "admin": "Replace or verify the key to resume.",
    "marketer": "An admin must replace or verify the key to resume.",
    "engineer": "An admin must replace or verify the key to resume.",
}


@pytest.mark.parametrize("role", ["admin", "marketer", "engineer"])
def test_each_role_reads_why_a_paused_destinations_delivery_waits_and_opens_the_destination(
    page: Page, live_server, destination: Destination, shots: Path, role: str
) -> None:
    shipped_action(destination)
    ingest([shipped_event(1)], source="api", write_key=None)
    route_unrouted()
    Destination.objects.update(needs_attention=True, attention_reason="Attentive rejected the API key (401).")
    make_user(f"{role}1", role)
    sign_in(page, live_server, f"{role}1")
    page.goto(f"{live_server.url}/deliveries/")
    waiting = page.get_by_test_id("waiting")
    expect(waiting).to_have_text(
        "Waiting: sending to this destination is paused. Attentive rejected the API key (401). "
        "It is sent once an admin replaces or verifies the key."
    )
    page.screenshot(path=shots / f"delivery-log-paused-{role}.png", full_page=True)
    page.get_by_role("link", name=f"Open {destination.name}").click()
    expect(page.get_by_role("alert")).to_contain_text(REMEDY[role])
    page.screenshot(path=shots / f"destination-paused-{role}.png", full_page=True)

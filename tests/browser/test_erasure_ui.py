"""An admin files an erasure request in the browser and sees where it stands, the person masked."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from executor.ingest import ingest
from executor.models import ErasureRequest, InboundEvent
from executor.tasks import run_erasure
from tests.browser.conftest import make_user, sign_in
from tests.events import shipped_event

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_files_an_erasure_request_and_sees_it_masked(page: Page, live_server, shots: Path) -> None:
    ingest(
        [shipped_event(1), shipped_event(2, context={"traits": {"email": "sam@example.com"}})],
        source="api",
        write_key=None,
    )
    make_user("ada", "admin")
    sign_in(page, live_server, "ada")
    page.get_by_role("link", name="Erasure").click()
    page.get_by_label("Find the person by").select_option("email")
    page.get_by_label("Email, phone or client user id").fill("Person1@Example.com")
    page.get_by_role("button", name="Continue…").click()
    # Irreversible: asked once more, the person masked.
    expect(page.get_by_test_id("confirm-erasure")).to_contain_text("This cannot be undone.")
    expect(page.get_by_role("heading")).to_have_text("Forget p•••@example.com?")
    assert not ErasureRequest.objects.exists()
    page.screenshot(path=str(shots / "erasure-confirm.png"))
    page.get_by_role("button", name="Forget this person").click()
    expect(page.get_by_text("Filed erasure request #")).to_be_visible()
    # The task runs in the worker; run it here, as the worker would.
    run_erasure.call(ErasureRequest.objects.get().pk)
    page.reload()
    table = page.get_by_test_id("erasure-requests")
    expect(table).to_contain_text("p•••@example.com")
    expect(table).to_contain_text("1 event")
    expect(table).not_to_contain_text("person1@example.com")
    assert InboundEvent.objects.count() == 1
    page.screenshot(path=str(shots / "erasure.png"))


def test_a_value_that_is_no_phone_number_is_refused_on_its_field(page: Page, live_server) -> None:
    make_user("ada", "admin")
    sign_in(page, live_server, "ada")
    page.goto(f"{live_server.url}/privacy/erasure/")
    page.get_by_label("Find the person by").select_option("phone")
    page.get_by_label("Email, phone or client user id").fill("call me")
    page.get_by_role("button", name="Continue…").click()
    expect(page.get_by_text("That is not a phone number")).to_be_visible()
    assert not ErasureRequest.objects.exists()

"""A marketer backfills a new action from its editor: counts first, starts, and watches it run to done."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from destinations.models import Destination
from executor import backfill, sending
from executor.ingest import ingest
from executor.routing import route_unrouted
from mapper.models import Action
from tests.browser.conftest import make_user, shipped_action, sign_in
from tests.events import shipped_event

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_marketer_counts_starts_and_sees_the_backfill_progress_to_done(
    page: Page, live_server, destination: Destination, fake, shots: Path, monkeypatch
) -> None:
    monkeypatch.setattr(backfill, "CHUNK", 2)
    # History stored before the action existed.
    ingest([shipped_event(i) for i in range(1, 7)], source="api", write_key=None)
    route_unrouted()
    action = shipped_action(destination)
    make_user("maria", "marketer")
    sign_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/actions/{action.pk}/")
    page.get_by_role("link", name="Backfill").click()

    since = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Run over the events received since (UTC)").fill(since)
    page.get_by_role("button", name="Count first (dry run)").click()
    expect(page.get_by_test_id("dry-run-summary")).to_contain_text("6 would be sent")
    assert fake.received == []  # counting sends nothing

    page.get_by_role("button", name="Start: send 6 events").click()
    expect(page.get_by_test_id("backfill-state")).to_have_text("Running")
    expect(page.get_by_text("0 of 6 events gone through (0%)")).to_be_visible()
    job = action.backfills.get()

    # The worker's task, one chunk at a time, with the key's sender sending between them.
    assert backfill.advance(job.pk, lambda key: None) == 0.0
    sending.drain(destination.sender_key)
    expect(page.get_by_text("2 of 6 events gone through (33%)")).to_be_visible()  # the page follows, unreloaded
    expect(page.get_by_test_id("backfill-progress")).to_have_attribute("value", "33")
    page.screenshot(path=str(shots / "backfill-progress.png"), full_page=True)

    while backfill.advance(job.pk, lambda key: None) is not None:
        sending.drain(destination.sender_key)
    expect(page.get_by_test_id("backfill-state")).to_have_text("Done")
    expect(page.get_by_text("6 of 6 events gone through (100%)")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel the backfill")).to_have_count(0)
    assert len(fake.received) == 6


def test_a_marketer_sees_why_a_disabled_action_cannot_be_backfilled_before_clicking_start(
    page: Page, live_server, destination: Destination, shots: Path
) -> None:
    ingest([shipped_event(1)], source="api", write_key=None)
    route_unrouted()
    action = shipped_action(destination)
    Action.objects.filter(pk=action.pk).update(enabled=False)
    make_user("maria", "marketer")
    sign_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/actions/{action.pk}/backfills/")
    notice = page.get_by_test_id("backfill-cannot-start")
    expect(notice).to_contain_text("This action is disabled")
    expect(notice.get_by_role("link", name="actions of Acme Health")).to_be_visible()

    since = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Run over the events received since (UTC)").fill(since)
    page.get_by_role("button", name="Count first (dry run)").click()
    expect(page.get_by_test_id("dry-run-summary")).to_contain_text("1 would be sent")
    expect(page.get_by_test_id("backfill-cannot-start")).to_contain_text("enable it first")
    expect(page.get_by_role("button", name="Start: send 1 event")).to_have_count(0)
    page.screenshot(path=str(shots / "backfill-disabled-action.png"), full_page=True)

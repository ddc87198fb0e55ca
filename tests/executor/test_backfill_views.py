"""The backfill pages: reachable from the action, a dry run then start and cancel for marketers, read-only for engineers."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.roles import set_role
from destinations.models import Destination
from executor import backfill, backfill_commands
from executor.models import Backfill
from executor.routing import route_unrouted
from executor.tasks import run_backfill
from mapper.models import Action
from tests.events import shipped_event
from tests.executor.flows import accept, action_from_preset
from tests.mapper.test_trial_send import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def action(destination: Destination) -> Action:
    accept(shipped_event(1), shipped_event(2, event="Order Placed"))
    route_unrouted()
    return action_from_preset(destination, "custom_event", "order_shipped")


def an_hour_ago() -> str:
    return (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")


def test_the_action_editor_links_its_backfills(action: Action) -> None:
    html = signed_in("engineer").get(f"/actions/{action.pk}/").content.decode()
    assert f'href="/actions/{action.pk}/backfills/"' in html


def test_a_marketer_counts_first_and_sees_what_would_be_sent(action: Action) -> None:
    client = signed_in("marketer")
    response = client.post(f"/actions/{action.pk}/backfills/", {"since": an_hour_ago()})
    job = Backfill.objects.get()
    assert response.url == f"/backfills/{job.pk}/"
    html = client.get(response.url).content.decode()
    assert "Of 2 stored events, 1 matches the trigger:" in html
    assert "1 would be sent" in html
    assert "Start: send 1 event" in html
    assert job.state == Backfill.State.DRY_RUN


def test_a_time_outside_retention_is_a_400_naming_the_field_and_nothing_is_counted(action: Action) -> None:
    long_ago = (timezone.now() - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M")
    response = signed_in("marketer").post(f"/actions/{action.pk}/backfills/", {"since": long_ago})
    assert response.status_code == 400
    assert "Events are kept 30 days" in response.content.decode()
    assert not Backfill.objects.exists()


def test_starting_shows_the_progress_bar_and_cancel_and_the_page_refreshes_while_it_runs(action: Action) -> None:
    client = signed_in("marketer")
    client.post(f"/actions/{action.pk}/backfills/", {"since": an_hour_ago()})
    job = Backfill.objects.get()
    client.post(f"/backfills/{job.pk}/", {"start": ""})
    html = client.get(f"/backfills/{job.pk}/").content.decode()
    assert 'data-testid="backfill-progress"' in html
    assert "Cancel the backfill" in html
    assert '<noscript><meta http-equiv="refresh"' in html
    assert "relay/js/backfill.js" in html
    client.post(f"/backfills/{job.pk}/", {"cancel": ""})
    job.refresh_from_db()
    assert job.state == Backfill.State.CANCELLED
    assert '<meta http-equiv="refresh"' not in client.get(f"/backfills/{job.pk}/").content.decode()


def test_an_engineer_sees_backfills_but_cannot_count_start_or_cancel(action: Action) -> None:
    marketer = get_user_model().objects.create_user("mara")
    set_role(marketer, "marketer")
    job = backfill_commands.dry_run(marketer, action, timezone.now() - timedelta(hours=1))
    engineer = signed_in("engineer")
    listing = engineer.get(f"/actions/{action.pk}/backfills/").content.decode()
    assert "Read-only" in listing
    assert f"Backfill #{job.pk}" in listing
    assert "Start:" not in engineer.get(f"/backfills/{job.pk}/").content.decode()
    assert engineer.post(f"/actions/{action.pk}/backfills/", {"since": an_hour_ago()}).status_code == 403
    assert engineer.post(f"/backfills/{job.pk}/", {"start": ""}).status_code == 403
    job.refresh_from_db()
    assert job.state == Backfill.State.DRY_RUN


def test_a_large_window_shows_its_counting_progress_and_no_start_yet(action: Action, monkeypatch) -> None:
    monkeypatch.setattr(backfill, "IMMEDIATE_LIMIT", 1)
    client = signed_in("marketer")
    client.post(f"/actions/{action.pk}/backfills/", {"since": an_hour_ago()})
    html = client.get(f"/backfills/{Backfill.objects.get().pk}/").content.decode()
    assert "Counting: 0 of 2 stored events (0%). Nothing is sent." in html
    assert "Start:" not in html
    assert "relay/js/backfill.js" in html


def test_a_second_dry_run_says_the_events_were_delivered_already_not_that_none_match(action: Action) -> None:
    client = signed_in("marketer")
    first = client.post(f"/actions/{action.pk}/backfills/", {"since": an_hour_ago()})
    client.post(f"{first.url}", {"start": "1"})
    run_backfill.call(Backfill.objects.get().pk)  # the background task, run here
    again = client.post(f"/actions/{action.pk}/backfills/", {"since": an_hour_ago()})
    html = client.get(again.url).content.decode()
    assert "1 already has a delivery of this action" in html
    assert "Of the others, 0 match the trigger" in html


def test_a_disabled_action_says_up_front_why_no_backfill_can_start_and_offers_no_start(action: Action) -> None:
    Action.objects.filter(pk=action.pk).update(enabled=False)
    client = signed_in("marketer")
    listing = client.get(f"/actions/{action.pk}/backfills/").content.decode()
    assert "A backfill cannot start now." in listing
    assert "This action is disabled" in listing
    assert f'href="/destinations/{action.destination_id}/"' in listing  # where a marketer turns it on
    assert "Count first (dry run)" in listing  # counting is still allowed: nothing leaves
    job_url = client.post(f"/actions/{action.pk}/backfills/", {"since": an_hour_ago()}).url
    detail = client.get(job_url).content.decode()
    assert "This action is disabled" in detail
    assert "Start:" not in detail


def test_a_disabled_destination_says_why_no_backfill_can_start_and_offers_no_start(action: Action) -> None:
    client = signed_in("marketer")
    job_url = client.post(f"/actions/{action.pk}/backfills/", {"since": an_hour_ago()}).url
    Destination.objects.filter(pk=action.destination_id).update(enabled=False)
    detail = client.get(job_url).content.decode()
    assert "The destination “Brand” is disabled" in detail
    assert "Start:" not in detail


def test_an_engineer_is_told_a_disabled_action_is_turned_on_by_a_marketer_not_sent_to_do_it(action: Action) -> None:
    Action.objects.filter(pk=action.pk).update(enabled=False)
    listing = signed_in("engineer").get(f"/actions/{action.pk}/backfills/").content.decode()
    assert "This action is disabled" in listing
    assert "A marketer or an admin turns it on." in listing
    assert "Turn it on in the" not in listing


def test_an_admin_is_told_where_to_turn_a_disabled_action_on(action: Action) -> None:
    Action.objects.filter(pk=action.pk).update(enabled=False)
    listing = signed_in("admin").get(f"/actions/{action.pk}/backfills/").content.decode()
    assert "Turn it on in the" in listing
    assert "Count first (dry run)" in listing


def test_an_enabled_action_shows_no_cannot_start_notice(action: Action) -> None:
    listing = signed_in("marketer").get(f"/actions/{action.pk}/backfills/").content.decode()
    assert "A backfill cannot start now." not in listing

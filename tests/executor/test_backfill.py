"""Backfill: an action run over stored events, counted first, then sent through the ordinary delivery path."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import AuditEntry
from accounts.roles import set_role
from core.commands import Refused
from destinations.models import Destination
from executor import backfill, backfill_commands, erasure, sending
from executor.models import Backfill, Delivery, InboundEvent
from executor.routing import route_unrouted
from executor.tasks import count_backfill, run_backfill
from mapper.models import Action
from tests.events import shipped_event
from tests.executor.flows import accept, action_from_preset
from tests.fake_attentive import FakeAttentive

pytestmark = pytest.mark.django_db


def user(role: str) -> object:
    person = get_user_model().objects.create_user(f"{role}-{get_user_model().objects.count()}")
    set_role(person, role)
    return person


def history(*events: dict) -> None:
    """Events stored and routed before the action existed (so none has a delivery of it)."""
    accept(*events)
    route_unrouted()


def since_an_hour_ago() -> object:
    return timezone.now() - timedelta(hours=1)


def run_to_the_end(job: Backfill, destination: Destination) -> Backfill:
    """What the task does, with the key's sender draining between chunks as a worker's would."""
    while backfill.advance(job.pk, lambda key: None) is not None:
        sending.drain(destination.sender_key)
    sending.drain(destination.sender_key)
    job.refresh_from_db()
    return job


def mixed_history() -> None:
    """Three that send, one the trigger does not match, one without any identifier (skipped), one with
    an email that cannot be one as its only identifier (invalid)."""
    history(
        shipped_event(1),
        shipped_event(2),
        shipped_event(3),
        shipped_event(4, event="Order Placed"),
        shipped_event(5, userId=None, context={"traits": {}}),
        shipped_event(6, userId=None, context={"traits": {"email": "not an email"}}),
    )


def test_the_dry_run_counts_what_the_run_then_sends_and_nothing_leaves_before(
    fake: FakeAttentive, destination: Destination
) -> None:
    mixed_history()
    action = action_from_preset(destination, "custom_event", "order_shipped")
    marketer = user("marketer")

    job = backfill_commands.dry_run(marketer, action, since_an_hour_ago())

    assert job.state == Backfill.State.DRY_RUN
    assert job.expected["events"] == 6
    assert job.expected["unmatched"] == 1
    assert backfill.matched(job.expected) == 5
    assert job.expected["queued"] == 3
    assert (job.expected["skipped"], job.expected["invalid"]) == (1, 1)
    assert fake.received == []
    assert not Delivery.objects.filter(action=action).exists()

    backfill_commands.start(marketer, job)
    job = run_to_the_end(job, destination)

    assert job.state == Backfill.State.DONE
    assert job.percent == 100
    assert len(fake.received) == job.expected["queued"]
    assert job.counts == job.expected
    delivered = Delivery.objects.filter(action=action, status=Delivery.Status.DELIVERED).count()
    assert delivered == job.expected["queued"]


def test_a_second_backfill_of_the_same_window_sends_nothing_new(fake: FakeAttentive, destination: Destination) -> None:
    history(shipped_event(1), shipped_event(2))
    action = action_from_preset(destination, "custom_event", "order_shipped")
    marketer = user("marketer")
    first = backfill_commands.dry_run(marketer, action, since_an_hour_ago())
    backfill_commands.start(marketer, first)
    run_to_the_end(first, destination)
    assert len(fake.received) == 2

    again = backfill_commands.dry_run(marketer, action, since_an_hour_ago())
    assert (again.expected["already"], again.expected["queued"]) == (2, 0)
    backfill_commands.start(marketer, again)
    again = run_to_the_end(again, destination)

    assert len(fake.received) == 2
    assert again.counts["already"] == 2


def test_events_the_action_already_routed_live_are_not_sent_again_with_the_same_external_event_id(
    fake: FakeAttentive, destination: Destination
) -> None:
    action = action_from_preset(destination, "custom_event", "order_shipped")
    history(shipped_event(1))
    sending.drain(destination.sender_key)
    (live_id,) = fake.event_ids()
    history(shipped_event(2))  # routed, not sent yet: the backfill must not make a second delivery
    marketer = user("marketer")
    job = backfill_commands.dry_run(marketer, action, since_an_hour_ago())
    backfill_commands.start(marketer, job)
    run_to_the_end(job, destination)

    assert job.expected["already"] == 2
    assert sorted(fake.event_ids().values()) == [1, 1]
    assert live_id in fake.event_ids()


def test_people_who_asked_to_be_erased_are_skipped_and_their_events_deleted(
    fake: FakeAttentive, destination: Destination
) -> None:
    history(shipped_event(1), shipped_event(2))
    action = action_from_preset(destination, "custom_event", "order_shipped")
    marketer = user("marketer")
    # Filed, and its purge not yet run: the backfill judges every event again, as routing does.
    erasure.file(erasure.subject("email", "person2@example.com"), None)

    job = backfill_commands.dry_run(marketer, action, since_an_hour_ago())
    assert (job.expected["erased"], job.expected["queued"]) == (1, 1)
    backfill_commands.start(marketer, job)
    job = run_to_the_end(job, destination)

    assert job.counts["erased"] == 1
    assert [body["user"]["email"] for body in fake.received] == ["person1@example.com"]
    assert InboundEvent.objects.count() == 1


def test_cancel_stops_the_next_chunk_and_withdraws_what_is_queued(
    fake: FakeAttentive, destination: Destination, monkeypatch
) -> None:
    monkeypatch.setattr(backfill, "CHUNK", 2)
    history(*[shipped_event(i) for i in range(1, 6)])
    action = action_from_preset(destination, "custom_event", "order_shipped")
    marketer = user("marketer")
    job = backfill_commands.start(marketer, backfill_commands.dry_run(marketer, action, since_an_hour_ago()))

    assert backfill.advance(job.pk, lambda key: None) == 0.0  # the first chunk queued, not sent yet
    backfill_commands.cancel(marketer, job)
    assert backfill.advance(job.pk, lambda key: None) is None
    sending.drain(destination.sender_key)

    job.refresh_from_db()
    assert (job.state, job.done) == (Backfill.State.CANCELLED, 2)
    assert fake.received == []
    assert Delivery.objects.filter(action=action).count() == 2
    assert set(Delivery.objects.filter(action=action).values_list("status", flat=True)) == {Delivery.Status.SKIPPED}


def test_the_next_chunk_waits_while_a_chunks_worth_is_still_queued(destination: Destination, monkeypatch) -> None:
    monkeypatch.setattr(backfill, "CHUNK", 2)
    monkeypatch.setattr(backfill, "MAX_QUEUED", 2)
    history(*[shipped_event(i) for i in range(1, 6)])
    action = action_from_preset(destination, "custom_event", "order_shipped")
    marketer = user("marketer")
    job = backfill_commands.start(marketer, backfill_commands.dry_run(marketer, action, since_an_hour_ago()))
    woken: list[str] = []

    assert backfill.advance(job.pk, woken.append) == 0.0
    assert backfill.advance(job.pk, woken.append) == backfill.RECHECK_SECONDS
    assert Delivery.objects.filter(action=action).count() == 2
    assert woken == [destination.sender_key]


def test_a_backfill_stops_when_its_action_is_turned_off(destination: Destination) -> None:
    history(shipped_event(1))
    action = action_from_preset(destination, "custom_event", "order_shipped")
    marketer = user("marketer")
    job = backfill_commands.start(marketer, backfill_commands.dry_run(marketer, action, since_an_hour_ago()))
    Action.objects.filter(pk=action.pk).update(enabled=False)

    assert backfill.advance(job.pk, lambda key: None) is None
    job.refresh_from_db()
    assert job.state == Backfill.State.CANCELLED
    assert "turned off" in job.reason
    assert not Delivery.objects.filter(action=action).exists()


def test_events_before_the_window_and_after_the_dry_run_are_not_part_of_it(destination: Destination) -> None:
    history(shipped_event(1), shipped_event(2))
    old = InboundEvent.objects.order_by("id").first()
    InboundEvent.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(hours=3))
    action = action_from_preset(destination, "custom_event", "order_shipped")
    marketer = user("marketer")
    job = backfill_commands.dry_run(marketer, action, since_an_hour_ago())
    history(shipped_event(3))  # after the dry run: routed live

    backfill_commands.start(marketer, job)
    while backfill.advance(job.pk, lambda key: None) is not None:
        pass
    job.refresh_from_db()
    assert job.expected["events"] == job.counts["events"] == 1


@pytest.mark.parametrize(
    ("since", "message"),
    [
        (None, "Give the time"),
        (timedelta(hours=-1), "in the past"),
        (timedelta(days=31), "kept 30 days"),
    ],
)
def test_a_dry_run_refuses_a_time_outside_retention_naming_since(
    destination: Destination, since: timedelta | None, message: str
) -> None:
    action = action_from_preset(destination, "custom_event", "order_shipped")
    with pytest.raises(Refused) as refused:
        backfill_commands.dry_run(user("marketer"), action, None if since is None else timezone.now() - since)
    assert list(refused.value.errors) == ["since"]
    assert message in refused.value.errors["since"]


def test_an_engineer_may_not_dry_run_start_or_cancel(destination: Destination) -> None:
    action = action_from_preset(destination, "custom_event", "order_shipped")
    job = backfill_commands.dry_run(user("marketer"), action, since_an_hour_ago())
    engineer = user("engineer")
    for command, target in ((backfill_commands.dry_run, action), (backfill_commands.start, job)):
        with pytest.raises(PermissionDenied):
            command(engineer, target, *([since_an_hour_ago()] if target is action else []))
    with pytest.raises(PermissionDenied):
        backfill_commands.cancel(engineer, job)


def test_starting_twice_or_a_disabled_action_is_refused_naming_the_field(destination: Destination) -> None:
    action = action_from_preset(destination, "custom_event", "order_shipped")
    marketer = user("marketer")
    job = backfill_commands.start(marketer, backfill_commands.dry_run(marketer, action, since_an_hour_ago()))
    with pytest.raises(Refused) as twice:
        backfill_commands.start(marketer, job)
    assert list(twice.value.errors) == ["backfill"]
    other = backfill_commands.dry_run(marketer, action, since_an_hour_ago())
    with pytest.raises(Refused) as running:
        backfill_commands.start(marketer, other)
    assert list(running.value.errors) == ["action"]
    Action.objects.filter(pk=action.pk).update(enabled=False)
    with pytest.raises(Refused) as disabled:
        backfill_commands.start(marketer, other)
    assert list(disabled.value.errors) == ["action"]
    action.refresh_from_db()
    assert disabled.value.errors["action"] == backfill_commands.why_it_cannot_start(action)  # the pages' words


def test_each_command_records_one_audit_entry_without_personal_data(destination: Destination) -> None:
    history(shipped_event(1))
    action = action_from_preset(destination, "custom_event", "order_shipped")
    marketer = user("marketer")
    job = backfill_commands.dry_run(marketer, action, since_an_hour_ago())
    backfill_commands.start(marketer, job)
    backfill_commands.cancel(marketer, job)

    entries = list(AuditEntry.objects.filter(verb__startswith="backfill").order_by("id"))
    assert [e.verb for e in entries] == ["backfill_dry_run", "backfill_started", "backfill_cancelled"]
    assert all(e.target_id == str(action.pk) and e.details["backfill"] == job.pk for e in entries)
    assert "person1" not in str([e.details for e in entries])


def test_a_backfilled_event_carries_the_external_event_id_live_routing_gives_it(destination: Destination) -> None:
    history(shipped_event(1))
    action = action_from_preset(destination, "custom_event", "order_shipped")
    marketer = user("marketer")
    job = backfill_commands.start(marketer, backfill_commands.dry_run(marketer, action, since_an_hour_ago()))
    while backfill.advance(job.pk, lambda key: None) is not None:
        pass
    backfilled = Delivery.objects.get(action=action).payload["externalEventId"]

    # The same event routed live through the same action (as if the action had existed then).
    Delivery.objects.all().delete()
    InboundEvent.objects.update(routed_at=None)
    route_unrouted()
    assert Delivery.objects.get(action=action).payload["externalEventId"] == backfilled


def test_a_large_window_is_counted_in_the_background_and_cannot_start_before(
    destination: Destination, monkeypatch
) -> None:
    monkeypatch.setattr(backfill, "IMMEDIATE_LIMIT", 2)
    monkeypatch.setattr(backfill, "CHUNK", 2)
    mixed_history()
    action = action_from_preset(destination, "custom_event", "order_shipped")
    marketer = user("marketer")
    job = backfill_commands.dry_run(marketer, action, since_an_hour_ago())
    assert (job.state, job.total, job.expected["events"]) == (Backfill.State.COUNTING, 6, 0)
    with pytest.raises(Refused) as early:
        backfill_commands.start(marketer, job)
    assert list(early.value.errors) == ["backfill"]

    count_backfill.call(job.pk)

    job.refresh_from_db()
    assert job.state == Backfill.State.DRY_RUN
    assert job.expected == backfill.count(action, job.since, job.until)
    assert job.expected["queued"] == 3


def test_the_task_runs_a_started_backfill_to_the_end(fake: FakeAttentive, destination: Destination) -> None:
    history(shipped_event(1), shipped_event(2))
    action = action_from_preset(destination, "custom_event", "order_shipped")
    marketer = user("marketer")
    job = backfill_commands.start(marketer, backfill_commands.dry_run(marketer, action, since_an_hour_ago()))

    assert run_backfill.call(job.pk) == 2
    sending.drain(destination.sender_key)

    job.refresh_from_db()
    assert job.state == Backfill.State.DONE
    assert len(fake.received) == 2


def test_a_backfill_whose_worker_died_is_resumed_by_the_sweep_and_its_old_task_chain_stops(
    destination: Destination,
) -> None:
    from django_tasks_db.models import DBTaskResult

    from executor import recovery

    history(shipped_event(1))
    action = action_from_preset(destination, "custom_event", "order_shipped")
    marketer = user("marketer")
    job = backfill_commands.start(marketer, backfill_commands.dry_run(marketer, action, since_an_hour_ago()))
    job.refresh_from_db()
    old_chain = job.chain
    recovery.sweep(kick_router=lambda: None, kick_sender=lambda key: None)
    assert not DBTaskResult.objects.filter(task_path="executor.tasks.run_backfill").exists()  # touched just now

    Backfill.objects.filter(pk=job.pk).update(touched_at=timezone.now() - backfill.STRANDED_AFTER * 2)
    recovery.sweep(kick_router=lambda: None, kick_sender=lambda key: None)

    (queued,) = DBTaskResult.objects.filter(task_path="executor.tasks.run_backfill")
    job.refresh_from_db()
    assert job.chain != old_chain
    assert queued.args_kwargs["args"] == [job.pk, job.chain]
    assert backfill.advance(job.pk, lambda key: None, old_chain) is None  # the late old chain does nothing
    assert backfill.advance(job.pk, lambda key: None, job.chain) == 0.0


def test_a_sweep_with_no_stranded_backfill_only_reads(destination: Destination) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    action = action_from_preset(destination, "custom_event", "order_shipped")
    marketer = user("marketer")
    backfill_commands.start(marketer, backfill_commands.dry_run(marketer, action, since_an_hour_ago()))
    with CaptureQueriesContext(connection) as queries:
        assert backfill.resume_stranded() == []
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT"]

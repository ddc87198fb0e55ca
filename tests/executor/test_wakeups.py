"""Wake-up marks and key leases: one task per pending mark, one live lease per key."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from executor import wakeups

pytestmark = pytest.mark.django_db


def test_only_the_first_kick_of_a_pending_mark_asks_for_a_task() -> None:
    assert wakeups.kick("route") is True
    assert wakeups.kick("route") is False
    assert wakeups.is_pending("route")


def test_a_kick_of_a_mark_already_set_writes_nothing() -> None:
    # On SQLite even an update that changes no row waits for the write lock.
    wakeups.kick("route")
    with CaptureQueriesContext(connection) as queries:
        assert wakeups.kick("route") is False
    assert [query["sql"].split()[0] for query in queries.captured_queries] == ["SELECT"]


def test_taking_the_mark_lets_the_next_kick_ask_again() -> None:
    wakeups.kick("route")
    wakeups.take("route")
    assert not wakeups.is_pending("route")
    assert wakeups.kick("route") is True


def test_a_live_lease_cannot_be_taken_and_an_expired_one_can() -> None:
    name = wakeups.sender_signal("key-1")
    token = wakeups.acquire_lease(name)
    assert token is not None
    assert wakeups.acquire_lease(name) is None
    later = timezone.now() + timedelta(seconds=wakeups._lease().total_seconds() + 1)
    assert wakeups.acquire_lease(name, now=later) not in (None, token)


def test_only_the_holder_renews_or_releases_a_lease() -> None:
    name = wakeups.sender_signal("key-2")
    token = wakeups.acquire_lease(name)
    assert not wakeups.renew_lease(name, "someone-else")
    wakeups.release_lease(name, "someone-else")
    assert wakeups.lease_is_live(name)
    assert wakeups.renew_lease(name, token)
    wakeups.release_lease(name, token)
    assert not wakeups.lease_is_live(name)


def test_lease_tokens_name_their_holder_and_a_dead_holders_leases_can_be_freed() -> None:
    wakeups.set_holder_id("deadworker12")
    mine = wakeups.sender_signal("key-3")
    assert wakeups.holder_of(wakeups.acquire_lease(mine)) == "deadworker12"
    wakeups.set_holder_id("liveworker12")
    theirs = wakeups.sender_signal("key-4")
    wakeups.acquire_lease(theirs)
    assert wakeups.release_leases_of_holder("deadworker12") == 1
    assert not wakeups.lease_is_live(mine)
    assert wakeups.lease_is_live(theirs)


def test_a_compiled_look_is_one_query_and_sees_rows_added_after_it_was_compiled() -> None:
    from executor.models import WorkSignal

    look = wakeups.Look(WorkSignal.objects.filter(pending=True))
    assert not look()
    WorkSignal.objects.create(name="route", pending=True)
    with CaptureQueriesContext(connection) as queries:
        assert look()
    assert len(queries.captured_queries) == 1

"""The senders' database thread: on SQLite, the claims and records of every key on one connection
with a cache that stays warm; inside a transaction, and on PostgreSQL, the caller's own connection."""

import threading

import pytest
from django.db import OperationalError, connection

from executor import lifecycle, sending
from executor.models import Delivery
from executor.runtime import runtime
from executor.sender_database import SENDER_CACHE_KIB
from executor.tasks import route_pending
from tests.conftest import fake_attentive
from tests.events import shipped_event
from tests.executor.flows import accept
from tests.executor.test_sending import OTHER_KEY, _destination
from tests.fake_attentive import GOOD_KEY

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the database thread is SQLite's")


def _where() -> tuple[int, int]:
    connection.ensure_connection()
    return threading.get_ident(), id(connection.connection)


def _in_threads(count: int, work) -> list:
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            results[index] = work()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


@pytest.mark.django_db(transaction=True)
def test_work_from_many_threads_runs_on_one_thread_and_one_connection_not_the_callers() -> None:
    places = _in_threads(4, lambda: (threading.get_ident(), runtime.sender_database.run(_where)))
    assert len({where for _, where in places}) == 1
    assert not {caller for caller, _ in places} & {thread for _, (thread, _) in places}


@pytest.mark.django_db(transaction=True)
def test_the_connection_keeps_a_larger_page_cache_even_once_reopened() -> None:
    def cache_size() -> int:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            return cursor.fetchone()[0]

    assert runtime.sender_database.run(cache_size) == -SENDER_CACHE_KIB
    runtime.sender_database.run(lambda: connection.close())
    assert runtime.sender_database.run(cache_size) == -SENDER_CACHE_KIB


@pytest.mark.django_db(transaction=True)
def test_what_the_work_raises_reaches_the_caller() -> None:
    def locked() -> None:
        raise OperationalError("database is locked")

    with pytest.raises(OperationalError, match="locked"):
        runtime.sender_database.run(locked)
    assert runtime.sender_database.run(lambda: 42) == 42


@pytest.mark.django_db(transaction=True)
def test_work_on_the_thread_that_asks_for_the_thread_again_runs_at_once() -> None:
    outer = runtime.sender_database.run(lambda: (_where(), runtime.sender_database.run(_where)))
    assert outer[0] == outer[1]


@pytest.mark.django_db
def test_inside_a_transaction_the_work_runs_on_the_callers_connection_which_sees_what_it_wrote() -> None:
    accept(shipped_event(1))
    assert runtime.sender_database.run(_where) == _where()


@pytest.mark.django_db(transaction=True)
def test_closing_ends_the_thread_and_a_later_call_starts_another() -> None:
    first = runtime.sender_database.run(_where)
    runtime.sender_database.close()
    assert not any(thread.name.startswith("sender-database") for thread in threading.enumerate())
    assert runtime.sender_database.run(_where) != first


@pytest.mark.django_db(transaction=True)
def test_the_senders_of_two_keys_claim_and_record_on_one_connection(settings, monkeypatch) -> None:
    destinations = [_destination("Brand A", GOOD_KEY), _destination("Brand B", OTHER_KEY)]
    places: set[tuple[int, int]] = set()
    claim, record = lifecycle.claim, lifecycle.record
    monkeypatch.setattr(lifecycle, "claim", lambda *args, **kwargs: places.add(_where()) or claim(*args, **kwargs))
    monkeypatch.setattr(lifecycle, "record", lambda outcomes: places.add(_where()) or record(outcomes))
    with fake_attentive(settings, timeout=5.0, api_keys=(GOOD_KEY, OTHER_KEY)) as fake:
        accept(*[shipped_event(index) for index in range(40)])
        route_pending.call()
        keys = iter(destination.sender_key for destination in destinations)
        _in_threads(2, lambda: sending.drain(next(keys)))
    assert Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() == len(fake.received) == 80
    assert len(places) == 1

"""The sender thread's connection: on SQLite, a page cache large enough for ten keys' work, kept
when Django opens the connection again."""

import threading

import pytest
from django.db import connection

from executor import lifecycle, sending
from executor.ingest import ingest
from executor.routing import route_unrouted
from executor.runtime import runtime
from executor.sender_database import SENDER_CACHE_KIB, LargerCache
from tests.conftest import fake_attentive
from tests.events import shipped_event
from tests.executor.test_sending import OTHER_KEY, _destination
from tests.fake_attentive import GOOD_KEY

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the larger cache is SQLite's")


def _cache_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_the_connection_keeps_a_larger_page_cache_even_once_reopened() -> None:
    cache = LargerCache()
    cache.keep()
    assert _cache_size() == -SENDER_CACHE_KIB
    connection.close()
    cache.keep()
    assert _cache_size() == -SENDER_CACHE_KIB


@pytest.mark.django_db(transaction=True)
def test_the_workers_sender_thread_claims_for_every_key_on_one_connection_with_the_larger_cache(
    settings, monkeypatch
) -> None:
    settings.RELAY_SENDER_IDLE_SECONDS = 0.2
    claims: set[tuple[int, int]] = set()
    claim = lifecycle.claim

    def noting_where(*args, **kwargs):
        claims.add((threading.get_ident(), _cache_size()))
        return claim(*args, **kwargs)

    monkeypatch.setattr(lifecycle, "claim", noting_where)
    with fake_attentive(settings, timeout=5.0, api_keys=(GOOD_KEY, OTHER_KEY)) as fake:
        destinations = [_destination("Brand A", GOOD_KEY), _destination("Brand B", OTHER_KEY)]
        ingest([shipped_event(index) for index in range(20)], source="api", write_key=None)
        route_unrouted()
        for destination in destinations:
            sending.ensure_sender(destination.sender_key)
        runtime.sender_thread.join(15)  # it ends once both keys are idle
    assert len(fake.received) == 40
    ((thread, cache_size),) = claims
    assert thread != threading.get_ident()
    assert cache_size == -SENDER_CACHE_KIB

"""Ingest on PostgreSQL, whose text columns cannot hold a NUL character."""

from collections.abc import Iterator

import httpx
import pytest

from tests.events import shipped_event
from tests.executor.workers import (
    RelayProcesses,
    create_postgres_database,
    drop_postgres_database,
    postgres_available,
)

pytestmark = pytest.mark.skipif(not postgres_available(), reason="PostgreSQL is not running on 127.0.0.1:5432")


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcesses]:
    name, url = create_postgres_database()
    processes = RelayProcesses(tmp_path_factory.mktemp("relay-pg"), url, "http://127.0.0.1:9")
    try:
        processes.set_up("ak_live_postgres_nul_test")
        processes.start_web()
        yield processes
    finally:
        processes.stop()
        drop_postgres_database(name)


def post(relay: RelayProcesses, body: object) -> httpx.Response:
    return httpx.post(
        f"{relay.url}/api/v1/events", json=body, headers={"Authorization": f"Bearer {relay.write_key}"}, timeout=10
    )


def test_a_nul_in_an_event_name_is_a_422_not_a_500_on_postgresql(relay: RelayProcesses) -> None:
    response = post(relay, {**shipped_event(), "event": "Order\u0000Shipped"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/event"


def test_a_batch_with_one_nul_stores_the_others_on_postgresql(relay: RelayProcesses) -> None:
    bad = {**shipped_event(2), "properties": {"no\u0000te": "x", "n": "a\u0000"}}
    response = post(relay, [shipped_event(1), bad, shipped_event(3)])
    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (2, 1)

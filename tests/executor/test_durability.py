"""The worker's bookkeeping commits (claim, record, routing) do not wait for PostgreSQL's disk; the
transaction's setting ends with it (executor.durability)."""

import json
from collections.abc import Iterator

import pytest

from tests.executor.workers import RelayProcesses, migrated_postgres, postgres_available

SETTING_SCRIPT = """
import json
from django.db import connection, transaction
from executor import durability

def shown():
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]

with transaction.atomic():
    durability.commit_without_waiting_for_the_disk()
    inside = shown()
print(json.dumps([inside, shown()]))
"""


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcesses]:
    if not postgres_available():
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    with migrated_postgres(tmp_path_factory.mktemp("relay-pg-durability")) as processes:
        yield processes


def test_on_postgres_a_bookkeeping_transaction_commits_without_waiting_and_the_next_waits_again(
    relay: RelayProcesses,
) -> None:
    inside, after = json.loads(relay.manage("shell", "-c", SETTING_SCRIPT).strip().splitlines()[-1])
    assert (inside, after) == ("off", "on")


@pytest.mark.django_db
def test_claim_record_and_routing_each_ask_for_it(monkeypatch) -> None:
    from executor import durability, lifecycle, routing

    asked: list[str] = []
    monkeypatch.setattr(durability, "commit_without_waiting_for_the_disk", lambda: asked.append("asked"))
    monkeypatch.setattr(lifecycle, "_due_ids", lambda *args: [1])
    lifecycle.claim("key", "token", limit=1)
    lifecycle.record([])
    routing.route_unrouted()
    assert asked == ["asked"] * 3


@pytest.mark.django_db
def test_on_sqlite_it_asks_nothing_of_the_database(django_assert_num_queries) -> None:
    from django.db import transaction

    from executor import durability

    with transaction.atomic(), django_assert_num_queries(0):
        durability.commit_without_waiting_for_the_disk()

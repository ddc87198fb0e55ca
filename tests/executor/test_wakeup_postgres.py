"""The lost wake-up on PostgreSQL (issue: found by reading), decided with two connections.

Ingest stores events and then wakes the router. Woken inside the ingest transaction, a router on
another connection could look for unrouted events before they are committed, find none, clear its
mark and leave them to the 10-15 s sweep. This runs Relay's own store on PostgreSQL with the
wake-up looking from a second connection, and the old order beside it to show the test can tell.
"""

import json
from collections.abc import Iterator

import pytest

from tests.executor.workers import (
    RelayProcesses,
    migrated_postgres,
    postgres_available,
)

pytestmark = pytest.mark.skipif(not postgres_available(), reason="PostgreSQL is not running on 127.0.0.1:5432")

TWO_CONNECTIONS = """
import json, threading
from django.db import transaction
from executor import group_commit
from executor.runtime import runtime
from executor.models import InboundEvent

def seen_from_another_connection(pk):
    found = []
    def look():
        from django.db import connection
        found.append(InboundEvent.objects.filter(pk=pk, routed_at__isnull=True).exists())
        connection.close()
    thread = threading.Thread(target=look)
    thread.start()
    thread.join()
    return found[0]

def event():
    return InboundEvent(source="api", event_type="track", body={"type": "track", "event": "Order Shipped"})

seen = {}
stored = event()
runtime.committer.store([stored], after_commit=lambda: seen.update(after_commit=seen_from_another_connection(stored.pk)))
early = event()
with transaction.atomic():
    group_commit.insert_new([early])
    seen["inside_the_transaction"] = seen_from_another_connection(early.pk)
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcesses]:
    with migrated_postgres(tmp_path_factory.mktemp("relay-pg-wake")) as processes:
        yield processes


def test_the_router_woken_by_ingest_sees_the_events_it_was_woken_for(relay: RelayProcesses) -> None:
    seen = json.loads(relay.manage("shell", "-c", TWO_CONNECTIONS).strip().splitlines()[-1])
    assert seen["after_commit"] is True
    # Woken inside the transaction (the order before the fix), the other connection sees nothing:
    # the race was real on PostgreSQL, and this test tells the two orders apart.
    assert seen["inside_the_transaction"] is False

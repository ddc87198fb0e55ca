"""Compiled queries on PostgreSQL, whose backend types whole numbers (Int4, Int8) and keeps datetimes
as they are: each binds its parameters as the ORM would."""

import json
from collections.abc import Iterator

import pytest

from tests.executor.workers import (
    RelayProcesses,
    migrated_postgres,
    postgres_available,
)

pytestmark = pytest.mark.skipif(not postgres_available(), reason="PostgreSQL is not running on 127.0.0.1:5432")

SCRIPT = """
import json
from django.db.models import F
from django.utils import timezone
from core.compiled import Compiled, CompiledUpdate, Snapshot
from executor.models import AttemptTally, InboundEvent

ids = [InboundEvent.objects.create(source="api", event_type="track", dedup_key=key).pk for key in "abc"]
by_ids = Compiled(lambda ids: InboundEvent.objects.filter(pk__in=ids).order_by("id").values_list("dedup_key", flat=True))
mark = CompiledUpdate(lambda ids, at: (InboundEvent.objects.filter(pk__in=ids), {"routed_at": at}))
at = timezone.now()
changed = mark(ids[:2], at)
routed = Compiled(lambda at: InboundEvent.objects.filter(routed_at=at).order_by("id").values_list("dedup_key", flat=True))
AttemptTally.objects.create(code="200", count=1)
add = CompiledUpdate(lambda code, more: (AttemptTally.objects.filter(code=code), {"count": F("count") + more}))
add("200", 41)
snapshot = Snapshot(lambda: InboundEvent.objects.order_by("id"), lambda events: [e.dedup_key for e in events])
print(json.dumps({
    "by_ids": by_ids.values([ids[2], ids[0]]),
    "changed": changed,
    "routed": routed.values(at),
    "waiting": routed.values(None),
    "tally": AttemptTally.objects.get(code="200").count,
    "snapshot": [snapshot(), snapshot()],
}))
"""


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcesses]:
    with migrated_postgres(tmp_path_factory.mktemp("compiled-pg")) as processes:
        yield processes


def test_compiled_queries_and_updates_bind_numbers_datetimes_and_none_on_postgresql(relay: RelayProcesses) -> None:
    found = json.loads(relay.manage("shell", "-c", SCRIPT).strip().splitlines()[-1])
    assert found == {
        "by_ids": ["a", "c"],
        "changed": 2,
        "routed": ["a", "b"],
        "waiting": ["c"],
        "tally": 42,
        "snapshot": [["a", "b", "c"], ["a", "b", "c"]],
    }

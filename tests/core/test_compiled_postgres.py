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


INSERT_SCRIPT = """
import json
from django.db import IntegrityError, connection, transaction
from core.compiled import CompiledInsert
from executor.models import AttemptTally, InboundEvent

insert = CompiledInsert(InboundEvent, ignore_conflicts=True, returning="dedup_key")

def events(keys):
    return insert.values([InboundEvent(source="api", event_type="track", dedup_key=key, body={"key": key}) for key in keys])

import psycopg._queries as queries
uncached = []  # a statement's text converted again at this execute (psycopg caches up to 50 parameters)
for name in ("_query2pg_nocache", "_query2pg_client_nocache"):
    setattr(queries, name, lambda *args, _convert=getattr(queries, name): uncached.append(1) or _convert(*args))
many = [f"k{index:03d}" for index in range(250)]
first = insert.insert(events(many))
converted_again = len(uncached)
again = insert.insert(events(["k000", "new", "k249"]))
connection.force_debug_cursor = True  # queries logged: Django's own path
logged = insert.insert(events(["k001", "logged"]))
connection.force_debug_cursor = False
tallies = CompiledInsert(AttemptTally)
try:
    with transaction.atomic():
        tallies([AttemptTally(code="x", count=1)])
        tallies([AttemptTally(code="y", count=2), AttemptTally(code="x", count=3)])
    conflict = "none"
except IntegrityError:
    conflict = "IntegrityError"
print(json.dumps({
    "first": first == many,
    "converted again": converted_again,
    "again": again,
    "logged": logged,
    "stored": InboundEvent.objects.filter(dedup_key__in=[*many, "new", "logged"]).count(),
    "bodies": sorted(e.body["key"] for e in InboundEvent.objects.filter(dedup_key__in=["k000", "new", "logged"])),
    "conflict": conflict,
    "tallies after the rollback": AttemptTally.objects.filter(code__in=["x", "y"]).count(),
}))
"""


def test_compiled_inserts_on_postgresql_store_every_row_and_return_only_those_inserted(relay: RelayProcesses) -> None:
    # Sent as one-row statements together (CompiledInsert._execute_on_postgresql): the same rows, the
    # same returned keys and the same errors as Django's own path (queries logged).
    found = json.loads(relay.manage("shell", "-c", INSERT_SCRIPT).strip().splitlines()[-1])
    assert found == {
        "first": True,
        "converted again": 0,
        "again": ["new"],
        "logged": ["logged"],
        "stored": 252,
        "bodies": ["k000", "logged", "new"],
        "conflict": "IntegrityError",
        "tallies after the rollback": 0,
    }


LISTS_SCRIPT = """
import json
from django.utils import timezone
from core.compiled import Compiled, CompiledUpdate
from executor.models import InboundEvent

ids = [InboundEvent.objects.create(source="api", event_type="track", dedup_key=f"list-{n}").pk for n in range(100)]
import psycopg._queries as queries
uncached = []
for name in ("_query2pg_nocache", "_query2pg_client_nocache"):
    setattr(queries, name, lambda *args, _convert=getattr(queries, name): uncached.append(1) or _convert(*args))
among = Compiled(lambda ids: InboundEvent.objects.filter(pk__in=ids).order_by("id").values_list("dedup_key", flat=True))
outside = Compiled(
    lambda ids, keys: InboundEvent.objects.filter(pk__in=ids).exclude(dedup_key__in=keys).values_list("pk", flat=True)
)
mark = CompiledUpdate(lambda ids, at: (InboundEvent.objects.filter(pk__in=ids), {"routed_at": at}))
at = timezone.now()
found = {
    "among 64": among.values(ids[:64]) == [f"list-{n}" for n in range(64)],
    "among 3": among.values([ids[5], ids[1], ids[9]]),
    "outside": sorted(outside.values(ids[:10], ["list-0", "list-3"])) == sorted(ids[1:3] + ids[4:10]),
    "exists": among.exists(ids[99:]),
    "marked": mark(ids, at),
    "converted again": len(uncached),
}
found["routed"] = InboundEvent.objects.filter(routed_at=at).count()
print(json.dumps(found))
"""


def test_compiled_queries_bind_a_list_as_one_array_on_postgresql(relay: RelayProcesses) -> None:
    # `IN (%s, …)` of 64 or 100 ids was over psycopg's 50-parameter cache: converted again at every execute.
    found = json.loads(relay.manage("shell", "-c", LISTS_SCRIPT).strip().splitlines()[-1])
    assert found == {
        "among 64": True,
        "among 3": ["list-1", "list-5", "list-9"],
        "outside": True,
        "exists": True,
        "marked": 100,
        "routed": 100,
        "converted again": 0,
    }

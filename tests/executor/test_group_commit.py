"""Group commit on SQLite: a request that timed out may still be committed; its retry stores nothing twice."""

import threading
import time

import pytest

from executor import group_commit, shared_state
from executor import ingest as ingest_module
from executor.group_commit import CommitterUnavailable
from executor.ingest import ingest
from executor.models import InboundEvent, WriteKey
from tests.events import shipped_event


@pytest.mark.django_db(transaction=True)
def test_a_retry_after_a_503_stores_nothing_twice(settings, monkeypatch) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the group committer is SQLite's: on PostgreSQL each request writes in its own transaction")
    settings.RELAY_INGEST_GROUP_COMMIT = True
    key, _ = WriteKey.issue("source")
    events = [shipped_event(1), shipped_event(2)]
    # The late commit is awaited by the router's wake-up, which the committer sends once the rows are committed.
    committed = threading.Event()
    monkeypatch.setattr(ingest_module, "kick_router", committed.set)
    monkeypatch.setattr(group_commit, "STORE_TIMEOUT_SECONDS", 0.0)
    with pytest.raises(CommitterUnavailable):  # answered 503, yet the rows are queued and commit
        ingest(events, source="api", write_key=key)
    assert committed.wait(10), "the rows queued before the 503 were never committed"
    assert InboundEvent.objects.count() == 2
    monkeypatch.setattr(group_commit, "STORE_TIMEOUT_SECONDS", 10.0)
    retried = ingest(events, source="api", write_key=key)
    assert (retried.accepted, len(retried.duplicates)) == (0, 2)
    assert InboundEvent.objects.count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("group_commit", [True, False])
def test_the_router_is_woken_only_after_the_events_are_committed(settings, monkeypatch, group_commit: bool) -> None:
    # Woken inside the transaction, a router on another connection could clear the mark and look
    # for work before the rows were visible, and miss them until the sweep.
    from django.db import connection

    from executor import ingest as ingest_module

    settings.RELAY_INGEST_GROUP_COMMIT = group_commit
    seen: list[tuple[bool, int]] = []

    def kick() -> None:
        seen.append((connection.in_atomic_block, InboundEvent.objects.count()))

    monkeypatch.setattr(ingest_module, "kick_router", kick)
    ingest([shipped_event(1), shipped_event(2)], source="api", write_key=None)
    assert seen == [(False, 2)]


def _keyed(key: str) -> InboundEvent:
    return InboundEvent(source="api", event_type="track", message_id=key, dedup_key=key)


@pytest.mark.django_db
def test_insert_new_returns_the_rows_whose_dedup_key_was_not_stored_yet() -> None:
    group_commit.insert_new([_keyed("a")])
    assert [row.dedup_key for row in group_commit.insert_new([_keyed("a"), _keyed("b")])] == ["b"]
    assert sorted(InboundEvent.objects.values_list("dedup_key", flat=True)) == ["a", "b"]


@pytest.mark.django_db
def test_insert_new_asks_the_database_once_for_up_to_a_hundred_rows(django_assert_num_queries) -> None:
    group_commit.insert_new([_keyed("a")])
    with django_assert_num_queries(1):
        group_commit.insert_new([_keyed(str(index)) for index in range(99)] + [_keyed("a")])


@pytest.mark.django_db(transaction=True)
def test_the_committer_waits_for_its_turn_among_the_runs_web_processes_and_commits_what_queued_meanwhile_at_once(
    settings, monkeypatch, tmp_path
) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the group committer is SQLite's")
    settings.RELAY_INGEST_GROUP_COMMIT = True
    monkeypatch.setenv(shared_state.RUN_DIRECTORY, str(tmp_path))
    committer = group_commit.GroupCommitter()
    batches: list[int] = []
    insert_prepared = group_commit.insert_prepared
    monkeypatch.setattr(
        group_commit,
        "insert_prepared",
        lambda prepared: batches.append(len(prepared.keys)) or insert_prepared(prepared),
    )
    another_process = shared_state.Turns("ingest-commit.lock")  # its own lock file handle: another holder
    requests = [
        threading.Thread(target=committer.store, args=([_keyed(str(index))], lambda: None)) for index in range(5)
    ]
    with another_process.turn():
        for request in requests:
            request.start()
        time.sleep(0.5)
        assert (batches, InboundEvent.objects.count()) == ([], 0), "nothing is written while another process commits"
    for request in requests:
        request.join(10)
    assert (batches, InboundEvent.objects.count()) == ([5], 5)


@pytest.mark.django_db(transaction=True)
def test_the_committer_checkpoints_the_wal_after_its_turn_and_its_transaction(settings, monkeypatch, tmp_path) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the group committer is SQLite's")
    settings.RELAY_INGEST_GROUP_COMMIT = True
    monkeypatch.setenv(shared_state.RUN_DIRECTORY, str(tmp_path))
    another_process = shared_state.Turns("ingest-commit.lock")
    checkpoints: list[tuple[bool, bool]] = []

    def checkpoint() -> None:
        # Could another process take the turn now? (Held, it would wait: try it in a thread.)
        taken = threading.Event()

        def take() -> None:
            with another_process.turn():
                taken.set()

        threading.Thread(target=take, daemon=True).start()
        checkpoints.append((connection.in_atomic_block, taken.wait(5)))

    monkeypatch.setattr(group_commit, "_checkpoint", checkpoint)
    committer = group_commit.GroupCommitter()
    for batch in range(group_commit.CHECKPOINT_ROWS // 100):
        committer.store([_keyed(f"{batch}-{index}") for index in range(100)], lambda: None)
    deadline = time.monotonic() + 10  # it checkpoints once the requests were answered
    while not checkpoints and time.monotonic() < deadline:
        time.sleep(0.01)
    assert checkpoints == [(False, True)]

"""Real processes: a web server, several workers, a fake Attentive; workers killed mid-run."""

import sqlite3
import time
from pathlib import Path

from tests.events import shipped_event
from tests.executor import workers
from tests.executor.workers import RelayProcesses, wait_until
from tests.fake_attentive import GOOD_KEY, FakeAttentive

# The process tests' fixtures (tests/executor/workers.py): a fake Attentive, a PostgreSQL database.
fake, postgres_url = workers.fake, workers.postgres_url

FAST_RECOVERY = {
    "RELAY_SENDER_LEASE_SECONDS": 3,
    "RELAY_SENDING_LEASE_SECONDS": 5,
    "RELAY_SWEEP_INTERVAL_SECONDS": 1,
    "ATTENTIVE_TIMEOUT_SECONDS": 2,
}


def _run(
    relay: RelayProcesses,
    fake: FakeAttentive,
    events: int,
    workers: int,
    kill_after: int | None,
    api_keys: tuple[str, ...] = (GOOD_KEY,),
) -> dict:
    relay.set_up(*api_keys)
    relay.start_web()
    relay.start_workers(workers)
    try:
        relay.send_events([shipped_event(index) for index in range(events)])
        if kill_after is not None:
            assert wait_until(lambda: len(fake.received) >= kill_after, timeout=120)
            relay.kill_worker(0)
        total = events * len(api_keys)
        assert wait_until(lambda: len(fake.event_ids()) >= total, timeout=240), len(fake.event_ids())
        # Give a resend of anything already delivered the time to happen, were there one.
        wait_until(lambda: False, timeout=3)
        return relay.counts()
    finally:
        relay.stop()


def test_killed_worker_loses_nothing_and_resends_only_its_unanswered_requests(
    tmp_path: Path, fake: FakeAttentive
) -> None:
    relay = RelayProcesses(tmp_path, f"sqlite:///{tmp_path / 'relay.sqlite3'}", fake.url, **FAST_RECOVERY)
    counts = _run(relay, fake, events=600, workers=2, kill_after=100)
    received = fake.event_ids()
    assert len(received) == 600, "every event reached Attentive"
    assert counts["statuses"] == {"delivered": 600}
    duplicated = {event_id for event_id, times in received.items() if times > 1}
    # A request the killed worker had on the wire may have arrived without its answer being
    # recorded: it is sent again with the same externalEventId. Nothing else is ever resent.
    assert duplicated <= set(counts["recovered_event_ids"])
    assert all(times <= 2 for times in received.values())


def test_a_steady_stream_of_single_events_is_routed_by_one_router_not_a_task_per_event(
    tmp_path: Path, fake: FakeAttentive
) -> None:
    # A route task per event cost four writes more per event, each waiting for SQLite's write lock.
    relay = RelayProcesses(tmp_path, f"sqlite:///{tmp_path / 'relay.sqlite3'}", fake.url)
    relay.set_up(GOOD_KEY)
    relay.start_web()
    relay.start_workers(1)
    try:
        for index in range(40):
            relay.send_events([shipped_event(index)])
            time.sleep(0.02)
        assert wait_until(lambda: len(fake.event_ids()) >= 40, timeout=60)
        counts = relay.counts()
    finally:
        relay.stop()
    assert counts["statuses"] == {"delivered": 40}
    # A task per event makes 40. One router, woken by each event, makes one; a busy machine can let it
    # finish its idle wait between two events now and then, and the next event starts another.
    assert counts["route_tasks"] <= 8


def test_an_idle_worker_leaves_the_write_lock_free(tmp_path: Path, fake: FakeAttentive) -> None:
    # django-tasks-db's worker looks for a task in an exclusive transaction; polled every 20 ms,
    # it took SQLite's write lock 50 times a second with nothing to do.
    database = tmp_path / "relay.sqlite3"
    relay = RelayProcesses(tmp_path, f"sqlite:///{database}", fake.url, RELAY_SWEEP_INTERVAL_SECONDS=3600)
    relay.set_up(GOOD_KEY)
    relay.start_workers(1)
    try:
        with sqlite3.connect(database, timeout=0, isolation_level=None) as db:
            assert wait_until(lambda: db.execute("SELECT count(*) FROM executor_workerheartbeat").fetchone()[0], 60)
            refused = attempts = 0
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                attempts += 1
                try:
                    db.execute("BEGIN IMMEDIATE")
                    db.execute("COMMIT")
                except sqlite3.OperationalError:  # database is locked: someone holds the write lock
                    refused += 1
                time.sleep(0.001)
    finally:
        relay.stop()
    assert attempts > 500
    assert refused == 0


def test_a_task_scheduled_for_later_runs_once_it_is_due(tmp_path: Path, fake: FakeAttentive) -> None:
    relay = RelayProcesses(tmp_path, f"sqlite:///{tmp_path / 'relay.sqlite3'}", fake.url)
    relay.set_up(GOOD_KEY)
    relay.start_workers(1)
    status = (
        "from django_tasks_db.models import DBTaskResult; "
        "print(DBTaskResult.objects.get(task_path='executor.tasks.sweep').status)"
    )
    try:
        relay.manage(
            "shell",
            "-c",
            "from datetime import timedelta; from django.utils import timezone; from executor.tasks import sweep; "
            "sweep.using(run_after=timezone.now() + timedelta(seconds=3)).enqueue()",
        )
        assert wait_until(lambda: relay.manage("shell", "-c", status).split()[-1] == "SUCCESSFUL", timeout=30)
    finally:
        relay.stop()


def test_four_workers_on_postgres_deliver_10000_deliveries_exactly_once(
    tmp_path: Path, fake: FakeAttentive, postgres_url: str
) -> None:
    # Four keys, one a worker: one key alone sends at its endpoint's 150/s (70 s for 10,000).
    keys = (GOOD_KEY, *(f"{GOOD_KEY}-{index}" for index in range(1, 4)))
    fake.api_keys |= set(keys)
    fake.latency = 0.005
    relay = RelayProcesses(tmp_path, postgres_url, fake.url, **FAST_RECOVERY)
    counts = _run(relay, fake, events=2_500, workers=4, kill_after=None, api_keys=keys)
    received = fake.event_ids()  # an event's externalEventId differs by action
    assert len(received) == 10_000, "zero lost"
    assert max(received.values()) == 1, "zero duplicated"
    assert counts["statuses"] == {"delivered": 10_000}


def test_four_workers_on_postgres_survive_a_kill(tmp_path: Path, fake: FakeAttentive, postgres_url: str) -> None:
    relay = RelayProcesses(tmp_path, postgres_url, fake.url, **FAST_RECOVERY)
    counts = _run(relay, fake, events=1_000, workers=4, kill_after=200)
    received = fake.event_ids()
    assert len(received) == 1_000
    assert counts["statuses"] == {"delivered": 1_000}
    assert {e for e, times in received.items() if times > 1} <= set(counts["recovered_event_ids"])

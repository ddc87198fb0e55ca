"""Real processes: a worker killed or stopped mid-run has its keys taken over within 5 s (not when its
30 s key lease and 60 s claim leases run out), and what it had on the wire goes again with the same
externalEventId. SQLite: the one worker of manage.py serve, restarted by the supervisor. PostgreSQL:
two workers on their own, the other one takes over as the server releases the dead one's lock."""

import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.events import shipped_event
from tests.executor import workers
from tests.executor.workers import RelayProcesses, wait_until
from tests.fake_attentive import GOOD_KEY, FakeAttentive

# The process tests' fixtures (tests/executor/workers.py): a fake Attentive, a PostgreSQL database.
fake, postgres_url = workers.fake, workers.postgres_url

EVENTS = 1500  # 10 s of sending at the 150/s pace: the worker is stopped in the middle of it
# The default leases (30 s, 60 s) and sweep (5 s): the takeover must not come from them.
TAKEOVER_GOAL_SECONDS = 5.0


def _stop_and_time_the_takeover(fake: FakeAttentive, stop: Callable[[], None]) -> float:
    """Stop a worker once sending is under way; return the seconds until requests flow again."""
    assert wait_until(lambda: len(fake.received) >= 150, timeout=120, interval=0.02)
    stopped_at = time.monotonic()
    stop()
    # Requests already on the wire when it stopped may still arrive: count from what settled.
    time.sleep(0.5)
    settled = len(fake.received)
    assert wait_until(lambda: len(fake.received) > settled, timeout=90, interval=0.02), "nobody took over"
    return time.monotonic() - stopped_at


def _assert_each_event_arrived_and_only_unanswered_ones_twice(relay: RelayProcesses, fake: FakeAttentive) -> None:
    assert wait_until(lambda: len(fake.event_ids()) >= EVENTS, timeout=240), len(fake.event_ids())
    wait_until(lambda: False, timeout=2)  # time for a resend of something delivered, were there one
    counts = relay.counts()
    received = fake.event_ids()
    assert len(received) == EVENTS
    assert counts["statuses"] == {"delivered": EVENTS}
    # Only what the stopped worker had claimed is sent again, with the same externalEventId.
    assert {event_id for event_id, times in received.items() if times > 1} <= set(counts["recovered_event_ids"])
    assert max(received.values()) <= 2


@pytest.mark.parametrize("stop_signal", [signal.SIGSTOP, signal.SIGKILL], ids=["stopped", "killed"])
def test_the_supervisor_restarts_a_stopped_or_killed_worker_which_takes_its_key_over_within_5_seconds(
    tmp_path: Path, fake: FakeAttentive, stop_signal: signal.Signals
) -> None:
    relay = RelayProcesses(tmp_path, f"sqlite:///{tmp_path / 'relay.sqlite3'}", fake.url)
    relay.set_up(GOOD_KEY)
    relay.start_web(workers=1)
    worker = 0
    try:
        assert wait_until(lambda: len(relay.supervised_workers()) == 1, timeout=30)
        (worker,) = relay.supervised_workers()
        relay.send_events([shipped_event(index) for index in range(EVENTS)])
        took = _stop_and_time_the_takeover(fake, lambda: os.kill(worker, stop_signal))
        assert relay.supervised_workers() != [worker], "a new worker runs in its place"
        _assert_each_event_arrived_and_only_unanswered_ones_twice(relay, fake)
    finally:
        if worker:
            with contextlib.suppress(ProcessLookupError):  # were it left stopped, it would never end
                os.kill(worker, signal.SIGKILL)
        relay.stop()
    sys.stderr.write(f"deliveries resumed {took:.1f} s after the worker got {signal.Signals(stop_signal).name}\n")
    assert took < TAKEOVER_GOAL_SECONDS, f"deliveries resumed {took:.1f} s after"


def test_a_spare_worker_that_ends_while_it_waits_is_replaced_and_the_new_one_takes_the_next_death_over(
    tmp_path: Path, fake: FakeAttentive
) -> None:
    # Outside test: a spare that got SIGTERM stayed <defunct> until the active worker next ended, which
    # was then started from nothing (README: "then a new spare starts").
    relay = RelayProcesses(tmp_path, f"sqlite:///{tmp_path / 'relay.sqlite3'}", fake.url, LOG_LEVEL="INFO")
    relay.set_up(GOOD_KEY)
    relay.start_web(workers=1)
    try:
        assert wait_until(lambda: len(relay.supervised_workers()) == 1 and len(relay.spare_workers()) == 1, timeout=30)
        (spare,) = relay.spare_workers()
        (first,) = relay.supervised_workers()
        # Each names itself by the id serve gave it (its --holder), and only the spare says it waits.
        (log,) = tmp_path.glob("serve-*.log")
        assert wait_until(lambda: f"Worker {_holder(spare)} waits, as a spare" in log.read_text(), timeout=15)
        assert f"Worker {_holder(first)} started" in log.read_text()
        assert f"Worker {_holder(first)} waits" not in log.read_text()
        os.kill(spare, signal.SIGTERM)
        assert wait_until(lambda: relay.spare_workers() not in ([], [spare]), timeout=15), "no new spare"
        assert not Path(f"/proc/{spare}").exists(), "the spare that ended was reaped, not left a zombie"
        (new_spare,) = relay.spare_workers()
        relay.send_events([shipped_event(index) for index in range(300)])
        (worker,) = relay.supervised_workers()
        os.kill(worker, signal.SIGKILL)
        assert wait_until(lambda: relay.supervised_workers() == [new_spare], timeout=10), "the new spare took over"
        assert wait_until(lambda: len(fake.event_ids()) >= 300, timeout=120), len(fake.event_ids())
    finally:
        relay.stop()


def test_a_spare_worker_stopped_while_it_waits_is_replaced_before_it_is_needed(
    tmp_path: Path, fake: FakeAttentive
) -> None:
    # Outside test: a spare given SIGSTOP was not noticed; handed the place of a killed worker, it sent
    # nothing for 60 s, until it was found stalled.
    relay = RelayProcesses(tmp_path, f"sqlite:///{tmp_path / 'relay.sqlite3'}", fake.url)
    relay.set_up(GOOD_KEY)
    relay.start_web(workers=1)
    stopped = 0
    try:
        assert wait_until(lambda: len(relay.supervised_workers()) == 1 and len(relay.spare_workers()) == 1, timeout=30)
        time.sleep(1)  # the spare has imported everything and waits, beating
        (stopped,) = relay.spare_workers()
        os.kill(stopped, signal.SIGSTOP)
        assert wait_until(lambda: relay.spare_workers() not in ([], [stopped]), timeout=10), "no new spare"
        assert wait_until(lambda: not Path(f"/proc/{stopped}").exists(), timeout=5), "the stopped spare was killed"
        time.sleep(1)
        relay.send_events([shipped_event(index) for index in range(EVENTS)])
        (worker,) = relay.supervised_workers()
        took = _stop_and_time_the_takeover(fake, lambda: os.kill(worker, signal.SIGKILL))
        _assert_each_event_arrived_and_only_unanswered_ones_twice(relay, fake)
    finally:
        with contextlib.suppress(ProcessLookupError):
            if stopped:
                os.kill(stopped, signal.SIGKILL)
        relay.stop()
    assert took < TAKEOVER_GOAL_SECONDS, f"deliveries resumed {took:.1f} s after"


def _holder(pid: int) -> str:
    command = Path(f"/proc/{pid}/cmdline").read_text().split("\0")
    return command[command.index("--holder") + 1]


def _key_holder(postgres_url: str) -> str:
    import psycopg

    with psycopg.connect(postgres_url.replace("postgres://", "postgresql://")) as db:
        row = db.execute(
            "SELECT lease_token FROM executor_worksignal WHERE name LIKE 'send:%%' AND lease_token <> ''"
        ).fetchone()
    return row[0].split(".")[0] if row else ""


def test_on_postgres_a_live_worker_takes_over_a_killed_workers_key_within_5_seconds(
    tmp_path: Path, fake: FakeAttentive, postgres_url: str
) -> None:
    relay = RelayProcesses(tmp_path, postgres_url, fake.url)
    relay.set_up(GOOD_KEY)
    relay.start_web()
    relay.start_workers(2, holders=["worker0", "worker1"])
    try:
        relay.send_events([shipped_event(index) for index in range(EVENTS)])
        assert wait_until(lambda: _key_holder(postgres_url), timeout=60, interval=0.05)
        holder = _key_holder(postgres_url)
        took = _stop_and_time_the_takeover(fake, lambda: relay.kill_worker(int(holder[-1])))
        assert _key_holder(postgres_url) not in ("", holder), "the live worker holds the key"
        _assert_each_event_arrived_and_only_unanswered_ones_twice(relay, fake)
    finally:
        relay.stop()
    sys.stderr.write(f"deliveries resumed {took:.1f} s after the worker holding the key was killed\n")
    assert took < TAKEOVER_GOAL_SECONDS, f"deliveries resumed {took:.1f} s after"


def test_a_supervised_worker_told_to_stop_mid_burst_records_what_it_sent_and_sends_nothing_twice(
    tmp_path: Path,
) -> None:
    # Outside test: with answers taking 0.5 s, the stopping worker fell silent at once, its supervisor
    # took it for hung 1.5 s later, killed it and sent what it had on the wire again (4-14 a key).
    slow = FakeAttentive(latency=0.5).start()
    relay = RelayProcesses(tmp_path, f"sqlite:///{tmp_path / 'relay.sqlite3'}", slow.url)
    events = 120  # 40 answered before the stop, 80 after it
    try:
        relay.set_up(GOOD_KEY)
        relay.start_web(workers=1)
        assert wait_until(lambda: len(relay.supervised_workers()) == 1, timeout=30)
        (worker,) = relay.supervised_workers()
        relay.send_events([shipped_event(index) for index in range(events)])
        assert wait_until(lambda: len(slow.received) >= 40, timeout=120, interval=0.02)
        os.kill(worker, signal.SIGTERM)
        assert wait_until(lambda: len(slow.event_ids()) >= events, timeout=240), len(slow.event_ids())
        wait_until(lambda: False, timeout=2)  # time for a resend, were there one
        assert relay.counts()["statuses"] == {"delivered": events}
        assert max(slow.event_ids().values()) == 1
    finally:
        relay.stop()
        slow.stop()


@pytest.mark.parametrize("presses", [1, 2], ids=["once", "twice"])
def test_ctrl_c_on_serve_mid_burst_stops_its_worker_in_order_recording_what_was_on_the_wire(
    tmp_path: Path, presses: int
) -> None:
    # Outside tests: a Ctrl-C reached the worker as well as serve, and serve's SIGTERM that followed
    # forced the worker out at once: its 16 requests on the wire were sent again after the restart.
    # Then a second Ctrl-C 0.6 s after the first did the same (serve left, the worker stopped at once).
    slow = FakeAttentive(latency=0.5 if presses == 1 else 3.0).start()
    relay = RelayProcesses(tmp_path, f"sqlite:///{tmp_path / 'relay.sqlite3'}", slow.url)
    try:
        relay.set_up(GOOD_KEY)
        relay.start_web(workers=1, own_group=True)
        assert wait_until(lambda: len(relay.supervised_workers()) == 1, timeout=30)
        relay.send_events([shipped_event(index) for index in range(300)])
        assert wait_until(lambda: len(slow.received) >= 40, timeout=120, interval=0.02)
        os.killpg(relay.web.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
        if presses == 2:
            time.sleep(0.6)
            os.killpg(relay.web.pid, signal.SIGINT)
        relay.web.wait(timeout=30)
        counts = relay.counts()
        assert "sending" not in counts["statuses"]  # every request that left was answered and recorded
        assert counts["lost_attempts"] == 0
        assert counts["statuses"]["delivered"] == len(slow.event_ids())
        assert max(slow.event_ids().values()) == 1
        (log,) = tmp_path.glob("serve-*.log")
        assert "Relay stopped: its web processes and workers have ended." in log.read_text()
    finally:
        relay.stop()
        slow.stop()


def test_a_worker_on_its_own_told_twice_to_stop_still_records_what_was_on_the_wire(tmp_path: Path) -> None:
    # Outside test: django-tasks' handler made a second signal force the worker out ("press Ctrl+C again
    # to force") while its answers on the wire were being recorded: they went out again after the restart.
    slow = FakeAttentive(latency=3.0).start()
    relay = RelayProcesses(tmp_path, f"sqlite:///{tmp_path / 'relay.sqlite3'}", slow.url)
    try:
        relay.set_up(GOOD_KEY)
        relay.start_web()
        relay.start_workers(1)
        # Answers take 3 s: 16 answered, the next 16 (RELAY_SEND_CONCURRENCY) on the wire at the signals, 8 after.
        relay.send_events([shipped_event(index) for index in range(40)])
        assert wait_until(lambda: len(slow.received) >= 16, timeout=120, interval=0.02)
        relay.workers[0].send_signal(signal.SIGTERM)
        time.sleep(0.6)
        relay.workers[0].send_signal(signal.SIGTERM)
        relay.workers[0].wait(timeout=30)
        counts = relay.counts()
        assert "sending" not in counts["statuses"]
        assert counts["lost_attempts"] == 0
        relay.start_workers(1)
        assert wait_until(lambda: len(slow.event_ids()) >= 40, timeout=240), len(slow.event_ids())
        wait_until(lambda: False, timeout=2)  # time for a resend, were there one
        assert max(slow.event_ids().values()) == 1
    finally:
        relay.stop()
        slow.stop()

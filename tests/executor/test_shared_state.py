"""What the web processes of one serve run share: its directory, named before prometheus-client is
imported, and turns that one holder at a time takes."""

import os
import subprocess
import sys
import threading
import time

import pytest

from executor import shared_state


def test_the_run_cannot_be_shared_once_prometheus_client_is_imported() -> None:
    import prometheus_client  # noqa: F401  (the test process has imported it: its mode is chosen)

    with pytest.raises(RuntimeError):
        shared_state.share_between_processes()


def test_a_turn_of_a_run_waits_while_another_holder_has_it(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(shared_state.RUN_DIRECTORY, str(tmp_path))
    # Two handles of the run's lock file, as two processes would hold.
    holder, waiter = shared_state.Turns("lock"), shared_state.Turns("lock")
    order: list[str] = []

    def wait_for_the_turn() -> None:
        with waiter.turn():
            order.append("waiter")

    thread = threading.Thread(target=wait_for_the_turn)
    with holder.turn():
        thread.start()
        time.sleep(0.3)
        order.append("holder done")
    thread.join(10)
    assert order == ["holder done", "waiter"]


def test_outside_a_run_a_turn_is_this_processes_own(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv(shared_state.RUN_DIRECTORY, raising=False)
    with shared_state.Turns("lock").turn():
        assert shared_state.run_file("lock") == ""


def test_a_holder_done_with_its_turn_waits_for_the_one_that_was_waiting(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(shared_state.RUN_DIRECTORY, str(tmp_path))
    holder, waiter = shared_state.Turns("lock"), shared_state.Turns("lock")
    order: list[str] = []

    def wait_for_the_turn() -> None:
        with waiter.turn():
            order.append("waiter")
            time.sleep(0.1)

    thread = threading.Thread(target=wait_for_the_turn)
    with holder.turn():
        thread.start()
        time.sleep(0.3)  # the waiter is waiting
    with holder.turn():  # at once: the holder is running, the waiter only woken
        order.append("holder again")
    thread.join(10)
    assert order == ["waiter", "holder again"]


def test_the_directory_of_a_run_whose_serve_was_killed_is_removed_by_the_next_and_no_other(tmp_path) -> None:
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    dead, alive = tmp_path / f"relay-run-{ended.pid}-abc", tmp_path / f"relay-run-{os.getpid()}-def"
    dead.mkdir()
    alive.mkdir()
    shared_state.forget_dead_runs(tmp_path)
    assert (dead.exists(), alive.exists()) == (False, True)

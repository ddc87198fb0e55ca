"""executor.runtime: what this process remembers lives in one object, and reset() forgets all of it
in place, so every module that imported it sees the clean slate."""

import pytest

from config.logging_filters import scrub
from executor import router_thread, sending, wakeups
from executor.group_commit import GroupCommitter
from executor.runtime import new_holder_id, runtime


class _Client:
    closed = False

    def close(self) -> None:
        self.closed = True


@pytest.mark.django_db
def test_reset_forgets_which_signal_rows_exist() -> None:
    wakeups.kick(wakeups.ROUTE)
    assert wakeups.ROUTE in runtime.known_signals
    runtime.reset()
    assert runtime.known_signals == set()


def test_reset_lifts_the_stop_flags_of_the_senders_and_the_router() -> None:
    sending.stop_senders(timeout=0)
    router_thread.stop(timeout=0)
    runtime.reset()
    assert not runtime.senders_stopping.is_set()
    assert not runtime.router_stopping.is_set()


def test_reset_closes_and_forgets_the_clients_and_pacers() -> None:
    client = runtime.clients[(1, "fingerprint")] = _Client()
    runtime.pacers[("key", "/v1/events/custom")] = object()
    runtime.reset()
    assert client.closed
    assert (runtime.clients, runtime.pacers) == ({}, {})


def test_reset_forgets_the_threads_wakeups_and_the_committer() -> None:
    committer = runtime.committer
    runtime.sending_for["key"] = object()
    runtime.router = router_thread.Router()
    wakeups.set_holder_id("oldholder123")
    runtime.reset()
    assert (runtime.senders, runtime.sender_thread, runtime.sending_for, runtime.router) == (None, None, {}, None)
    assert wakeups.holder_id() != "oldholder123"
    assert isinstance(runtime.committer, GroupCommitter)
    assert runtime.committer is not committer


def test_every_module_reads_the_one_runtime() -> None:
    assert sending.runtime is router_thread.runtime is wakeups.runtime is runtime


def test_a_worker_id_stays_whole_in_a_log_line() -> None:
    # Outside test: serve logged "Worker 98ae[number]b stopped beating" (a hex id's run of digits was
    # masked as a possible phone), which matched no worker.
    for _ in range(2000):
        holder = new_holder_id()
        assert len(holder) == 12
        assert scrub(f"Worker {holder} stopped beating: killed it") == f"Worker {holder} stopped beating: killed it"


def test_a_process_takes_its_leases_under_a_new_worker_id_of_its_own() -> None:
    runtime.reset()
    first = wakeups.holder_id()
    runtime.reset()
    assert wakeups.holder_id() != first
    assert first.isalpha()

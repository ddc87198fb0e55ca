"""What a long-running process does once started."""

import gc
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.process import WORKER_SWITCH_INTERVAL_SECONDS, freeze_startup_objects

ROOT = Path(__file__).resolve().parent.parent.parent

# Starts twelve threads that each hold memory from malloc at the same time, then has glibc print
# one "Arena N:" block per arena it made.
_ARENAS_SCRIPT = """
import ctypes, sys, threading
from core.process import limit_malloc_arenas
if sys.argv[1] == "limited":
    assert limit_malloc_arenas()
all_in = threading.Barrier(12)
def hold():
    block = bytearray(100_000)  # under the mmap threshold: from the thread's arena
    all_in.wait()
    all_in.wait()
threads = [threading.Thread(target=hold) for _ in range(12)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
ctypes.CDLL(None).malloc_stats()
"""


def test_objects_alive_at_startup_are_left_out_of_full_collections() -> None:
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def _arenas(mode: str) -> int:
    env = {name: value for name, value in os.environ.items() if name != "MALLOC_ARENA_MAX"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _ARENAS_SCRIPT, mode], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return result.stderr.count("Arena ")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_the_threads_of_a_long_running_process_share_two_malloc_arenas() -> None:
    assert _arenas("default") > 2, "by default glibc gives threads arenas of their own"
    assert _arenas("limited") <= 2


class _Started(Exception):
    """Stops a command's handle() where it limits the arenas, before its threads (it would go on to serve)."""


@pytest.mark.parametrize(
    ("name", "listen_fd"), [("serve", []), ("serve", [0]), ("worker", [])], ids=["serve", "web process", "worker"]
)
def test_the_web_and_worker_commands_limit_the_arenas_before_they_start_threads(
    name: str, listen_fd: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    command = importlib.import_module(f"executor.management.commands.{name}")

    def limited() -> bool:
        raise _Started

    monkeypatch.setattr(command, "freeze_startup_objects", lambda: None)
    monkeypatch.setattr(command, "limit_malloc_arenas", limited)
    with pytest.raises(_Started):
        # A web process that serve started (--listen-fd) as well as serve itself.
        command.Command().handle(workers=0, threads=1, host="127.0.0.1", port=0, go_fd=None, listen_fd=listen_fd)


def test_the_worker_lets_a_thread_keep_the_gil_20_ms_before_it_starts_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    command = importlib.import_module("executor.management.commands.worker")
    monkeypatch.setattr(command, "freeze_startup_objects", lambda: None)
    monkeypatch.setattr(command, "limit_malloc_arenas", lambda: True)
    lengthen = command.lengthen_gil_switches

    def lengthened() -> None:
        lengthen()
        raise _Started

    monkeypatch.setattr(command, "lengthen_gil_switches", lengthened)
    monkeypatch.setattr(command.threading, "Thread", _never_started)
    before = sys.getswitchinterval()
    try:
        with pytest.raises(_Started):
            command.Command().handle(go_fd=None, interval=None, holder=None, beat_fd=None, no_sweep=True)
        assert sys.getswitchinterval() == pytest.approx(WORKER_SWITCH_INTERVAL_SECONDS) != before
    finally:
        sys.setswitchinterval(before)


def _never_started(*args, **kwargs):
    raise AssertionError("the worker started a thread before it lengthened the GIL's switch interval")

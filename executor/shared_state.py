"""What the web processes of one `manage.py serve` run share: a fresh directory, named to each of them
in their environment, holding prometheus-client's multiprocess files (the ingest counters of every web
process, summed at each scrape: executor.metrics), the browser sources' rate-limit table
(executor.sources.RateLimiter) and the lock file of the ingest committers' turns (executor.group_commit).
A process started without it keeps all of them in its own memory.
"""

import contextlib
import fcntl
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

RUN_DIRECTORY = "RELAY_RUN_DIRECTORY"
# prometheus-client reads this when it is imported: set it before (it chooses its value class then).
METRICS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"


def share_between_processes() -> Path:
    """Create this run's directory and name it in the environment of this process and of every
    process it starts from now; return it (remove it with `forget`)."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its multiprocess directory was set")
    forget_dead_runs()
    run = Path(tempfile.mkdtemp(prefix=f"relay-run-{os.getpid()}-"))
    (run / "metrics").mkdir()
    os.environ[RUN_DIRECTORY] = str(run)
    os.environ[METRICS_DIRECTORY] = str(run / "metrics")
    return run


def forget(run: Path) -> None:
    """Remove the run's directory once every process that shared it has ended."""
    shutil.rmtree(run, ignore_errors=True)


def forget_dead_runs(parent: Path | None = None) -> None:
    """Remove the directories of runs whose serve has ended without removing its own (killed)."""
    for run in Path(parent or tempfile.gettempdir()).glob("relay-run-*-*"):
        pid = run.name.split("-")[2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(run, ignore_errors=True)


def metrics_directory() -> str:
    return os.environ.get(METRICS_DIRECTORY, "")


def run_file(name: str) -> str:
    """The path of `name` in this run's directory ("" when this process is no serve run's)."""
    directory = os.environ.get(RUN_DIRECTORY, "")
    return str(Path(directory) / name) if directory else ""


class Turns:
    """One holder at a time among the processes of a run (lock files, flock; among the threads of
    this process too), or of this process alone outside a run. A process waits for its turn in the
    kernel, not sleeping between tries, and one waiting goes before the holder takes another turn.

    With one lock, the holder, already running, took it back the moment it let go, before the kernel
    had run the waiting process it woke: on a loaded machine one web process's committer kept the
    turn and the other's requests waited (90% of the web CPU went to one process in a bench run).
    Here a turn is taken through a door: the one waiting for the turn holds the door, so the
    holder, done, waits at the door until the other has taken the turn.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()  # a file lock is held per process: the threads take this first
        self._files: tuple[int, int] | None = None  # the door, the turn

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        with self._lock:
            if self._files is None:
                path = run_file(self._name)
                if not path:
                    yield
                    return
                flags = os.O_RDWR | os.O_CREAT
                self._files = (os.open(f"{path}.door", flags, 0o600), os.open(path, flags, 0o600))
            door, turn = self._files
            fcntl.flock(door, fcntl.LOCK_EX)
            try:
                fcntl.flock(turn, fcntl.LOCK_EX)
            finally:
                fcntl.flock(door, fcntl.LOCK_UN)
            try:
                yield
            finally:
                fcntl.flock(turn, fcntl.LOCK_UN)

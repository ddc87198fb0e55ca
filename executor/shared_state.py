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
    run = Path(tempfile.mkdtemp(prefix="relay-run-"))
    (run / "metrics").mkdir()
    os.environ[RUN_DIRECTORY] = str(run)
    os.environ[METRICS_DIRECTORY] = str(run / "metrics")
    return run


def forget(run: Path) -> None:
    """Remove the run's directory once every process that shared it has ended."""
    shutil.rmtree(run, ignore_errors=True)


def metrics_directory() -> str:
    return os.environ.get(METRICS_DIRECTORY, "")


def run_file(name: str) -> str:
    """The path of `name` in this run's directory ("" when this process is no serve run's)."""
    directory = os.environ.get(RUN_DIRECTORY, "")
    return str(Path(directory) / name) if directory else ""


class Turns:
    """One holder at a time among the processes of a run (a lock file, flock; among the threads of
    this process too), or of this process alone outside a run. A process waits for its turn in the
    kernel, not sleeping between tries."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()  # a file lock is held per process: the threads take this first
        self._file = -1

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        with self._lock:
            if self._file < 0:
                path = run_file(self._name)
                if not path:
                    yield
                    return
                self._file = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._file, fcntl.LOCK_UN)

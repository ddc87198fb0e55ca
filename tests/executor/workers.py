"""Run Relay as real processes (web + workers) against a fresh database, for end-to-end tests and benchmarks."""

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.fake_attentive import FakeAttentive
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]

SETUP_SCRIPT = """
from destinations.attentive import ATTENTIVE
from destinations.models import Destination
from executor.models import WriteKey
from mapper.models import Action
preset = ATTENTIVE.action("custom_event").preset("order_shipped")
for index, api_key in enumerate({api_keys!r}):
    destination = Destination(name="Brand" if index == 0 else f"Brand {{index}}")
    destination.set_api_key(api_key)
    destination.save()
    Action.objects.create(destination=destination, action_type="custom_event", name=preset.name,
                          trigger=preset.trigger, mappings=dict(preset.mappings))
print(WriteKey.issue("e2e")[1])
"""

COUNT_SCRIPT = """
import json
from django.db.models import Count
from django_tasks_db.models import DBTaskResult
from executor.models import Delivery, DeliveryAttempt
print(json.dumps({
    "statuses": dict(Delivery.objects.values_list("status").annotate(n=Count("id"))),
    "route_tasks": DBTaskResult.objects.filter(task_path="executor.tasks.route_pending").count(),
    "lost_attempts": DeliveryAttempt.objects.filter(outcome="lost").count(),
    "recovered_event_ids": sorted(
        d.payload["externalEventId"]
        for d in Delivery.objects.filter(attempts__outcome="lost").distinct()
    ),
}))
"""


def postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


class RelayProcesses:
    """A Relay install in `data_dir` on `database_url`, driven through its real commands."""

    def __init__(self, data_dir: Path, database_url: str, attentive_url: str, **settings: Any) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "RELAY_DATA_DIR": str(data_dir),
            # Production settings, but for plain http to the local fake Attentive.
            "DEBUG": "0",
            "RELAY_ALLOW_PLAIN_HTTP_ATTENTIVE": "1",
            "ATTENTIVE_API_URL": attentive_url,
            "LOG_LEVEL": "WARNING",
            # Shared by every process of this install, as scaled-out hosts must share them.
            "SECRET_KEY": secrets.token_urlsafe(50),
            "RELAY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            **{name: str(value) for name, value in settings.items()},
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.data_dir = data_dir
        self.workers: list[subprocess.Popen] = []
        self.web: subprocess.Popen | None = None
        self.port = free_port()
        self.write_key = ""

    def manage(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(  # noqa: S603
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def set_up(self, *api_keys: str) -> None:
        """Migrate, then a destination per API key, each with an Order Shipped action, and a write key."""
        self.manage("migrate", "--no-input")
        self.write_key = self.manage("shell", "-c", SETUP_SCRIPT.format(api_keys=api_keys)).strip().splitlines()[-1]

    def start_web(
        self, workers: int = 0, web_processes: int = 1, *, own_group: bool = False, sigint_ignored: bool = False
    ) -> None:
        """The web server, with `workers` workers under its supervisor (manage.py serve), in
        `web_processes` processes serving the port; with `own_group`, in a process group of its own,
        as a terminal runs it (a Ctrl-C is a SIGINT to the group); with `sigint_ignored`, started with
        SIGINT ignored, as a shell starts a background job."""
        self.web = self._spawn(
            "serve",
            *("--port", str(self.port), "--workers", str(workers), "--threads", "8"),
            *("--web-processes", str(web_processes)),
            own_group=own_group,
            sigint_ignored=sigint_ignored,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/login/", timeout=5)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()  # its workers with it, or they would outlive the test
        raise RuntimeError("the web process did not start")

    def start_workers(self, count: int, holders: list[str] | None = None) -> None:
        """`count` workers on their own (no supervisor), taking lease tokens under `holders`."""
        for index in range(count):
            holder = ("--holder", holders[index]) if holders else ()
            self.workers.append(self._spawn("worker", *holder))

    def supervised_workers(self) -> list[int]:
        """The pids of the workers the web process's supervisor runs (not its spare, which waits
        for its go in its one thread)."""
        return [pid for pid in self._children() if _threads(pid) > 1 and "worker" in _command_line(pid)]

    def spare_workers(self) -> list[int]:
        """The pids of the spare workers waiting for their go (one thread; a zombie has no command line)."""
        return [pid for pid in self._children() if _threads(pid) == 1 and "worker" in _command_line(pid)]

    def web_processes(self) -> list[int]:
        """The pids of every web process serving the port: serve's own first, then those it started."""
        assert self.web is not None
        return [self.web.pid, *(pid for pid in self._children() if "--listen-fd" in _command_line(pid))]

    def _children(self) -> list[int]:
        assert self.web is not None
        children = []
        for task in Path(f"/proc/{self.web.pid}/task").iterdir():
            children += [int(pid) for pid in (task / "children").read_text().split()]
        return children

    def kill_worker(self, index: int = 0) -> None:
        self.workers[index].send_signal(signal.SIGKILL)
        self.workers[index].wait()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def send_events(self, events: list[dict[str, Any]], batch: int = 500) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {self.write_key}"}, timeout=60) as client:
            for start in range(0, len(events), batch):
                response = client.post(f"{self.url}/api/v1/events", json=events[start : start + batch])
                response.raise_for_status()
                if response.json()["rejected"]:
                    raise RuntimeError(response.text)

    def counts(self) -> dict[str, Any]:
        return json.loads(self.manage("shell", "-c", COUNT_SCRIPT).strip().splitlines()[-1])

    def stop(self) -> None:
        for process in [*self.workers, self.web]:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in [*self.workers, self.web]:
            if process is not None:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()

    def _spawn(self, *args: str, own_group: bool = False, sigint_ignored: bool = False) -> subprocess.Popen:
        log = (self.data_dir / f"{args[0]}-{len(self.workers)}-{time.monotonic_ns()}.log").open("w")
        return subprocess.Popen(  # noqa: S603
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0 if own_group else None,
            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None,
        )


def _command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().split("\0")
    except FileNotFoundError:
        return []


def _threads(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))


def create_postgres_database() -> tuple[str, str]:
    """Create an empty database on the local PostgreSQL; return (name, URL)."""
    import psycopg

    name = f"{os.environ.get('RELAY_TEST_DATABASE_PREFIX', 'relay_test_')}{secrets.token_hex(4)}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return name, f"postgres://postgres@127.0.0.1:5432/{name}"


def drop_postgres_database(name: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_until(condition: Any, timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


# The fixtures of the process tests (imported by each module that uses them).
@pytest.fixture
def fake() -> Iterator[FakeAttentive]:
    """A fake Attentive answering in 20 ms, that the processes are pointed at (by URL, not by settings)."""
    server = FakeAttentive(latency=0.02).start()
    yield server
    server.stop()


@contextlib.contextmanager
def migrated_postgres(directory: Path) -> Iterator[RelayProcesses]:
    """Relay's processes on a new, migrated PostgreSQL database (dropped after), for `manage.py shell` runs."""
    name, url = create_postgres_database()
    processes = RelayProcesses(directory, url, "http://127.0.0.1:9")
    try:
        processes.manage("migrate", "--no-input")
        yield processes
    finally:
        drop_postgres_database(name)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new empty database on the local PostgreSQL, dropped after the test; the test is skipped without one."""
    if not postgres_available():
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    name, url = create_postgres_database()
    yield url
    drop_postgres_database(name)

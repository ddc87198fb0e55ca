"""Run the product on one machine: the web server and the task workers, supervised together."""

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import get_resolver

from config import web_server
from config.wsgi import application
from core.process import freeze_startup_objects

RESTART_DELAY_SECONDS = 2.0


class Command(BaseCommand):
    help = "Serve the web app (waitress) and run task workers (manage.py worker), restarting workers that die."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8, help="Web server threads.")
        parser.add_argument("--workers", type=int, default=1, help="Task worker processes (0 for none).")

    def handle(self, *args: object, **options: object) -> None:
        get_resolver().check()  # imports every view now, so that they are frozen with the rest
        freeze_startup_objects()
        supervisor = _WorkerSupervisor(int(options["workers"]))
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        supervisor.start()
        self.stdout.write(f"Relay on http://{options['host']}:{options['port']}/ with {supervisor.count} worker(s)")
        try:
            # A request line or headers over 32 KB are refused (414, 431) before Django sees them.
            web_server.create(application, host=options["host"], port=options["port"], threads=options["threads"]).run()
        finally:
            supervisor.stop()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


class _WorkerSupervisor:
    """Keeps `count` worker processes alive until stopped."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._processes: list[subprocess.Popen] = []
        self._stopping = threading.Event()
        self._command = [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "worker",
        ]

    def start(self) -> None:
        self._processes = [subprocess.Popen(self._command) for _ in range(self.count)]  # noqa: S603
        threading.Thread(target=self._watch, daemon=True, name="worker-supervisor").start()

    def _watch(self) -> None:
        while not self._stopping.wait(RESTART_DELAY_SECONDS):
            for index, process in enumerate(self._processes):
                if process.poll() is not None and not self._stopping.is_set():
                    self._processes[index] = subprocess.Popen(self._command)  # noqa: S603

    def stop(self) -> None:
        self._stopping.set()
        for process in self._processes:
            process.terminate()
        deadline = time.monotonic() + 10
        for process in self._processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()

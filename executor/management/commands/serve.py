"""Run the product on one machine: the web server and the task workers, supervised together."""

import contextlib
import logging
import os
import secrets
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.urls import get_resolver

from config import web_server
from config.wsgi import application
from core.process import freeze_startup_objects, limit_malloc_arenas

logger = logging.getLogger(__name__)

# A worker that ended sooner than this after it started is restarted no sooner than this.
RESTART_DELAY_SECONDS = 2.0
# How often the supervisor looks at its workers' beats and exits.
CHECK_SECONDS = 0.1
# A new worker that has not beaten after this long is taken for hung and started again.
STARTUP_SECONDS = 60.0


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
        limit_malloc_arenas()
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


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen
    holder: str
    beats: int  # the read end of the pipe it beats on
    go: int  # the write end of the pipe it waits on before it starts working
    started_at: float
    last_beat: float | None = None
    ended: bool = False

    def start_working(self) -> "_Worker":
        os.write(self.go, b"g")
        os.close(self.go)
        self.started_at = time.monotonic()
        return self


class _WorkerSupervisor:
    """Keeps `count` worker processes alive until stopped.

    Each worker beats (a byte on a pipe, every 0.25 s, manage.py worker --beat-fd). One that
    exits, or stops beating for RELAY_WORKER_STALL_SECONDS (SIGSTOP, a hang), is killed, what it
    held is freed at once (its key leases, its claims: sent again with the same
    externalEventId), and a new worker is started in its place, which takes its keys over.

    The new worker is already running: a spare, started beside the workers, has imported
    everything and waits for its go (manage.py worker --go-fd). Starting a worker from nothing
    took 1.5 s on an idle machine and 6 s on a loaded one; the spare takes a key over within a
    second of its go. A new spare is then started for the next time.
    """

    def __init__(self, count: int) -> None:
        self.count = count
        self._workers: list[_Worker] = []
        self._spare: _Worker | None = None
        self._stopping = threading.Event()
        self._command = [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "worker",
        ]

    def start(self) -> None:
        self._workers = [self._spawn().start_working() for _ in range(self.count)]
        if self.count:
            self._spare = self._spawn()
        threading.Thread(target=self._watch, daemon=True, name="worker-supervisor").start()

    def _spawn(self) -> _Worker:
        holder = secrets.token_hex(6)
        beats, beat_fd = os.pipe()
        go_fd, go = os.pipe()
        process = subprocess.Popen(  # noqa: S603
            [*self._command, "--holder", holder, "--beat-fd", str(beat_fd), "--go-fd", str(go_fd)],
            pass_fds=(beat_fd, go_fd),
        )
        os.close(beat_fd)
        os.close(go_fd)
        os.set_blocking(beats, False)
        return _Worker(process, holder, beats, go, time.monotonic())

    def _replacement(self) -> _Worker:
        """The spare, told to start working (a new spare takes its place), or a new worker."""
        spare, self._spare = self._spare, self._spawn()
        if spare is None or spare.process.poll() is not None:
            if spare is not None:
                os.close(spare.beats)
                os.close(spare.go)
            spare = self._spawn()
        return spare.start_working()

    def _watch(self) -> None:
        while not self._stopping.is_set():
            beating = [worker.beats for worker in self._workers if not worker.ended]
            readable, _, _ = select.select(beating, [], [], CHECK_SECONDS)
            now = time.monotonic()
            for index, worker in enumerate(self._workers):
                if worker.beats in readable:
                    with contextlib.suppress(BlockingIOError):
                        if os.read(worker.beats, 4096):
                            worker.last_beat = now
                if self._stopping.is_set():
                    return
                if worker.process.poll() is None and not self._stalled(worker, now):
                    continue
                if not worker.ended:
                    if worker.process.poll() is None:
                        logger.warning("Worker %s stopped beating: restarting it", worker.holder)
                        worker.process.kill()
                    else:
                        logger.warning("Worker %s exited (%s): restarting it", worker.holder, worker.process.returncode)
                    worker.process.wait()
                    os.close(worker.beats)
                    worker.ended = True
                    _free(worker.holder)
                if self._stopping.is_set():
                    return
                if now - worker.started_at < RESTART_DELAY_SECONDS:
                    continue  # it ended as soon as it started (a broken setup): no tight restart loop
                self._workers[index] = self._replacement()

    @staticmethod
    def _stalled(worker: _Worker, now: float) -> bool:
        if worker.last_beat is None:  # still starting (importing Django takes a second or more)
            return now - worker.started_at > STARTUP_SECONDS
        return now - worker.last_beat > settings.RELAY_WORKER_STALL_SECONDS

    def stop(self) -> None:
        self._stopping.set()
        everyone = [*self._workers, *([self._spare] if self._spare is not None else [])]
        for worker in everyone:
            worker.process.terminate()
        deadline = time.monotonic() + 10
        for worker in everyone:
            try:
                worker.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()


def _free(holder: str) -> None:
    """Free what a dead worker held, now that it is certainly dead: its key leases and its claims
    (their requests may have left: they go again with the same externalEventId)."""
    from executor import lifecycle, wakeups

    try:
        recovered = lifecycle.recover_claims_of_holder(holder)
        wakeups.release_leases_of_holder(holder)
        if recovered:
            logger.warning("Took back %d deliveries the dead worker had claimed", recovered)
    except Exception as error:
        # Its leases then expire as usual and recovery takes its claims back then.
        logger.error("Could not free what the dead worker held (%s)", type(error).__name__)
    finally:
        connection.close()

"""Run the product on one machine: the web server and the task workers, supervised together."""

import argparse
import contextlib
import logging
import os
import select
import signal
import socket
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
from core.process import UNUSED_BY_THE_WEB, freeze_startup_objects, leave_out, limit_malloc_arenas
from executor import shared_state
from executor.runtime import new_holder_id

logger = logging.getLogger(__name__)

# A worker that ended sooner than this after it started is restarted no sooner than this.
RESTART_DELAY_SECONDS = 2.0
# How often the supervisor looks at its workers' beats and exits.
CHECK_SECONDS = 0.1
# A new worker that has not beaten after this long is taken for hung and started again.
STARTUP_SECONDS = 60.0


class Command(BaseCommand):
    help = (
        "Serve the web app (waitress, in --web-processes processes) and run task workers (manage.py worker),"
        " restarting web processes and workers that die."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8, help="Web server threads (of each web process).")
        parser.add_argument("--workers", type=int, default=1, help="Task worker processes (0 for none).")
        parser.add_argument(
            "--web-processes",
            type=int,
            default=1,
            help="Web processes serving the port: this one and N-1 more, restarted if they die (docs/executor.md).",
        )
        # A web process started by serve: the listening sockets it inherited, and the pipe whose end
        # tells it that its serve has gone.
        parser.add_argument("--listen-fd", type=int, action="append", default=[], help=argparse.SUPPRESS)
        parser.add_argument("--lifeline-fd", type=int, default=None, help=argparse.SUPPRESS)
        parser.add_argument("--web-slot", type=int, default=0, help=argparse.SUPPRESS)

    def execute(self, *args: object, **options: object) -> object:
        # Before the system checks import every view, and DRF with them.
        leave_out(UNUSED_BY_THE_WEB)
        # Before anything imports prometheus_client: the system checks import every view. A web
        # process started by serve inherits its serve's run (its environment).
        self._run = None if options.get("listen_fd") else shared_state.share_between_processes()
        try:
            return super().execute(*args, **options)
        finally:
            if self._run is not None:
                shared_state.forget(self._run)

    def handle(self, *args: object, **options: object) -> None:
        if options.get("listen_fd"):
            _serve_inherited(
                options["listen_fd"],
                options.get("lifeline_fd"),
                int(options["threads"]),
                _shares(int(options.get("web_slot", 0)), int(options.get("web_processes", 1))),
            )
            return
        get_resolver().check()  # imports every view now, so that they are frozen with the rest
        freeze_startup_objects()
        limit_malloc_arenas()
        supervisor = _WorkerSupervisor(int(options["workers"]))
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        # Started with SIGINT ignored (by a shell's background job, say), Python leaves it ignored and
        # Ctrl-C did nothing at all: Relay went on sending.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        web_processes = None
        supervisor.start()
        try:
            # A request line or headers over 32 KB are refused (414, 431) before Django sees them.
            count = int(options.get("web_processes", 1))
            server = web_server.create(
                application,
                shares=_shares(0, count),
                host=options["host"],
                port=options["port"],
                threads=options["threads"],
            )
            web_processes = _WebSupervisor(count, server.listening, int(options["threads"]), _shares(0, count))
            web_processes.start()
            self.stdout.write(
                f"Relay on http://{options['host']}:{options['port']}/ with {count} web process(es)"
                f" and {supervisor.count} worker(s)"
            )
            server.run()
        finally:
            # A second Ctrl-C (or SIGTERM) while the workers record what was on the wire would cut
            # that short: serve left them running on their own, and its pipe's end made each stop
            # at once (answers on the wire never recorded, sent again after the restart).
            for stopping in (signal.SIGINT, signal.SIGTERM):
                signal.signal(stopping, self._still_stopping)
            self.stdout.write(
                "Relay stops: the workers record the answers of their requests on the wire first (at most 15 s)"
            )
            if web_processes is not None:
                web_processes.stop()
            supervisor.stop()
            self.stdout.write("Relay stopped: its web processes and workers have ended.")

    def _still_stopping(self, signum: int, frame: object) -> None:
        self.stdout.write(
            "Relay is still stopping: the workers record the answers of what was on the wire (at most 15 s)"
        )


def _shares(slot: int, processes: int) -> web_server.ConnectionShares | None:
    """The run's table of each web process's connections, when there are several."""
    return web_server.ConnectionShares(shared_state.run_file("connections"), slot, processes) if processes > 1 else None


def _serve_inherited(
    listen_fds: list[int], lifeline_fd: int | None, threads: int, shares: web_server.ConnectionShares | None
) -> None:
    """One more web process of a serve run: serve the sockets it inherited until told to stop (SIGTERM)
    or its serve has gone (the lifeline pipe reads its end)."""
    get_resolver().check()
    freeze_startup_objects()
    limit_malloc_arenas()
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if lifeline_fd is not None:
        threading.Thread(target=_end_with_serve, args=(lifeline_fd,), daemon=True, name="lifeline").start()
    sockets = [socket.socket(fileno=fd) for fd in listen_fds]
    web_server.create(application, shares=shares, sockets=sockets, threads=threads).run()


def _end_with_serve(lifeline_fd: int) -> None:
    # Nothing is ever written: the read ends when the last write end closes, that is when serve ends.
    with contextlib.suppress(OSError):
        os.read(lifeline_fd, 1)
    os.kill(os.getpid(), signal.SIGTERM)


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
    second of its go. A new spare is then started for the next time, and so is one in place of a
    spare that ended or fell silent while it waited (it beats too: killed, crashed, stopped).
    """

    def __init__(self, count: int) -> None:
        self.count = count
        self._workers: list[_Worker] = []
        self._spare: _Worker | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        self._command = [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "worker",
        ]

    def start(self) -> None:
        self._workers = [self._spawn().start_working() for _ in range(self.count)]
        if self.count:
            self._spare = self._spawn()
        self._watcher = threading.Thread(target=self._watch, daemon=True, name="worker-supervisor")
        self._watcher.start()

    def _spawn(self) -> _Worker:
        holder = new_holder_id()
        beats, beat_fd = os.pipe()
        go_fd, go = os.pipe()
        process = subprocess.Popen(  # noqa: S603
            [*self._command, "--holder", holder, "--beat-fd", str(beat_fd), "--go-fd", str(go_fd)],
            pass_fds=(beat_fd, go_fd),
            # Its own process group: a Ctrl-C in the terminal reaches serve alone, which stops the
            # workers in order (stop()). Reaching them too, it made each stop at once on the SIGTERM
            # that followed (a second signal forces a worker out), cutting off what was on the wire.
            process_group=0,
        )
        os.close(beat_fd)
        os.close(go_fd)
        os.set_blocking(beats, False)
        return _Worker(process, holder, beats, go, time.monotonic())

    def _replacement(self, ended: _Worker) -> _Worker:
        """The spare, told to start working in place of `ended` (a new spare takes its place), or a
        new worker when the spare cannot (it ended, or stopped beating)."""
        spare, self._spare = self._spare, self._spawn()
        if spare is not None and spare.process.poll() is None and self._stalled(spare, time.monotonic()):
            spare.process.kill()
            spare.process.wait()
        if spare is None or spare.process.poll() is not None:
            if spare is not None:
                os.close(spare.beats)
                os.close(spare.go)
            spare = self._spawn()
            logger.warning("Worker %s starts in place of worker %s", spare.holder, ended.holder)
        else:
            logger.warning(
                "Worker %s, the spare, works in place of worker %s; spare %s waits",
                spare.holder,
                ended.holder,
                self._spare.holder,
            )
        return spare.start_working()

    def _watch(self) -> None:
        while not self._stopping.is_set():
            beating = [worker.beats for worker in self._workers if not worker.ended]
            spare = self._spare
            if spare is not None:
                beating.append(spare.beats)
            readable, _, _ = select.select(beating, [], [], CHECK_SECONDS)
            now = time.monotonic()
            if spare is not None and spare.beats in readable:
                with contextlib.suppress(BlockingIOError):
                    if os.read(spare.beats, 4096):
                        spare.last_beat = now
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
                        logger.warning("Worker %s stopped beating: killed it", worker.holder)
                        worker.process.kill()
                    else:
                        logger.warning("Worker %s exited (%s)", worker.holder, worker.process.returncode)
                    worker.process.wait()
                    os.close(worker.beats)
                    worker.ended = True
                    _free(worker.holder)
                if self._stopping.is_set():
                    return
                if now - worker.started_at < RESTART_DELAY_SECONDS:
                    continue  # it ended as soon as it started (a broken setup): no tight restart loop
                self._workers[index] = self._replacement(worker)
            self._keep_a_spare(now)

    def _keep_a_spare(self, now: float) -> None:
        """Start a new spare in place of one that ended while it waited (left ended, it was a zombie
        and the next worker to die would have been started from nothing), or stopped beating while
        it waited (SIGSTOP, a hang: given a dead worker's place, it sent nothing until it was found
        stalled, a minute later)."""
        spare = self._spare
        if spare is None or self._stopping.is_set():
            return
        if spare.process.poll() is None:
            if not self._stalled(spare, now):
                return
            spare.process.kill()
            spare.process.wait()
            what = "stopped beating: killed it"
        elif now - spare.started_at < RESTART_DELAY_SECONDS:
            return  # it ended as soon as it started (a broken setup): no tight restart loop
        else:
            what = f"exited ({spare.process.returncode})"
        os.close(spare.beats)
        os.close(spare.go)
        self._spare = self._spawn()
        logger.warning("Spare worker %s %s; spare %s starts in its place", spare.holder, what, self._spare.holder)

    @staticmethod
    def _stalled(worker: _Worker, now: float) -> bool:
        if worker.last_beat is None:  # still starting (importing Django takes a second or more)
            return now - worker.started_at > STARTUP_SECONDS
        return now - worker.last_beat > settings.RELAY_WORKER_STALL_SECONDS

    def stop(self) -> None:
        self._stopping.set()
        if self._watcher is not None:
            # Whatever it starts meanwhile (a replacement, a spare) is then in the list below.
            self._watcher.join(5)
        everyone = [*self._workers, *([self._spare] if self._spare is not None else [])]
        for worker in everyone:
            worker.process.terminate()
        # A worker waits for the answers of what it has on the wire (sending.stop_senders, at most 15 s).
        deadline = time.monotonic() + 20
        for worker in everyone:
            try:
                worker.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()


class _WebSupervisor:
    """Keeps the `processes` - 1 web processes beside this one serving its listening sockets until stopped.

    Each is `manage.py serve` again, started from nothing (spawned: this process already runs
    threads, which a fork would copy in whatever state they were), given the sockets and a lifeline
    pipe. One that exits is started again; its live gauges' files are dropped (its counts stay in the
    sums of /metrics). One whose loop stops turning for RELAY_WEB_STALL_SECONDS (stopped, hung) is
    killed and started again.
    """

    def __init__(
        self,
        processes: int,
        listening: list[socket.socket],
        threads: int,
        shares: web_server.ConnectionShares | None = None,
    ) -> None:
        self._total = processes
        self._shares = shares  # where each process's loop writes the time of its turns
        self.count = max(0, processes - 1)
        self._listening = [sock.fileno() for sock in listening]
        self._threads = threads
        self._processes: list[tuple[subprocess.Popen, float]] = []  # each with when it started
        self._stopping = threading.Event()
        self._lifeline, self._lifeline_held = os.pipe()  # they read the first; this process holds the other

    def start(self) -> None:
        if not self.count:
            return
        self._processes = [(self._spawn(index), time.monotonic()) for index in range(self.count)]
        threading.Thread(target=self._watch, daemon=True, name="web-supervisor").start()

    def _spawn(self, index: int) -> subprocess.Popen:
        sockets = [argument for fd in self._listening for argument in ("--listen-fd", str(fd))]
        # Its slot in the run's table of connections (this process has slot 0), the same when restarted.
        slot = ("--web-slot", str(index + 1), "--web-processes", str(self._total))
        return subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                str(Path(settings.BASE_DIR) / "manage.py"),
                "serve",
                *("--threads", str(self._threads), "--workers", "0", "--lifeline-fd", str(self._lifeline)),
                *sockets,
                *slot,
            ],
            pass_fds=(*self._listening, self._lifeline),
        )

    def _watch(self) -> None:
        from executor import metrics

        while not self._stopping.wait(CHECK_SECONDS):
            for index, (process, started_at) in enumerate(self._processes):
                if self._stopping.is_set():
                    continue
                if process.poll() is None:
                    if self._hung(index + 1, started_at):
                        logger.warning("Web process %s stopped turning its loop: restarting it", process.pid)
                        process.kill()  # the next look finds it ended and starts another
                    continue
                if time.monotonic() - started_at < RESTART_DELAY_SECONDS:
                    continue  # it ended as soon as it started (a broken setup): no tight restart loop
                logger.warning("Web process %s exited (%s): starting another", process.pid, process.returncode)
                metrics.forget_process(process.pid)
                self._processes[index] = (self._spawn(index), time.monotonic())

    def _hung(self, slot: int, started_at: float) -> bool:
        """Whether the web process in `slot` is alive but its loop has not turned (each turn writes its
        time to the run's table of connections) for RELAY_WEB_STALL_SECONDS: stopped (SIGSTOP), hung.
        One still starting (its last turn is from before it started) has STARTUP_SECONDS."""
        if self._shares is None:
            return False
        now, turned = time.monotonic(), self._shares.last_turn(slot)
        if turned < started_at:
            return now - started_at > STARTUP_SECONDS
        return now - turned > settings.RELAY_WEB_STALL_SECONDS

    def stop(self) -> None:
        self._stopping.set()
        for process, _ in self._processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 10
        for process, _ in self._processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        os.close(self._lifeline)
        os.close(self._lifeline_held)


def _free(holder: str) -> None:
    """Free what a dead worker held, now that it is certainly dead: its key leases and its claims
    (their requests may have left: they go again with the same externalEventId)."""
    from executor import health, lifecycle, wakeups

    try:
        recovered = lifecycle.recover_claims_of_holder(holder)
        wakeups.release_leases_of_holder(holder)
        health.forget_worker(holder)
        if recovered:
            logger.warning("Took back %d deliveries the dead worker had claimed", recovered)
    except Exception as error:
        # Its leases then expire as usual and recovery takes its claims back then.
        logger.error("Could not free what the dead worker held (%s)", type(error).__name__)
    finally:
        connection.close()

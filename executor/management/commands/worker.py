"""A task worker that also sweeps for lost work: run one or many, on one or many machines."""

import logging
import os
import select
import signal
import sys
import threading
import time
from typing import Any

from django.conf import settings
from django.core.checks import Tags
from django.core.checks.registry import registry
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.db.models import QuerySet
from django.tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from core.process import freeze_startup_objects, lengthen_gil_switches, limit_malloc_arenas
from executor import erasure, health, recovery, retention, router_thread, sending, wakeups
from executor.tasks import wake_router, wake_sender

logger = logging.getLogger(__name__)

# Between two sweeps, keys whose holder died are looked for this often (executor.recovery.take_over).
TAKEOVER_CHECK_SECONDS = 1.0
# The system checks of these packages are the web's (manage.py worker skips them).
WEB_CHECK_MODULES = ("rest_framework.", "drf_spectacular.")
# A supervised worker writes a byte to its supervisor this often (manage.py serve).
BEAT_SECONDS = 0.25
# A stopping worker waits this long at most for the answers of its requests on the wire.
STOP_SENDERS_SECONDS = 15


class Command(BaseCommand):
    help = "Run tasks (routing, sending) and every few seconds recover work whose worker died."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=float, default=None, help="Seconds between polls when idle.")
        parser.add_argument("--no-sweep", action="store_true", help="Do not run the recovery sweep.")
        parser.add_argument("--holder", default="", help="This worker's id in its lease tokens (from its supervisor).")
        parser.add_argument("--beat-fd", type=int, default=None, help="Write a byte to this fd every 0.25 s.")
        parser.add_argument("--go-fd", type=int, default=None, help="Start working once a byte arrives on this fd.")

    def check(self, *args: Any, **kwargs: Any) -> None:
        """Every system check but those of the web's machinery: Django's URL checks import the URL
        configuration and with it every view, its template checks every template tag library, and
        DRF's the API's classes; with them came DRF and what it pulls in, 25 MB that a worker,
        which serves no request and renders no template, held for nothing. The web process
        (manage.py serve) runs them."""
        web_checks = {check for check in registry.registered_checks if _checks_the_web(check)}
        registry.registered_checks -= web_checks
        try:
            super().check(*args, **kwargs)
        finally:
            registry.registered_checks |= web_checks

    def handle(self, *args: object, **options: object) -> None:
        freeze_startup_objects()
        limit_malloc_arenas()
        lengthen_gil_switches()
        if options["holder"]:
            wakeups.set_holder_id(str(options["holder"]))
        if options["go_fd"] is not None and not _wait_for_go(int(options["go_fd"]), options["beat_fd"]):
            return  # a spare whose supervisor left without needing it
        interval = options["interval"] if options["interval"] is not None else settings.RELAY_WORKER_POLL_SECONDS
        stop = threading.Event()
        # Set last: while the senders wait for answers on the wire, the worker goes on beating, or its
        # supervisor would take it for hung, kill it and send those requests again.
        stopped = threading.Event()
        if options["beat_fd"] is not None:
            threading.Thread(target=_beat, args=(stopped, int(options["beat_fd"])), daemon=True, name="beat").start()
        # One id for the worker everywhere: serve's log lines and `--holder`, its lease tokens, its
        # heartbeat row and django-tasks' record of the tasks it ran.
        worker_id = wakeups.holder_id()
        threading.Thread(
            target=_housekeeping, args=(stop, worker_id, not options["no_sweep"]), daemon=True, name="sweeper"
        ).start()
        worker = Worker(
            queue_names=["default"],
            interval=float(interval),
            # Runs what is ready, then returns: see _run_when_ready.
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        logger.info("Worker %s started", worker_id)
        try:
            _stop_on_signals(worker)
            _run_when_ready(worker, float(interval))
        finally:
            stop.set()
            router_thread.stop()
            sending.stop_senders(STOP_SENDERS_SECONDS)
            stopped.set()


def _stop_on_signals(worker: Worker) -> None:
    """SIGINT, SIGTERM and SIGQUIT stop the worker in order: it takes no more tasks, then the senders record the
    answers of what is on the wire (sending.stop_senders, at most 15 s). A second signal does not cut
    that short, as django-tasks' own handler did ("press Ctrl+C again to force"): answers cut off
    there were never recorded, and their requests went out again after the restart. SIGKILL still
    ends it at once."""

    def stop(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name  # SIGTERM, not "Terminated": serve stops its workers with it
        if not worker.running:
            logger.warning(
                "Worker %s is still stopping (%s): it records the answers of its requests on the wire first",
                worker.worker_id,
                name,
            )
            return
        logger.warning(
            "Worker %s stops (%s): it takes no more tasks, and records the answers of its requests on the wire "
            "first (at most %d s)",
            worker.worker_id,
            name,
            STOP_SENDERS_SECONDS,
        )
        worker.running = False
        if not worker.running_task:
            sys.exit(0)  # out of its sleep between polls, into the orderly stop

    for stopping in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT):
        signal.signal(stopping, stop)


def _checks_the_web(check: Any) -> bool:
    return not {Tags.urls, Tags.templates}.isdisjoint(check.tags) or check.__module__.startswith(WEB_CHECK_MODULES)


def _run_when_ready(worker: Worker, interval: float) -> None:
    """Poll with a read; hand over to django-tasks-db's worker only when a task is ready.

    Its worker looks for a task inside an exclusive transaction, so on SQLite every poll took the
    write lock, 50 times a second per worker with nothing to do, and the writes that mattered
    (ingest, routing, recording answers) waited behind it in SQLite's busy handler, which sleeps
    in growing steps: the tail of ingest-to-delivered latency was mostly those waits.
    """
    waiting = wakeups.Look(
        DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, backend_name=worker.backend_name, queue_name__in=worker.queue_names
        )
    )
    checked_connection = 0.0
    while worker.running:
        if time.monotonic() - checked_connection >= 1.0:
            # Not at every look: with health checks on, PostgreSQL's next query then costs a
            # round trip more (SELECT 1).
            close_old_connections()
            checked_connection = time.monotonic()
        # A compiled look first (50 a second: the ORM's "ready" query cost 0.9 ms of CPU each); then,
        # built each time, as "ready" compares run_after with the time the query is built, whether
        # one of them is due (a task scheduled for later waits in READY too).
        if waiting() and _ready(worker).exists():
            worker.run()
        else:
            time.sleep(interval)


def _beat(stop: threading.Event, fd: int) -> None:
    """Tell the supervisor this process runs: a thread of its own, so a slow sweep or a locked
    database never looks like a stopped worker; a stopped or killed one falls silent at once."""
    os.set_blocking(fd, False)
    while not stop.wait(BEAT_SECONDS):
        try:
            os.write(fd, b".")
        except BlockingIOError:
            pass  # the supervisor is behind: the beats it has not read are beats enough
        except BrokenPipeError:
            # The supervisor is gone (killed): a supervised worker ends with it, gracefully,
            # rather than run on beside the workers of the next supervisor.
            os.kill(os.getpid(), signal.SIGTERM)
            return


def _wait_for_go(go_fd: int, beat_fd: int | None) -> bool:
    """A spare waits for its go (True) or for its supervisor to leave (False), beating meanwhile
    from this one thread: a spare stopped or hung while it waits is seen as such by its supervisor,
    which starts another, instead of handing a dead worker's place to a spare that cannot take it."""
    if beat_fd is not None:
        os.set_blocking(beat_fd, False)
    waited = False
    while True:
        readable, _, _ = select.select([go_fd], [], [], BEAT_SECONDS)
        if readable:
            return bool(os.read(go_fd, 1))
        if not waited:
            # Not said by a worker whose go was there at once (serve's first workers).
            logger.info("Worker %s waits, as a spare", wakeups.holder_id())
            waited = True
        if beat_fd is not None:
            try:
                os.write(beat_fd, b".")
            except BlockingIOError:
                pass  # the supervisor is behind: the beats it has not read are beats enough
            except BrokenPipeError:
                return False  # the supervisor is gone


def _ready(worker: Worker) -> QuerySet[DBTaskResult]:
    return DBTaskResult.objects.ready().filter(backend_name=worker.backend_name, queue_name__in=worker.queue_names)


def _housekeeping(stop: threading.Event, worker_id: str, sweep: bool) -> None:
    """Say this worker is alive (/readyz reads it) and, unless told not to, recover lost work and
    purge what retention says, every RELAY_SWEEP_INTERVAL_SECONDS; in between, every second, take
    over keys whose holder died (PostgreSQL). The first sweep runs at once: a worker started in
    place of a dead one takes over its keys now, not a sweep interval later."""
    next_sweep = 0.0
    while True:
        try:
            close_old_connections()
            if time.monotonic() < next_sweep:
                if sweep:
                    recovery.take_over(kick_router=wake_router, kick_sender=wake_sender)
            else:
                next_sweep = time.monotonic() + settings.RELAY_SWEEP_INTERVAL_SECONDS
                try:
                    _sweep(sweep)
                finally:
                    health.beat(worker_id)
                connection.close()
        except Exception as error:
            logger.error("Recovery sweep failed (%s); trying again at the next interval", type(error).__name__)
            connection.close()
        if stop.wait(min(TAKEOVER_CHECK_SECONDS, max(0.0, next_sweep - time.monotonic()))):
            connection.close()
            return


def _sweep(sweep: bool) -> None:
    if not sweep:
        return
    summary = recovery.sweep(kick_router=wake_router, kick_sender=wake_sender)
    if summary.recovered_deliveries or summary.unrouted_events:
        logger.info("Recovery sweep: %s", summary.as_dict())
    purged = retention.purge_if_due()
    if purged is not None:
        # Hourly, on one worker: where each destination stands with the erasure requests.
        erasure.check_due()
        if any(purged.as_dict().values()):
            logger.info("Retention purge: %s", purged.as_dict())

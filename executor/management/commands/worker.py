"""A task worker that also sweeps for lost work: run one or many, on one or many machines."""

import logging
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from core.process import freeze_startup_objects
from executor import erasure, health, recovery, retention, router, sending
from executor.tasks import wake_router, wake_sender

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run tasks (routing, sending) and every few seconds recover work whose worker died."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=float, default=None, help="Seconds between polls when idle.")
        parser.add_argument("--no-sweep", action="store_true", help="Do not run the recovery sweep.")

    def handle(self, *args: object, **options: object) -> None:
        freeze_startup_objects()
        interval = options["interval"] if options["interval"] is not None else settings.RELAY_WORKER_POLL_SECONDS
        stop = threading.Event()
        worker_id = get_random_string(32)
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
        logger.info("Worker %s started", worker_id[:8])
        try:
            worker.configure_signals()
            _run_when_ready(worker, float(interval))
        finally:
            stop.set()
            router.stop()
            sending.stop_senders()


def _run_when_ready(worker: Worker, interval: float) -> None:
    """Poll with a read; hand over to django-tasks-db's worker only when a task is ready.

    Its worker looks for a task inside an exclusive transaction, so on SQLite every poll took the
    write lock, 50 times a second per worker with nothing to do, and the writes that mattered
    (ingest, routing, recording answers) waited behind it in SQLite's busy handler, which sleeps
    in growing steps: the tail of ingest-to-delivered latency was mostly those waits.
    """
    while worker.running:
        close_old_connections()
        # Built each time: "ready" compares run_after with the time the query is built.
        ready = DBTaskResult.objects.ready().filter(backend_name=worker.backend_name, queue_name__in=worker.queue_names)
        if ready.exists():
            worker.run()
        else:
            time.sleep(interval)


def _housekeeping(stop: threading.Event, worker_id: str, sweep: bool) -> None:
    """Every few seconds: say this worker is alive (/readyz reads it) and, unless told not to,
    recover lost work and purge what retention says."""
    health.beat(worker_id)
    while not stop.wait(settings.RELAY_SWEEP_INTERVAL_SECONDS):
        try:
            close_old_connections()
            health.beat(worker_id)
            if not sweep:
                continue
            summary = recovery.sweep(kick_router=wake_router, kick_sender=wake_sender)
            if summary.recovered_deliveries or summary.unrouted_events:
                logger.info("Recovery sweep: %s", summary.as_dict())
            purged = retention.purge_if_due()
            if purged is not None:
                # Hourly, on one worker: where each destination stands with the erasure requests.
                erasure.check_due()
                if any(purged.as_dict().values()):
                    logger.info("Retention purge: %s", purged.as_dict())
        except Exception as error:
            logger.error("Recovery sweep failed (%s); trying again at the next interval", type(error).__name__)
        finally:
            connection.close()

"""What the web processes of one `manage.py serve` run share: a fresh directory, named to each of them
in their environment, holding prometheus-client's multiprocess files (the ingest counters of every web
process, summed at each scrape: executor.metrics) and the browser sources' rate-limit table
(executor.sources.RateLimiter). A process started without it keeps both in its own memory.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

# prometheus-client reads this when it is imported: set it before (it chooses its value class then).
METRICS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
RATE_LIMIT_TABLE = "RELAY_RATE_LIMIT_TABLE"


def share_between_processes() -> Path:
    """Create this run's directory and name it in the environment of this process and of every
    process it starts from now; return it (remove it with `forget`)."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its multiprocess directory was set")
    run = Path(tempfile.mkdtemp(prefix="relay-run-"))
    (run / "metrics").mkdir()
    os.environ[METRICS_DIRECTORY] = str(run / "metrics")
    os.environ[RATE_LIMIT_TABLE] = str(run / "rate-limits")
    return run


def forget(run: Path) -> None:
    """Remove the run's directory once every process that shared it has ended."""
    shutil.rmtree(run, ignore_errors=True)


def metrics_directory() -> str:
    return os.environ.get(METRICS_DIRECTORY, "")


def rate_limit_table() -> str:
    return os.environ.get(RATE_LIMIT_TABLE, "")

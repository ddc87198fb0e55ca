"""What a worker process loads: the code it runs, not the web's (each module held is memory held)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

# Django set up as manage.py worker sets it up, then the command and every module its tasks run.
_LOADED_SCRIPT = """
import json, sys
import django
django.setup()
import executor.management.commands.worker, executor.tasks, executor.routing, executor.sending
print(json.dumps(sorted(sys.modules)))
"""

# The REST API's machinery, and what DRF imports along with it when installed (15 MB per process).
WEB_ONLY = ("rest_framework.response", "rest_framework.serializers", "drf_spectacular.openapi", "yaml", "markdown")


def test_a_worker_loads_none_of_the_rest_apis_machinery(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "RELAY_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'relay.sqlite3'}",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _LOADED_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert "executor.sending" in loaded
    assert loaded.isdisjoint(WEB_ONLY), sorted(loaded & set(WEB_ONLY))

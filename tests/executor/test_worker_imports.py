"""What a worker process loads: the code it runs, not the web's (each module held is memory held)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks
from django.core.management.base import SystemCheckError

from executor.management.commands.worker import Command

ROOT = Path(__file__).resolve().parent.parent.parent

# Django set up as manage.py worker sets it up, the command's system checks, then every module its
# tasks run.
_LOADED_SCRIPT = """
import json, sys
import django
django.setup()
from executor.management.commands.worker import Command
Command().check()
import executor.tasks, executor.routing, executor.sending
print(json.dumps(sorted(sys.modules)))
"""

# The web's URL configuration and views, the REST API's machinery, and what DRF imports along with it
# when installed: 25 MB in each worker that loaded them.
WEB_ONLY = (
    "config.urls",
    "executor.ingest_views",
    "rest_framework.response",
    "rest_framework.serializers",
    "drf_spectacular.openapi",
    "yaml",
    "markdown",
)


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


@pytest.mark.django_db
def test_a_worker_still_runs_every_system_check_but_the_webs() -> None:
    def refuses(**kwargs: object) -> list[checks.CheckMessage]:
        return [checks.Error("refused by the test's check", id="tests.E001")]

    checks.register(refuses, checks.Tags.security)
    try:
        with pytest.raises(SystemCheckError, match="refused by the test's check"):
            Command().check()
    finally:
        checks.registry.registry.registered_checks.discard(refuses)
    assert any(checks.Tags.urls in check.tags for check in checks.registry.registry.registered_checks)

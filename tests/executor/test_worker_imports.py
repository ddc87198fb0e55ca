"""What the worker and web processes load: the code they run, not what they never use (each module
held is memory held, in every process)."""

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
print(json.dumps(sorted(name for name, module in sys.modules.items() if module is not None)))
"""

# Django set up as manage.py serve sets it up, then the command as far as its handler, which loads
# the URL configuration and every view (as the real one does before it serves).
_WEB_LOADED_SCRIPT = """
import json, sys
import django
django.setup()
from django.core.management import call_command
from django.urls import get_resolver
from executor.management.commands import serve
class Started(Exception):
    pass
def handle(self, *args, **options):
    get_resolver().check()
    raise Started
serve.Command.handle = handle
try:
    call_command("serve", skip_checks=False)
except Started:
    pass
print(json.dumps(sorted(name for name, module in sys.modules.items() if module is not None)))
"""

# Loaded because a library imports them whenever they are installed (the dev group installs them),
# for features no Relay process uses: httpx's command-line client (rich, click, pygments), 4 MB in
# each process; and jsonschema, which only explains an invalid body (mapper.validation imports it
# on the first one), 1-3 MB with attrs, referencing and rpds.
UNUSED_EVERYWHERE = ("httpx._main", "rich", "click", "pygments", "jsonschema", "attrs", "referencing", "rpds")
# What DRF's compat module imports when installed, for its test client and browsable API: 5 MB.
UNUSED_BY_THE_WEB = ("requests", "urllib3.poolmanager", "charset_normalizer")

# An invalid body explained, field by field, as the route step does for a body the compiled check refuses.
_EXPLAIN_SCRIPT = """
import json, sys
import django
django.setup()
from destinations.attentive import ATTENTIVE
from mapper.validation import explain
errors = explain(ATTENTIVE.action("custom_event"), {"type": 7}, {})
assert errors, errors
print(json.dumps(sorted(name for name, module in sys.modules.items() if module is not None)))
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


def _loaded(script: str, tmp_path: Path) -> set[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "RELAY_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'relay.sqlite3'}",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_a_worker_loads_none_of_the_rest_apis_machinery(tmp_path: Path) -> None:
    loaded = _loaded(_LOADED_SCRIPT, tmp_path)
    assert "executor.sending" in loaded
    assert loaded.isdisjoint(WEB_ONLY), sorted(loaded & set(WEB_ONLY))


def test_a_worker_loads_neither_httpxs_command_line_client_nor_jsonschema(tmp_path: Path) -> None:
    loaded = _loaded(_LOADED_SCRIPT, tmp_path)
    assert {"httpx", "destinations.attentive.client", "mapper.validation"} <= loaded
    assert loaded.isdisjoint(UNUSED_EVERYWHERE), sorted(loaded & set(UNUSED_EVERYWHERE))


def test_a_web_process_loads_none_of_the_optional_modules_it_never_uses(tmp_path: Path) -> None:
    loaded = _loaded(_WEB_LOADED_SCRIPT, tmp_path)
    # The REST API and its schema are loaded (what imports the optional modules when they are installed).
    assert {"rest_framework.serializers", "drf_spectacular.openapi", "mapper.validation", "httpx"} <= loaded
    unused = {*UNUSED_EVERYWHERE, *UNUSED_BY_THE_WEB}
    assert loaded.isdisjoint(unused), sorted(loaded & unused)


def test_a_worker_on_sqlite_loads_no_postgresql_driver(tmp_path: Path) -> None:
    # core.compiled sends inserts through psycopg itself on PostgreSQL and imports it only there: at the
    # top of the module it held 9 MB more in the worker. (The web process loads it anyway, through DRF's
    # compat module, which imports django.contrib.postgres whenever psycopg is installed.)
    loaded = _loaded(_LOADED_SCRIPT, tmp_path)
    assert "core.compiled" in loaded
    assert "psycopg" not in loaded


def test_explaining_an_invalid_body_still_loads_jsonschema(tmp_path: Path) -> None:
    loaded = _loaded(_EXPLAIN_SCRIPT, tmp_path)
    assert "jsonschema" in loaded


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

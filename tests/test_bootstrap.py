import os
import stat
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts.models import AuditEntry
from config.env import local_secrets
from destinations.models import Destination
from mapper.models import Action
from mapper.pipeline import run_action

pytestmark = pytest.mark.django_db


def test_bootstrap_creates_an_admin_with_a_generated_password_printed_once() -> None:
    out = StringIO()
    call_command("bootstrap", stdout=out)
    admin = get_user_model().objects.get()
    password = out.getvalue().split("password: ")[1].split()[0]
    assert admin.is_superuser
    assert admin.check_password(password)
    again = StringIO()
    call_command("bootstrap", stdout=again)
    assert "password" not in again.getvalue()
    assert get_user_model().objects.count() == 1


def test_the_first_admins_creation_is_in_the_audit_log_once() -> None:
    call_command("bootstrap", "--no-demo", stdout=StringIO())
    call_command("bootstrap", "--no-demo", stdout=StringIO())
    admin = get_user_model().objects.get()
    entry = AuditEntry.objects.get()
    assert (entry.actor_name, entry.verb, entry.target_id) == ("system", "user_created", str(admin.pk))
    assert entry.details == {"role": "admin"}


def test_bootstrap_takes_the_admin_password_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RELAY_ADMIN_PASSWORD", "a-long-operator-password")
    out = StringIO()
    call_command("bootstrap", stdout=out)
    assert get_user_model().objects.get().check_password("a-long-operator-password")
    assert "a-long-operator-password" not in out.getvalue()


def test_bootstrap_loads_a_demo_destination_in_test_mode_with_every_preset(now) -> None:
    call_command("bootstrap", stdout=StringIO())
    destination = Destination.objects.get()
    assert destination.test_mode
    actions = list(Action.objects.filter(destination=destination))
    presets = [preset for action_type in destination.definition.actions for preset in action_type.presets]
    assert len(actions) == len(presets) == 13
    for action in actions:
        action.full_clean()
        preset = action.definition.presets[[p.name for p in action.definition.presets].index(action.name)]
        assert run_action(action.config(), dict(preset.example_event), now=now).ok
    call_command("bootstrap", stdout=StringIO())
    assert Action.objects.count() == len(presets)  # run twice, created once


def test_bootstrap_makes_the_demo_through_the_commands_with_one_audit_entry_each() -> None:
    call_command("bootstrap", stdout=StringIO())
    destination = Destination.objects.get()
    presets = [
        (action_type.key, preset.name)
        for action_type in destination.definition.actions
        for preset in action_type.presets
    ]
    # The presets in their order, enabled, as the editor would have saved them (one version each).
    actions = list(destination.actions.order_by("position"))
    assert [(action.action_type, action.name) for action in actions] == presets
    assert all(action.enabled and action.version == 1 for action in actions)
    log = list(AuditEntry.objects.order_by("pk").values_list("actor_name", "verb", "target_id"))
    assert log == [
        ("system", "user_created", str(get_user_model().objects.get().pk)),
        ("system", "destination_created", str(destination.pk)),
        *[("system", "action_created", str(action.pk)) for action in sorted(actions, key=lambda action: action.pk)],
    ]


def test_local_secrets_are_generated_once_and_private(tmp_path) -> None:
    path = tmp_path / "secrets.env"
    first = local_secrets(path)
    assert set(first) == {"SECRET_KEY", "RELAY_ENCRYPTION_KEYS"}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert local_secrets(path) == first


def test_the_database_and_its_wal_files_are_readable_by_their_owner_only(tmp_path) -> None:
    import os
    import stat
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "RELAY_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'relay.sqlite3'}"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=root, env=env, check=True, timeout=120
    )
    files = [path for path in tmp_path.iterdir() if path.name.startswith(("relay.sqlite3", "secrets"))]
    assert any(path.name == "relay.sqlite3" for path in files)
    assert {path.name: stat.S_IMODE(path.stat().st_mode) for path in files} == {path.name: 0o600 for path in files}

"""mapper.commands: one function per thing a person does to actions; the editor and the API leave the
same rows and the same audit entry."""

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from accounts.roles import SYSTEM
from core.commands import Refused
from destinations.models import Destination
from mapper import commands
from mapper.models import Action
from tests.commands import api_client, entries, last_entry_id, page_client, person
from tests.fake_attentive import GOOD_KEY

pytestmark = pytest.mark.django_db

SHIPPED = {
    "name": "Shipped",
    "trigger": "event == 'Order Shipped'",
    "mappings": {"event_name": "event", "email": "context.traits.email"},
}
# Enabled, it could deliver nothing: no identifier is mapped.
NO_IDENTIFIER = {"name": "Nobody", "trigger": "@", "mappings": {"event_name": "event"}}
SAMPLE = {"type": "track", "event": "Order Shipped", "context": {"traits": {"email": "jane@example.com"}}}


@pytest.fixture
def destination() -> Destination:
    destination = Destination(name="Acme", default_region="US", test_mode=True)
    destination.set_api_key(GOOD_KEY)
    destination.save()
    return destination


@pytest.fixture
def action(destination: Destination) -> Action:
    return Action.objects.create(destination=destination, action_type="custom_event", **SHIPPED)


def _save(actor: Any, destination: Destination, fields: dict[str, Any], **more: Any) -> Action:
    return commands.save_action(
        actor, destination=destination, action_type="custom_event", **{"enabled": True, **fields, **more}
    )


def test_save_action_creates_the_action_as_version_1_and_audits_it(destination) -> None:
    action = _save(person("marketer"), destination, SHIPPED)
    assert (action.version, action.position, action.enabled) == (1, 1, True)
    assert entries() == [("action_created", "action", "Shipped", {"version": 1})]


def test_save_action_refuses_an_engineer(destination) -> None:
    with pytest.raises(PermissionDenied):
        _save(person("engineer"), destination, SHIPPED)
    assert not Action.objects.exists()


def test_save_action_refuses_an_enabled_action_that_could_deliver_nothing_naming_the_field(destination) -> None:
    with pytest.raises(commands.NeverDelivers) as refused:
        _save(person("marketer"), destination, NO_IDENTIFIER)
    assert refused.value.status == 422
    assert "mappings.phone" in refused.value.errors
    assert not Action.objects.exists()
    assert _save(person("marketer"), destination, NO_IDENTIFIER, enabled=False).enabled is False


def test_save_action_refuses_a_wrong_configuration_on_its_field(destination) -> None:
    with pytest.raises(Refused) as refused:
        _save(person("marketer"), destination, {**SHIPPED, "trigger": "event =="})
    assert refused.value.status == 400
    assert "trigger" in refused.value.errors


def test_enable_action_refuses_what_could_deliver_nothing(destination) -> None:
    action = Action.objects.create(destination=destination, action_type="custom_event", enabled=False, **NO_IDENTIFIER)
    with pytest.raises(commands.NeverDelivers):
        commands.enable_action(person("marketer"), action=action)
    action.refresh_from_db()
    assert not action.enabled
    assert entries() == []


def test_enable_and_disable_action_switch_it_and_audit_each(action) -> None:
    marketer = person("marketer")
    commands.disable_action(marketer, action=action)
    commands.enable_action(marketer, action=action)
    action.refresh_from_db()
    assert action.enabled
    assert [verb for verb, *_ in entries()] == ["action_disabled", "action_enabled"]


def test_restore_action_brings_back_an_old_version_as_a_new_one(action) -> None:
    marketer = person("marketer")
    _save(marketer, action.destination, {**SHIPPED, "name": "Renamed"}, action=action)
    restored = commands.restore_action(marketer, action=action, version=action.versions.get(number=1))
    assert (restored.name, restored.version) == ("Shipped", 3)
    assert restored.versions.get(number=3).note == "Restored from v1"
    assert entries()[-1] == ("action_restored", "action", "Shipped", {"version": 1})


def test_restore_action_brings_back_a_version_that_could_no_longer_deliver_disabled(action) -> None:
    action.destination.allowlist_enabled, action.destination.allowed_names = True, []
    Action.objects.filter(pk=action.pk).update(mappings={"event_name": "event"})
    version = action.versions.get(number=1)
    version_snapshot = {**version.snapshot, "mappings": NO_IDENTIFIER["mappings"]}
    type(version).objects.filter(pk=version.pk).update(snapshot=version_snapshot)
    version.refresh_from_db()
    restored = commands.restore_action(person("marketer"), action=action, version=version)
    assert not restored.enabled
    assert restored.versions.get(number=restored.version).note.endswith("disabled: it could no longer deliver")


def test_duplicate_action_makes_a_disabled_copy_right_after_it(action) -> None:
    later = Action.objects.create(destination=action.destination, action_type="custom_event", position=5, **SHIPPED)
    copy = commands.duplicate_action(person("marketer"), action=action)
    later.refresh_from_db()
    assert (copy.name, copy.enabled, copy.position, later.position) == ("Shipped (copy)", False, 1, 6)
    assert entries() == [("action_created", "action", "Shipped (copy)", {"duplicated_from": action.pk})]


def test_duplicating_again_gives_each_copy_a_name_of_its_own(action) -> None:
    marketer = person("marketer")
    copies = [commands.duplicate_action(marketer, action=action).name for _ in range(3)]
    assert copies == ["Shipped (copy)", "Shipped (copy 2)", "Shipped (copy 3)"]
    longest = Action.objects.create(
        destination=action.destination, action_type="custom_event", **{**SHIPPED, "name": "x" * 200}
    )
    assert commands.duplicate_action(marketer, action=longest).name == "x" * 193 + " (copy)"


def test_a_name_another_action_of_the_destination_has_is_refused_on_its_field(action) -> None:
    since = last_entry_id()
    with pytest.raises(Refused) as refused:
        _save(person("marketer"), action.destination, {**SHIPPED, "trigger": "@"})
    assert list(refused.value.errors) == ["name"]
    renamed = _save(person("marketer"), action.destination, {**SHIPPED, "name": "Other"})
    with pytest.raises(Refused):
        _save(person("marketer"), action.destination, SHIPPED, action=renamed)
    assert [entry[0] for entry in entries(since=since)] == ["action_created"]


def test_saving_an_action_as_it_is_records_nothing_and_makes_no_version(action) -> None:
    since, version = last_entry_id(), action.version
    _save(person("marketer"), action.destination, {**SHIPPED, "enabled": action.enabled}, action=action)
    action.refresh_from_db()
    assert action.version == version
    assert entries(since=since) == []


def test_delete_action_deletes_it_and_audits_it(action) -> None:
    commands.delete_action(person("marketer"), action=action)
    assert not Action.objects.exists()
    assert entries() == [("action_deleted", "action", "Shipped", {})]


def test_reorder_actions_refuses_an_order_that_is_not_every_action_once(action) -> None:
    with pytest.raises(Refused) as refused:
        commands.reorder_actions(person("marketer"), destination=action.destination, order=[action.pk, action.pk])
    assert list(refused.value.errors) == ["order"]


def test_send_test_event_records_in_test_mode_and_audits_the_outcome(destination) -> None:
    from mapper.preview import preview

    action_type = destination.definition.action("custom_event")
    result = preview(destination, "custom_event", SHIPPED["trigger"], SHIPPED["mappings"], SAMPLE)
    sent = commands.send_test_event(
        person("marketer"), destination=destination, action_type=action_type, preview=result
    )
    assert not sent.sent
    assert "Test mode" in sent.message
    [(verb, target_type, _name, details)] = entries()
    assert (verb, target_type, details["outcome"]) == ("test_event_sent", "destination", "recorded")


def test_import_configuration_applies_the_document_and_audits_it_once(destination) -> None:
    document = {
        "format": "relay-config",
        "version": 1,
        "destinations": [{"name": "Acme", "actions": [{**SHIPPED, "action_type": "custom_event"}]}],
    }
    result = commands.import_configuration(person("admin"), document=document)
    assert result.counts["actions_created"] == 1
    assert [verb for verb, *_ in entries()] == ["config_imported"]


def test_import_configuration_refuses_a_document_with_every_problem_on_its_path(destination) -> None:
    document = {
        "format": "relay-config",
        "version": 1,
        "destinations": [{"name": "Acme", "actions": [{**NO_IDENTIFIER, "action_type": "custom_event"}]}],
    }
    with pytest.raises(Refused) as refused:
        commands.import_configuration(person("admin"), document=document)
    assert list(refused.value.errors) == ["destinations.0.actions.0.mappings.phone"]
    assert entries() == []


def test_import_configuration_is_for_admins_and_the_command_line(destination, tmp_path) -> None:
    with pytest.raises(PermissionDenied):
        commands.import_configuration(person("marketer"), document={})
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"format": "relay-config", "version": 1, "destinations": []}))
    call_command("import_config", str(path))
    assert entries() == [("config_imported", "", "", commands.config_io.ImportResult().summary())]
    commands.import_configuration(SYSTEM, document=json.loads(path.read_text()), dry_run=True)
    assert len(entries()) == 1  # a dry run records nothing


# The page and the API of the same command leave the same rows and the same audit entry.


def _editor_form(fields: dict[str, Any], enabled: bool = True) -> dict[str, Any]:
    form = {"name": fields["name"], "trigger": fields["trigger"], "sample_event": json.dumps(SAMPLE)}
    form.update({f"map__{key}": expression for key, expression in fields["mappings"].items()})
    return {**form, "enabled": "on"} if enabled else form


def _rows(destination: Destination) -> list[tuple[Any, ...]]:
    return list(
        destination.actions.order_by("position", "id").values_list("name", "trigger", "mappings", "enabled", "version")
    )


def _create(path: str, destination: Destination) -> None:
    if path == "page":
        response = page_client("marketer").post(
            f"/destinations/{destination.pk}/actions/new/?type=custom_event", _editor_form(SHIPPED)
        )
        assert response.status_code == 302
    else:
        body = {"destination": destination.pk, "action_type": "custom_event", **SHIPPED}
        assert api_client("marketer").post("/api/v1/actions", body, format="json").status_code == 201


@pytest.mark.parametrize("path", ["page", "api"])
def test_creating_an_action_from_the_page_or_the_api_leaves_the_same_rows_and_audit(path: str, destination) -> None:
    _create(path, destination)
    assert _rows(destination) == [("Shipped", SHIPPED["trigger"], SHIPPED["mappings"], True, 1)]
    assert entries(since=_logins()) == [("action_created", "action", "Shipped", {"version": 1})]


@pytest.mark.parametrize("path", ["page", "api"])
def test_changing_an_action_from_the_page_or_the_api_leaves_the_same_rows_and_audit(path: str, action) -> None:
    changed = {**SHIPPED, "name": "Renamed"}
    if path == "page":
        client, since = page_client("marketer"), last_entry_id()
        assert client.post(f"/actions/{action.pk}/", _editor_form(changed)).status_code == 302
    else:
        client, since = api_client("marketer"), last_entry_id()
        assert client.patch(f"/api/v1/actions/{action.pk}", {"name": "Renamed"}, format="json").status_code == 200
    assert _rows(action.destination) == [("Renamed", SHIPPED["trigger"], SHIPPED["mappings"], True, 2)]
    assert entries(since=since) == [("action_changed", "action", "Renamed", {"version": 2})]


@pytest.mark.parametrize("path", ["page", "api"])
def test_an_action_that_could_deliver_nothing_is_refused_alike_by_the_page_and_the_api(path: str, destination) -> None:
    if path == "page":
        response = page_client("marketer").post(
            f"/destinations/{destination.pk}/actions/new/?type=custom_event", _editor_form(NO_IDENTIFIER)
        )
        assert response.status_code == 400
    else:
        body = {"destination": destination.pk, "action_type": "custom_event", **NO_IDENTIFIER}
        assert api_client("marketer").post("/api/v1/actions", body, format="json").status_code == 422
    assert _rows(destination) == []
    assert entries(since=_logins()) == []


@pytest.mark.parametrize("path", ["page", "api"])
@pytest.mark.parametrize("verb", ["action_disabled", "action_enabled"])
def test_switching_an_action_from_the_page_or_the_api_leaves_the_same_rows_and_audit(
    path: str, verb: str, action
) -> None:
    if verb == "action_enabled":
        Action.objects.filter(pk=action.pk).update(enabled=False)
    if path == "page":
        client, since = page_client("marketer"), last_entry_id()
        assert client.post(f"/actions/{action.pk}/toggle/").status_code == 302
    else:
        client, since = api_client("marketer"), last_entry_id()
        command = "enable" if verb == "action_enabled" else "disable"
        assert client.post(f"/api/v1/actions/{action.pk}/{command}").status_code == 200
    action.refresh_from_db()
    assert action.enabled is (verb == "action_enabled")
    assert entries(since=since) == [(verb, "action", "Shipped", {})]


@pytest.mark.parametrize("path", ["page", "api"])
def test_restoring_a_version_from_the_page_or_the_api_leaves_the_same_rows_and_audit(path: str, action) -> None:
    _save(person("marketer"), action.destination, {**SHIPPED, "name": "Renamed"}, action=action)
    if path == "page":
        client, since = page_client("marketer"), last_entry_id()
        assert client.post(f"/actions/{action.pk}/history/", {"restore": "1"}).status_code == 302
    else:
        client, since = api_client("marketer"), last_entry_id()
        assert client.post(f"/api/v1/actions/{action.pk}/restore", {"version": 1}, format="json").status_code == 200
    assert _rows(action.destination) == [("Shipped", SHIPPED["trigger"], SHIPPED["mappings"], True, 3)]
    assert entries(since=since) == [("action_restored", "action", "Shipped", {"version": 1})]


@pytest.mark.parametrize("path", ["page", "api"])
def test_deleting_an_action_from_the_page_or_the_api_leaves_the_same_rows_and_audit(path: str, action) -> None:
    if path == "page":
        client, since = page_client("marketer"), last_entry_id()
        assert client.post(f"/actions/{action.pk}/delete/").status_code == 302
    else:
        client, since = api_client("marketer"), last_entry_id()
        assert client.delete(f"/api/v1/actions/{action.pk}").status_code == 204
    assert _rows(action.destination) == []
    assert entries(since=since) == [("action_deleted", "action", "Shipped", {})]


@pytest.mark.parametrize("path", ["page", "api"])
def test_reordering_from_the_page_or_the_api_leaves_the_same_rows_and_audit(path: str, action) -> None:
    second = Action.objects.create(destination=action.destination, action_type="custom_event", position=1, **SHIPPED)
    if path == "page":
        client, since = page_client("marketer"), last_entry_id()
        assert client.post(f"/actions/{second.pk}/move/up/").status_code == 302
    else:
        client, since = api_client("marketer"), last_entry_id()
        body = {"destination": action.destination_id, "order": [second.pk, action.pk]}
        assert client.post("/api/v1/actions/reorder", body, format="json").status_code == 200
    assert list(action.destination.actions.order_by("position").values_list("pk", flat=True)) == [second.pk, action.pk]
    assert entries(since=since) == [("actions_reordered", "destination", "Acme", {})]


@pytest.mark.parametrize("path", ["page", "api"])
def test_duplicating_from_the_page_or_the_api_leaves_the_same_rows_and_audit(path: str, action) -> None:
    if path == "page":
        client, since = page_client("marketer"), last_entry_id()
        assert client.post(f"/actions/{action.pk}/duplicate/").status_code == 302
    else:
        client, since = api_client("marketer"), last_entry_id()
        response = client.post(f"/api/v1/actions/{action.pk}/duplicate")
        assert response.status_code == 201
        assert (response.json()["name"], response.json()["enabled"]) == ("Shipped (copy)", False)
    assert _rows(action.destination) == [
        ("Shipped", SHIPPED["trigger"], SHIPPED["mappings"], True, 1),
        ("Shipped (copy)", SHIPPED["trigger"], SHIPPED["mappings"], False, 1),
    ]
    copy = Action.objects.exclude(pk=action.pk).get()
    assert entries(since=since) == [("action_created", "action", copy.name, {"duplicated_from": action.pk})]


def _logins() -> int:
    """The last sign-in's entry (a page client signs in, which is audited): what a command left comes after."""
    from accounts.models import AuditEntry

    login = AuditEntry.objects.filter(verb="login").order_by("-pk").first()
    return login.pk if login else 0


def test_switching_an_action_to_the_state_it_is_in_changes_nothing_and_records_nothing(action) -> None:
    commands.disable_action(SYSTEM, action=action)
    before = last_entry_id()
    commands.disable_action(SYSTEM, action=Action.objects.get(pk=action.pk))
    assert entries(since=before) == []


@pytest.mark.parametrize("fixed", [{"email": "'not-an-email'"}, {"phone": "'12'"}])
def test_an_enabled_action_whose_only_identifier_is_a_fixed_text_the_destination_refuses_is_refused(
    destination, fixed: dict
) -> None:
    with pytest.raises(Refused) as refused:
        _save(
            person("marketer"),
            destination,
            {"name": "Fixed", "trigger": "@", "mappings": {"event_name": "event", **fixed}},
        )
    assert refused.value.status == 422
    assert list(refused.value.errors) == [f"mappings.{key}" for key in fixed]


def test_a_fixed_identifier_beside_one_read_from_the_event_is_saved(destination) -> None:
    mappings = {"event_name": "event", "phone": "'12'", "email": "context.traits.email"}
    assert _save(person("marketer"), destination, {"name": "Either", "trigger": "@", "mappings": mappings}).enabled

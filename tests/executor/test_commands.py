"""executor.commands: replay, re-run, write keys and erasure, one function each; the delivery log and the
API leave the same rows and the same audit entry."""

import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from core.commands import Refused
from destinations.attentive import ATTENTIVE
from executor import commands
from executor.models import Delivery, ErasureRequest, InboundEvent, Replay, WriteKey
from mapper.models import Action
from tests.commands import api_client, entries, last_entry_id, page_client, person

pytestmark = pytest.mark.django_db

BODY = dict(ATTENTIVE.action("custom_event").preset("order_shipped").example_event)


def _delivery(action: Action, status: str, number: int = 1) -> Delivery:
    event = InboundEvent.objects.create(source="api", event_type="track", message_id=f"m-{number}", body=BODY)
    return Delivery.objects.create(
        event=event,
        action=action,
        destination=action.destination,
        action_snapshot={},
        sender_key="k",
        status=status,
        payload={"type": "x"} if status != "invalid" else None,
    )


def test_replay_queues_failed_deliveries_as_a_done_job_audited_with_its_target(order_shipped) -> None:
    failed = _delivery(order_shipped, "failed")
    job = commands.replay(person("marketer"), delivery_ids=[failed.pk])
    failed.refresh_from_db()
    assert (failed.status, job.state, job.total, job.done) == ("queued", Replay.State.DONE, 1, 1)
    assert entries() == [("replay", "replay", str(job), {"total": 1})]


def test_replay_of_nothing_replayable_is_refused_and_leaves_no_job(order_shipped) -> None:
    delivered = _delivery(order_shipped, "delivered")
    with pytest.raises(Refused) as refused:
        commands.replay(person("marketer"), delivery_ids=[delivered.pk])
    assert list(refused.value.errors) == ["ids"]
    assert not Replay.objects.exists()


def test_replay_is_refused_to_an_engineer(order_shipped) -> None:
    with pytest.raises(PermissionDenied):
        commands.replay(person("engineer"), filters={})


def test_rerun_runs_invalid_deliveries_through_the_action_as_it_is_now(order_shipped) -> None:
    invalid = _delivery(order_shipped, "invalid")
    result = commands.rerun(person("marketer"), delivery_ids=[invalid.pk])
    invalid.refresh_from_db()
    assert (result.rerun, result.queued, invalid.status) == (1, 1, "queued")
    assert entries() == [("deliveries_rerun", "", "", {"total": 1, "queued": 1})]


def test_rerun_of_nothing_invalid_is_refused(order_shipped) -> None:
    with pytest.raises(Refused):
        commands.rerun(person("marketer"), delivery_ids=[_delivery(order_shipped, "failed").pk])
    assert entries() == []


def test_issue_write_key_needs_a_label_and_audits_the_key(db) -> None:
    admin = person("admin")
    with pytest.raises(Refused) as refused:
        commands.issue_write_key(admin, label="  ")
    assert list(refused.value.errors) == ["label"]
    key, raw = commands.issue_write_key(admin, label="checkout")
    assert raw.startswith(key.prefix)
    assert entries() == [("write_key_created", "writekey", str(key), {"kind": "server"})]


def test_revoke_write_key_stops_it_and_audits_it(db) -> None:
    key, _ = WriteKey.issue("checkout")
    commands.revoke_write_key(person("admin"), key=key)
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert entries() == [("write_key_revoked", "writekey", str(key), {})]


def test_a_write_key_made_on_the_command_line_is_audited_too(db) -> None:
    call_command("create_write_key", "checkout", stdout=io.StringIO())
    assert [(verb, name) for verb, _type, name, _details in entries()] == [
        ("write_key_created", str(WriteKey.objects.get()))
    ]


def test_file_erasure_refuses_what_is_not_an_email_on_its_field(db) -> None:
    with pytest.raises(Refused) as refused:
        commands.file_erasure(person("admin"), kind="email", value="not an address")
    assert list(refused.value.errors) == ["email"]
    assert not ErasureRequest.objects.exists()


def test_file_erasure_records_the_request_and_audits_it_without_the_person(db) -> None:
    filed = commands.file_erasure(person("admin"), kind="email", value="jane@example.com")
    [(verb, target_type, name, details)] = entries()
    assert (verb, target_type, details) == ("erasure_requested", "erasurerequest", {"kind": "email"})
    assert name == str(filed)


def test_file_erasure_is_for_admins(db) -> None:
    with pytest.raises(PermissionDenied):
        commands.file_erasure(person("marketer"), kind="email", value="jane@example.com")


# The page and the API of the same command leave the same rows and the same audit entry.


def _job_rows() -> list[tuple[Any, ...]]:
    return list(Replay.objects.values_list("total", "done", "state", "selection"))


@pytest.mark.parametrize("path", ["page", "api"])
def test_replaying_from_the_log_or_the_api_leaves_the_same_job_and_audit(path: str, order_shipped) -> None:
    failed = _delivery(order_shipped, "failed")
    if path == "page":
        client, since = page_client("marketer"), last_entry_id()
        assert client.post("/deliveries/replay/", {"delivery": [failed.pk]}).status_code == 302
    else:
        client, since = api_client("marketer"), last_entry_id()
        assert client.post("/api/v1/deliveries/replay", {"ids": [failed.pk]}, format="json").status_code == 202
    assert _job_rows() == [(1, 1, "done", {"ids": [failed.pk]})]
    job = Replay.objects.get()
    assert job.description == "1 selected delivery"
    assert entries(since=since) == [("replay", "replay", str(job), {"total": 1})]


@pytest.mark.parametrize("path", ["page", "api"])
def test_replaying_by_filter_from_the_log_or_the_api_leaves_the_same_job_and_audit(path: str, order_shipped) -> None:
    _delivery(order_shipped, "failed")
    filters = {"destination": str(order_shipped.destination_id)}
    if path == "page":
        client, since = page_client("marketer"), last_entry_id()
        assert client.post("/deliveries/replay/", {"scope": "filter", **filters}).status_code == 302
    else:
        client, since = api_client("marketer"), last_entry_id()
        assert client.post("/api/v1/deliveries/replay", {"filter": filters}, format="json").status_code == 202
    assert _job_rows() == [(1, 1, "done", filters)]
    assert [verb for verb, *_ in entries(since=since)] == ["replay"]


@pytest.mark.parametrize("path", ["page", "api"])
def test_rerunning_from_the_log_or_the_api_leaves_the_same_rows_and_audit(path: str, order_shipped) -> None:
    invalid = _delivery(order_shipped, "invalid")
    if path == "page":
        client, since = page_client("marketer"), last_entry_id()
        assert client.post("/deliveries/rerun/", {"delivery": [invalid.pk]}).status_code == 302
    else:
        client, since = api_client("marketer"), last_entry_id()
        assert client.post("/api/v1/deliveries/rerun", {"ids": [invalid.pk]}, format="json").status_code == 200
    assert list(Delivery.objects.values_list("status", flat=True)) == ["queued"]
    assert entries(since=since) == [("deliveries_rerun", "", "", {"total": 1, "queued": 1})]


@pytest.mark.parametrize("path", ["page", "api"])
def test_rerunning_by_filter_from_the_log_or_the_api_leaves_the_same_rows_and_audit(path: str, order_shipped) -> None:
    invalid = _delivery(order_shipped, "invalid", number=1)
    other_action = Action.objects.create(
        destination=order_shipped.destination, action_type="custom_event", name="Other", trigger="@", mappings={}
    )
    elsewhere = _delivery(other_action, "invalid", number=2)
    filters = {"action": str(order_shipped.pk)}
    if path == "page":
        client, since = page_client("marketer"), last_entry_id()
        assert client.post("/deliveries/rerun/", {"scope": "filter", **filters}).status_code == 302
    else:
        client, since = api_client("marketer"), last_entry_id()
        response = client.post("/api/v1/deliveries/rerun", {"filter": filters}, format="json")
        assert response.json() == {"rerun": 1, "queued": 1}
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses == {invalid.pk: "queued", elsewhere.pk: "invalid"}
    assert entries(since=since) == [("deliveries_rerun", "", "", {"total": 1, "queued": 1})]


@pytest.mark.parametrize("path", ["page", "api"])
def test_nothing_to_rerun_by_filter_is_refused_alike_by_the_log_and_the_api(path: str, order_shipped) -> None:
    _delivery(order_shipped, "failed")  # not invalid: a re-run leaves it alone
    filters = {"action": str(order_shipped.pk)}
    if path == "page":
        client, since = page_client("marketer"), last_entry_id()
        response = client.post("/deliveries/rerun/", {"scope": "filter", **filters}, follow=True)
        assert "Nothing to re-run" in response.content.decode()
    else:
        client, since = api_client("marketer"), last_entry_id()
        response = client.post("/api/v1/deliveries/rerun", {"filter": filters}, format="json")
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "filter"
    assert list(Delivery.objects.values_list("status", flat=True)) == ["failed"]
    assert entries(since=since) == []


@pytest.mark.parametrize("path", ["page", "api"])
def test_nothing_to_replay_is_refused_alike_by_the_log_and_the_api(path: str, order_shipped) -> None:
    delivered = _delivery(order_shipped, "delivered")
    if path == "page":
        client, since = page_client("marketer"), last_entry_id()
        response = client.post("/deliveries/replay/", {"delivery": [delivered.pk]}, follow=True)
        assert "Nothing to replay" in response.content.decode()
    else:
        client, since = api_client("marketer"), last_entry_id()
        response = client.post("/api/v1/deliveries/replay", {"ids": [delivered.pk]}, format="json")
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "ids"
    assert _job_rows() == []
    assert entries(since=since) == []


@pytest.mark.parametrize("path", ["page", "api"])
def test_a_write_key_from_the_page_or_the_api_leaves_the_same_rows_and_audit(path: str, db) -> None:
    if path == "page":
        client, since = page_client("admin"), last_entry_id()
        assert client.post("/sources/", {"label": "checkout", "kind": "server"}).status_code == 302
        key = WriteKey.objects.get()
        assert client.post(f"/sources/{key.pk}/", {"revoke": "1"}).status_code == 302
    else:
        client, since = api_client("admin"), last_entry_id()
        assert client.post("/api/v1/write-keys", {"label": "checkout"}, format="json").status_code == 201
        key = WriteKey.objects.get()
        assert client.delete(f"/api/v1/write-keys/{key.pk}").status_code == 204
    key.refresh_from_db()
    assert (key.label, key.revoked_at is not None) == ("checkout", True)
    assert entries(since=since) == [
        ("write_key_created", "writekey", str(key), {"kind": "server"}),
        ("write_key_revoked", "writekey", str(key), {}),
    ]


@pytest.mark.parametrize("path", ["page", "api"])
def test_an_erasure_filed_from_the_page_or_the_api_leaves_the_same_rows_and_audit(path: str, db) -> None:
    if path == "page":
        client, since = page_client("admin"), last_entry_id()
        form = {"kind": "email", "value": "jane@example.com", "confirm": "1"}
        assert client.post("/privacy/erasure/", form).status_code == 302
    else:
        client, since = api_client("admin"), last_entry_id()
        response = client.post("/api/v1/erasure-requests", {"email": "jane@example.com"}, format="json")
        assert response.status_code == 202
    filed = ErasureRequest.objects.get()
    assert filed.kind == "email"
    assert entries(since=since) == [("erasure_requested", "erasurerequest", str(filed), {"kind": "email"})]

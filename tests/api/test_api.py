import json
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import AuditEntry
from destinations.models import Destination
from executor.models import Delivery, InboundEvent, WriteKey
from mapper.models import Action
from mapper.preview import preview
from tests.fake_attentive import GOOD_KEY

pytestmark = pytest.mark.django_db

EVENT = {"type": "track", "event": "Order Shipped", "context": {"traits": {"email": "Jane@Example.com"}}}


def test_requests_without_a_token_get_a_401_problem(db) -> None:
    response = APIClient().get("/api/v1/actions")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["title"] == "Unauthorized"


def test_a_revoked_or_unknown_token_is_refused(db) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer rat_unknown")
    assert client.get("/api/v1/actions").status_code == 401


@pytest.mark.parametrize(
    ("method", "url", "minimum"),
    [
        ("get", "/api/v1/destinations", "engineer"),
        ("post", "/api/v1/destinations", "admin"),
        ("get", "/api/v1/destinations/1/privacy", "engineer"),
        ("patch", "/api/v1/destinations/1/privacy", "admin"),
        ("put", "/api/v1/destinations/1/privacy", "admin"),
        ("get", "/api/v1/actions", "engineer"),
        ("post", "/api/v1/actions", "marketer"),
        ("post", "/api/v1/actions/1/duplicate", "marketer"),
        ("post", "/api/v1/actions/1/test-send", "marketer"),
        ("post", "/api/v1/preview", "engineer"),
        ("get", "/api/v1/presets", "engineer"),
        ("get", "/api/v1/deliveries", "engineer"),
        ("post", "/api/v1/deliveries/replay", "marketer"),
        ("post", "/api/v1/deliveries/rerun", "marketer"),
        ("get", "/api/v1/replays", "engineer"),
        ("get", "/api/v1/backfills", "engineer"),
        ("post", "/api/v1/backfills", "marketer"),
        ("get", "/api/v1/write-keys", "engineer"),
        ("post", "/api/v1/write-keys", "admin"),
        ("get", "/api/v1/audit-log", "admin"),
        ("get", "/api/v1/config", "admin"),
    ],
)
@pytest.mark.parametrize("role", ["engineer", "marketer", "admin"])
def test_every_endpoint_enforces_the_roles(api_as, method: str, url: str, minimum: str, role: str) -> None:
    rank = {"engineer": 1, "marketer": 2, "admin": 3}
    response = getattr(api_as(role), method)(url, {}, format="json")
    if rank[role] >= rank[minimum]:
        assert response.status_code != 403
    else:
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"
        assert f"it needs the {minimum} role" in response.json()["detail"]


def test_admin_creates_a_destination_and_the_key_never_comes_back(api_as, fake) -> None:
    client = api_as("admin")
    rejected = client.post(
        "/api/v1/destinations", {"name": "Acme", "api_key": "plausible-but-wrong-key"}, format="json"
    )
    assert rejected.status_code == 400
    assert rejected.json()["errors"][0]["field"] == "api_key"
    assert rejected.json()["errors"][0]["code"] == "key_rejected"
    created = client.post("/api/v1/destinations", {"name": "Acme", "api_key": GOOD_KEY}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["company_name"] == "Acme Health Inc."
    assert body["api_key_last4"] == GOOD_KEY[-4:]
    assert "api_key" not in body
    assert GOOD_KEY not in json.dumps(client.get("/api/v1/destinations").json())
    assert client.post(f"/api/v1/destinations/{body['id']}/verify").json()["ok"] is True


def test_invalid_action_is_refused_with_field_errors_and_preview_codes(api_as, destination) -> None:
    response = api_as("marketer").post(
        "/api/v1/actions",
        {
            "destination": destination.pk,
            "action_type": "custom_event",
            "name": "x",
            "trigger": "event ==",
            "mappings": {"email": "context.", "colour": "event"},
        },
        format="json",
    )
    assert response.status_code == 400
    errors = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert errors == {
        ("trigger", "invalid_expression"),
        ("mappings.email", "invalid_expression"),
        ("mappings.colour", "unknown_field"),
        ("mappings.event_name", "missing_required"),
    }


def test_action_lifecycle_with_versions_and_restore(api_as, destination) -> None:
    client = api_as("marketer")
    created = client.post(
        "/api/v1/actions",
        {
            "destination": destination.pk,
            "action_type": "custom_event",
            "name": "Shipped",
            "trigger": "event == 'Order Shipped'",
            "mappings": {"event_name": "event", "email": "context.traits.email"},
        },
        format="json",
    ).json()
    action_id = created["id"]
    assert created["version"] == 1
    changed = client.patch(
        f"/api/v1/actions/{action_id}",
        {"mappings": {"event_name": "'Shipped'", "email": "context.traits.email"}},
        format="json",
    )
    assert changed.json()["version"] == 2
    assert client.post(f"/api/v1/actions/{action_id}/disable").json()["enabled"] is False
    versions = client.get(f"/api/v1/actions/{action_id}/versions").json()
    assert [v["number"] for v in versions] == [3, 2, 1]
    assert versions[1]["changes"] == [
        {"field": "event_name", "kind": "changed", "before": "event", "after": "'Shipped'"}
    ]
    missing = client.post(f"/api/v1/actions/{action_id}/restore", {"version": 99}, format="json")
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["field"] == "version"
    assert "no version 99" in missing.json()["errors"][0]["message"]
    restored = client.post(f"/api/v1/actions/{action_id}/restore", {"version": 1}, format="json").json()
    assert (restored["version"], restored["mappings"]["event_name"], restored["enabled"]) == (4, "event", True)
    assert client.delete(f"/api/v1/actions/{action_id}").status_code == 204


def test_reorder_sets_positions(api_as, destination, action) -> None:
    second = Action.objects.create(
        destination=destination, action_type="custom_event", name="B", trigger="@", mappings={"event_name": "event"}
    )
    client = api_as("marketer")
    response = client.post(
        "/api/v1/actions/reorder", {"destination": destination.pk, "order": [second.pk, action.pk]}, format="json"
    )
    assert [a["id"] for a in response.json()] == [second.pk, action.pk]
    bad = client.post("/api/v1/actions/reorder", {"destination": destination.pk, "order": [second.pk]}, format="json")
    assert bad.status_code == 400


def test_preview_of_a_saved_action_matches_the_ui_preview(api_as, action) -> None:
    response = api_as("engineer").post("/api/v1/preview", {"action": action.pk, "event": EVENT}, format="json")
    body = response.json()
    expected = preview(
        action.destination, action.action_type, action.trigger, action.mappings, EVENT, action_id=action.pk
    )
    assert body == json.loads(json.dumps(expected.as_dict()))
    assert body["trigger_matched"] is True
    assert body["outcome"] == {"kind": "queued", "reason": ""}
    assert body["request"]["headers"]["Authorization"] == f"Bearer ••••{GOOD_KEY[-4:]}"
    assert body["request"]["body"]["user"] == {"email": "jane@example.com"}


def test_preview_of_an_unsaved_action_reports_errors_with_severity(api_as, destination) -> None:
    response = api_as("engineer").post(
        "/api/v1/preview",
        {
            "destination": destination.pk,
            "action_type": "custom_event",
            "trigger": "@",
            "mappings": {"event_name": "'Order, Shipped'"},
            "event": EVENT,
        },
        format="json",
    )
    errors = {(e["field"], e["code"], e["severity"]) for e in response.json()["errors"]}
    assert ("event_name", "forbidden_character", "error") in errors
    assert ("phone", "missing_identifier", "error") in errors
    assert response.json()["outcome"]["kind"] == "invalid"


def test_presets_come_with_example_events(api_as) -> None:
    presets = api_as("engineer").get("/api/v1/presets").json()
    assert {p["key"] for p in presets} >= {"order_shipped", "profile_enrichment"}
    assert all(p["example_event"] for p in presets)


def test_deliveries_filter_mask_and_replay(api_as, action) -> None:
    event = InboundEvent.objects.create(source="api", event_type="track", message_id="m-1", body=EVENT)
    failed = Delivery.objects.create(
        event=event,
        action=action,
        destination=action.destination,
        action_snapshot={},
        sender_key="k",
        status="failed",
        payload={"type": "x", "user": {"email": "jane@example.com"}},
    )
    engineer = api_as("engineer")
    listed = engineer.get("/api/v1/deliveries", {"status": "dead_letters"}).json()
    assert [d["id"] for d in listed["results"]] == [failed.pk]
    assert "jane@example.com" not in json.dumps(listed)
    detail = engineer.get(f"/api/v1/deliveries/{failed.pk}").json()
    assert detail["attempts"] == []
    replayed = api_as("marketer").post("/api/v1/deliveries/replay", {"ids": [failed.pk]}, format="json")
    assert replayed.status_code == 202
    assert replayed.json()["done"] == 1
    failed.refresh_from_db()
    assert failed.status == Delivery.Status.QUEUED
    assert (
        api_as("admin").get(f"/api/v1/deliveries/{failed.pk}").json()["payload"]["user"]["email"] == "jane@example.com"
    )


def test_write_keys_are_shown_once_and_revoked(api_as) -> None:
    client = api_as("admin")
    created = client.post("/api/v1/write-keys", {"label": "checkout"}, format="json").json()
    assert created["key"].startswith("rwk_")
    assert all(k["key"] is None for k in client.get("/api/v1/write-keys").json()["results"])
    assert client.delete(f"/api/v1/write-keys/{created['id']}").status_code == 204
    assert WriteKey.objects.get().revoked_at is not None


def test_a_browser_sources_origins_change_through_the_api_as_on_its_page(api_as) -> None:
    client = api_as("admin")
    created = client.post(
        "/api/v1/write-keys",
        {"label": "Storefront", "kind": "browser", "allowed_origins": ["https://shop.example.com"]},
        format="json",
    ).json()
    url = f"/api/v1/write-keys/{created['id']}"
    changed = client.patch(url, {"allowed_origins": ["https://m.shop.example.com"]}, format="json")
    assert changed.status_code == 200
    assert changed.json()["allowed_origins"] == ["https://m.shop.example.com"]
    refused = client.patch(url, {"allowed_origins": ["shop.example.com/cart"]}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "allowed_origins"
    assert api_as("engineer").patch(url, {"allowed_origins": []}, format="json").status_code == 403
    assert api_as("engineer").get(url).json()["key"] is None


def test_audit_log_records_changes_and_filters(api_as, destination) -> None:
    api_as("marketer").post(
        "/api/v1/actions",
        {
            "destination": destination.pk,
            "action_type": "custom_event",
            "name": "A",
            "trigger": "@",
            "mappings": {"event_name": "event", "email": "context.traits.email"},
        },
        format="json",
    )
    entries = api_as("admin").get("/api/v1/audit-log", {"verb": "action_created"}).json()["results"]
    assert [(e["verb"], e["target_name"]) for e in entries] == [("action_created", "A")]


def test_audit_entries_cannot_be_changed_or_deleted(db) -> None:
    entry = AuditEntry.objects.create(verb="x")
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()


def test_config_export_import_round_trip_is_idempotent(api_as, action) -> None:
    client = api_as("admin")
    document = client.get("/api/v1/config").json()
    assert GOOD_KEY not in json.dumps(document)
    assert document["destinations"][0]["actions"][0]["name"] == "Shipped"
    document["destinations"][0]["actions"].append(
        {
            "name": "New",
            "action_type": "custom_event",
            "trigger": "@",
            "mappings": {"event_name": "event", "email": "context.traits.email"},
            "enabled": True,
        }
    )
    first = client.post("/api/v1/config", document, format="json").json()
    assert first["actions_created"] == 1
    second = client.post("/api/v1/config", document, format="json").json()
    assert second["actions_created"] == second["actions_updated"] == second["destinations_updated"] == 0
    assert Action.objects.get(name="Shipped").version == 1


def test_a_subscribe_action_and_its_disclosure_travel_together_in_the_config(api_as, destination) -> None:
    from destinations.attentive import ATTENTIVE

    preset = ATTENTIVE.action("subscribe").presets[0]
    destination.subscription_disclosure = "Reply STOP to cancel."
    destination.save()
    Action.objects.create(
        destination=destination,
        action_type="subscribe",
        name="Subscribed",
        trigger=preset.trigger,
        mappings=dict(preset.mappings),
    )
    client = api_as("admin")
    document = client.get("/api/v1/config").json()
    assert document["destinations"][0]["subscription_disclosure"] == "Reply STOP to cancel."
    Action.objects.all().delete()
    destination.subscription_disclosure = ""
    destination.save()
    answer = client.post("/api/v1/config", document, format="json")
    assert answer.status_code == 200, answer.json()
    destination.refresh_from_db()
    assert destination.subscription_disclosure == "Reply STOP to cancel."
    assert Action.objects.get(name="Subscribed").enabled
    document["destinations"][0]["subscription_disclosure"] = ""
    refused = client.post("/api/v1/config", document, format="json")
    assert refused.status_code == 400
    assert "disclosure" in json.dumps(refused.json())


def test_config_import_is_all_or_nothing_and_lists_every_problem(api_as, destination) -> None:
    document = {
        "format": "relay-config",
        "version": 1,
        "destinations": [
            {
                "name": "Fresh",
                "actions": [
                    {
                        "name": "ok",
                        "action_type": "custom_event",
                        "trigger": "@",
                        "mappings": {"event_name": "event", "email": "context.traits.email"},
                    }
                ],
            },
            {
                "name": "Acme",
                "default_region": "ZZ",
                "actions": [{"name": "bad", "action_type": "custom_event", "trigger": "(", "mappings": {}}],
            },
        ],
    }
    response = api_as("admin").post("/api/v1/config", document, format="json")
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {
        "destinations.1.default_region",
        "destinations.1.actions.0.trigger",
        "destinations.1.actions.0.mappings.event_name",
    }
    assert not Destination.objects.filter(name="Fresh").exists()


def test_config_commands_round_trip(tmp_path, action) -> None:
    path = tmp_path / "relay.json"
    call_command("export_config", "--output", str(path))
    Action.objects.all().delete()
    out = StringIO()
    call_command("import_config", str(path), stdout=out)
    assert json.loads(out.getvalue())["actions_created"] == 1
    assert Action.objects.get().mappings == {"event_name": "event", "email": "context.traits.email"}


def test_create_api_token_command_prints_a_working_token(db) -> None:
    from django.contrib.auth import get_user_model

    from accounts.roles import set_role

    user = get_user_model().objects.create_user("ci")
    set_role(user, "engineer")
    out = StringIO()
    call_command("create_api_token", "ci", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/actions").status_code == 200


def test_schema_and_docs_are_served_offline(api_as, client) -> None:
    assert api_as("engineer").get("/api/schema/").status_code == 200
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("docs")
    from accounts.roles import set_role

    set_role(user, "engineer")
    client.force_login(user)
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()


def test_the_schema_documents_the_ingest_endpoints_with_their_errors(client) -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    events = schema["paths"]["/api/v1/events"]["post"]
    assert {"202", "400", "401", "413", "415", "422", "503"} <= set(events["responses"])
    assert "64 KB an event" in events["description"]
    for call in ("track", "identify", "page", "screen", "group", "alias", "batch"):
        assert f"/v1/{call}" in schema["paths"]


def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_documented_preview_result_lists_every_key_the_preview_answers(api_as, action) -> None:
    documented = _schema()["components"]["schemas"]["PreviewResult"]["properties"]
    answered = api_as("engineer").post("/api/v1/preview", {"action": action.pk, "event": EVENT}, format="json")
    assert {"outcome", "summary"} <= set(documented)
    assert set(documented) == set(answered.json())


def test_the_erasure_endpoint_documents_the_status_it_answers(api_as) -> None:
    documented = set(_schema()["paths"]["/api/v1/erasure-requests"]["post"]["responses"])
    response = api_as("admin").post("/api/v1/erasure-requests", {"email": "jane@example.com"}, format="json")
    assert documented == {str(response.status_code)} == {"202"}


def _examples(operation: dict) -> list:
    return [
        example["value"] for example in operation["requestBody"]["content"]["application/json"]["examples"].values()
    ]


def test_the_documented_example_event_and_batch_are_accepted(client) -> None:
    _, raw = WriteKey.issue("docs")
    examples = _examples(_schema()["paths"]["/api/v1/events"]["post"])
    assert len(examples) == 2
    for example in examples:
        response = client.post(
            "/api/v1/events", example, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
        )
        assert response.status_code == 202
        body = response.json()
        assert body.get("status") == "accepted" or body.get("accepted") == len(example)


def test_the_documented_example_mapping_is_saved_and_previews_a_request(api_as, destination) -> None:
    schema = _schema()
    (action,) = _examples(schema["paths"]["/api/v1/actions"]["post"])
    created = api_as("marketer").post("/api/v1/actions", {**action, "destination": destination.pk}, format="json")
    assert created.status_code == 201
    for example in _examples(schema["paths"]["/api/v1/preview"]["post"]):
        example = {**example, "destination": destination.pk} if "destination" in example else example
        example = {**example, "action": created.json()["id"]} if "action" in example else example
        result = api_as("engineer").post("/api/v1/preview", example, format="json").json()
        assert result["trigger_matched"]
        assert result["outcome"]["kind"] == "queued"
        assert not [error for error in result["errors"] if error["severity"] == "error"]


def test_invalid_deliveries_are_rerun_through_the_api(api_as, action) -> None:
    event = InboundEvent.objects.create(
        source="api", event_type="track", message_id="m-rerun", body={**EVENT, "event": "Order Shipped"}
    )
    delivery = Delivery.objects.create(
        event=event,
        action=action,
        destination=action.destination,
        action_snapshot={},
        sender_key="k",
        status="invalid",
    )
    response = api_as("marketer").post("/api/v1/deliveries/rerun", {"ids": [delivery.pk]}, format="json")
    assert response.status_code == 200
    assert response.json()["rerun"] == 1
    assert api_as("marketer").post("/api/v1/deliveries/rerun", {"ids": [[1]]}, format="json").status_code == 400


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"filter": {"destination": "²"}}, "filter"),
        ({"filter": {"destinaton": "1"}}, "filter"),
        ({"filter": "destination=1"}, "filter"),
        ({}, "ids"),
    ],
)
def test_a_rerun_by_a_filter_it_cannot_read_is_a_400_naming_the_field_and_reruns_nothing(
    api_as, action, body: dict, field: str
) -> None:
    event = InboundEvent.objects.create(source="api", event_type="track", message_id="m-bad", body=EVENT)
    delivery = Delivery.objects.create(
        event=event, action=action, destination=action.destination, action_snapshot={}, sender_key="k", status="invalid"
    )
    response = api_as("marketer").post("/api/v1/deliveries/rerun", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"].split(".")[0] == field
    delivery.refresh_from_db()
    assert delivery.status == "invalid"


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "x" * 201},
        {"trigger": ["not", "text"]},
        {"mappings": {"event_name": 5}},
        {"mappings": {"event_name": "x" * 2001}},
        {"mappings": {"nope": "event"}},
        {"trigger": "("},
    ],
)
def test_config_import_refuses_an_action_as_the_api_does_in_the_same_words(api_as, destination, bad: dict) -> None:
    action = {
        "name": "Shipped",
        "action_type": "custom_event",
        "trigger": "@",
        "mappings": {"event_name": "event", "email": "context.traits.email"},
        "enabled": False,
        **bad,
    }
    client = api_as("admin")
    by_api = client.post("/api/v1/actions", {**action, "destination": destination.pk}, format="json")
    document = {"format": "relay-config", "version": 1, "destinations": [{"name": "Acme", "actions": [action]}]}
    by_import = client.post("/api/v1/config", document, format="json")
    assert by_api.status_code == by_import.status_code == 400
    api_messages = {(error["message"], error["code"]) for error in by_api.json()["errors"]}
    import_messages = {(error["message"], error["code"]) for error in by_import.json()["errors"]}
    assert api_messages == import_messages


def test_config_import_refuses_an_action_that_could_deliver_nothing_as_the_api_does(api_as, destination) -> None:
    action = {"name": "Nobody", "action_type": "custom_event", "trigger": "@", "mappings": {"event_name": "event"}}
    client = api_as("admin")
    by_api = client.post("/api/v1/actions", {**action, "destination": destination.pk}, format="json")
    document = {"format": "relay-config", "version": 1, "destinations": [{"name": "Acme", "actions": [action]}]}
    by_import = client.post("/api/v1/config", document, format="json")
    ((api_field, *api_error),) = [(e["field"], e["message"], e["code"]) for e in by_api.json()["errors"]]
    ((import_field, *import_error),) = [(e["field"], e["message"], e["code"]) for e in by_import.json()["errors"]]
    assert api_error == import_error
    assert api_error[1] == "no_identifier_mapped"
    assert import_field == f"destinations.0.actions.0.{api_field}"


def test_config_import_wants_enabled_as_true_or_false(api_as, destination) -> None:
    action = {"name": "A", "action_type": "custom_event", "trigger": "@", "mappings": {}, "enabled": "yes"}
    document = {"format": "relay-config", "version": 1, "destinations": [{"name": "Acme", "actions": [action]}]}
    answer = api_as("admin").post("/api/v1/config", document, format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "destinations.0.actions.0.enabled"


def test_an_admin_records_the_sign_up_disclosure_and_defaults_over_the_api_audited(api_as) -> None:
    destination = Destination.objects.create(name="Acme")
    changes = {
        "subscription_disclosure": "I agree to texts.",
        "default_locale": "fr-CA",
        "default_sign_up_source_id": "9",
    }
    response = api_as("admin").patch(f"/api/v1/destinations/{destination.pk}", changes, format="json")
    assert response.status_code == 200
    assert {key: response.json()[key] for key in changes} == changes
    destination.refresh_from_db()
    assert destination.subscription_disclosure == "I agree to texts."
    entry = AuditEntry.objects.get(verb="destination_changed")
    assert entry.details == {"fields": sorted(changes)}
    assert "(fields default_locale, default_sign_up_source_id, subscription_disclosure)" in entry.sentence


def test_only_admins_record_the_sign_up_disclosure(api_as) -> None:
    destination = Destination.objects.create(name="Acme")
    response = api_as("marketer").patch(
        f"/api/v1/destinations/{destination.pk}", {"subscription_disclosure": "x"}, format="json"
    )
    assert response.status_code == 403
    destination.refresh_from_db()
    assert destination.subscription_disclosure == ""


def test_a_default_locale_that_is_no_locale_is_refused_naming_the_field(api_as) -> None:
    destination = Destination.objects.create(name="Acme")
    response = api_as("admin").patch(
        f"/api/v1/destinations/{destination.pk}", {"default_locale": "english"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "default_locale"


def test_the_documented_destination_settings_example_is_accepted(api_as) -> None:
    destination = Destination.objects.create(name="Acme")
    (changes,) = _examples(_schema()["paths"]["/api/v1/destinations/{id}"]["patch"])
    response = api_as("admin").patch(f"/api/v1/destinations/{destination.pk}", changes, format="json")
    assert response.status_code == 200
    destination.refresh_from_db()
    assert (destination.test_mode, destination.default_locale) == (False, "en-US")


@pytest.mark.parametrize(
    ("path", "role", "body"),
    [
        ("/api/v1/destinations/{destination}", "admin", {"consent_category": "Marketing", "name": "Renamed"}),
        ("/api/v1/actions/{action}", "marketer", {"nmae": "Shipped"}),
    ],
)
def test_a_name_the_request_has_no_field_for_is_refused_and_nothing_changes(
    api_as, destination, action, path: str, role: str, body: dict
) -> None:
    since = AuditEntry.objects.count()
    response = api_as(role).patch(path.format(destination=destination.pk, action=action.pk), body, format="json")
    assert response.status_code == 400
    unknown = [error for error in response.json()["errors"] if error["code"] == "unknown_field"]
    assert [error["field"] for error in unknown] == [name for name in body if name not in ("name",)]
    destination.refresh_from_db()
    assert destination.name == "Acme"
    assert AuditEntry.objects.count() == since


def test_saving_a_destination_as_it_is_records_nothing_from_the_api_or_the_page(api_as, destination) -> None:
    from django.test import Client

    from tests.mapper.test_trial_send import signed_in

    since_pk = AuditEntry.objects.order_by("pk").values_list("pk", flat=True).last() or 0
    same = api_as("admin").patch(f"/api/v1/destinations/{destination.pk}", {"type": "attentive"}, format="json")
    assert same.status_code == 200
    page: Client = signed_in("admin")
    form = page.get(f"/destinations/{destination.pk}/edit/").context["form"]
    data = {name: value for name, value in form.initial.items() if value not in (None, False)}
    assert page.post(f"/destinations/{destination.pk}/edit/", data).status_code == 302
    assert list(AuditEntry.objects.filter(verb="destination_changed").values_list("details", flat=True)) == []
    assert not AuditEntry.objects.filter(pk__gt=since_pk).exclude(verb="login").exists()


def test_importing_the_file_just_exported_changes_nothing_whatever_numbers_the_positions_hold(
    api_as, destination
) -> None:
    for name, position in (("First", 10), ("Second", 25), ("Third", 40)):  # gaps a deletion or reorder leaves
        Action.objects.create(
            destination=destination,
            name=name,
            action_type="custom_event",
            trigger="@",
            mappings={"event_name": "event", "email": "context.traits.email"},
            position=position,
        )
    client = api_as("admin")
    before = {a.pk: (a.updated_at, a.position) for a in Action.objects.all()}
    answer = client.post("/api/v1/config", client.get("/api/v1/config").json(), format="json").json()
    assert answer["actions_updated"] == answer["destinations_updated"] == 0
    assert {a.pk: (a.updated_at, a.position) for a in Action.objects.all()} == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "Acme", "api_key": GOOD_KEY}, "name", "A destination with this name exists already."),
        ({"name": "ACME", "api_key": GOOD_KEY}, "name", "A destination with this name exists already."),
        ({"name": "Other"}, "api_key", "An API key is required."),
        ({"name": "Other", "api_key": ""}, "api_key", "An API key is required."),
        ({"name": "", "api_key": GOOD_KEY}, "name", "This field is required."),
        ({"name": "Other", "api_key": "plausible-but-wrong-key"}, "api_key", "The key did not work: "),
    ],
)
def test_creating_a_destination_is_refused_in_the_same_words_by_the_page_and_the_api(
    api_as, destination, fake, body: dict, field: str, message: str
) -> None:
    from tests.mapper.test_trial_send import signed_in

    by_api = api_as("admin").post("/api/v1/destinations", body, format="json").json()["errors"]
    page_form = {**body, "default_region": "US"}  # the page's form asks for the region the API defaults
    by_page = signed_in("admin").post("/destinations/new/", page_form).context["form"].errors
    assert next(error["message"] for error in by_api if error["field"] == field).startswith(message)
    assert by_page[field][0].startswith(message)
    assert [error["message"] for error in by_api if error["field"] == field] == by_page[field]


def test_a_delivery_its_destination_holds_back_says_why_in_the_api(api_as, action) -> None:
    # Outside test: the API showed only "Attentive answered 503; the request will be retried." with a
    # next attempt long past, for a delivery of a destination put in test mode.
    event = InboundEvent.objects.create(source="api", event_type="track", message_id="m-held", body=EVENT)
    held = Delivery.objects.create(
        event=event,
        action=action,
        destination=action.destination,
        action_snapshot={},
        sender_key="k",
        status="retrying",
        reason="Attentive answered 503; the request will be retried.",
    )
    Destination.objects.filter(pk=action.destination_id).update(test_mode=True)
    shown = api_as("engineer").get(f"/api/v1/deliveries/{held.pk}").json()
    assert shown["waiting"].startswith("Waiting: the destination is in test mode")
    Destination.objects.filter(pk=action.destination_id).update(test_mode=False)
    assert api_as("engineer").get(f"/api/v1/deliveries/{held.pk}").json()["waiting"] == ""

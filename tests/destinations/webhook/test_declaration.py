"""What generic code says of a destination, it reads from the type's declaration: with the webhook type of
this package registered, nothing of Attentive's shows (creating one, its skip reasons, the default type)."""

from datetime import UTC, datetime

import pytest

from destinations.models import Destination
from destinations.privacy import PrivacyPolicy
from mapper.config_io import import_config
from mapper.pipeline import ActionConfig, never_delivers, run_action
from tests.destinations.webhook import EXAMPLE_EVENT, WEBHOOK

pytestmark = pytest.mark.django_db


def test_a_configuration_file_without_a_type_imports_the_default_type(webhook_only) -> None:
    document = {
        "format": "relay-config",
        "version": 1,
        "destinations": [
            {
                "name": "Orders hook",
                "test_mode": True,
                "actions": [
                    {
                        "name": "Shipped",
                        "action_type": "webhook_post",
                        "trigger": "event == 'Order Shipped'",
                        "mappings": {"event": "event", "user_id": "userId"},
                    }
                ],
            }
        ],
    }
    result = import_config(document)
    assert result.problems == []
    assert Destination.objects.get(name="Orders hook").type == WEBHOOK.key


def _posted(mappings: dict[str, str], event: dict | None = None):
    config = ActionConfig.of(WEBHOOK.key, "webhook_post", "type == 'track'", mappings, 1)
    return run_action(
        config, event or EXAMPLE_EVENT, now=datetime(2026, 11, 27, 10, tzinfo=UTC), policy=PrivacyPolicy()
    )


def test_an_event_about_nobody_is_skipped_for_the_reason_the_webhook_declares(webhook_type) -> None:
    result = _posted({"event": "event", "user_id": "context.traits.customerId"})
    assert (result.outcome.kind, result.outcome.reason) == (
        "skipped",
        "Skipped: the event names no user, so nothing is posted to the webhook.",
    )


def test_a_webhook_skip_code_beside_another_error_leaves_the_request_invalid(webhook_type) -> None:
    result = _posted({"event": "event", "user_id": "context.traits.customerId", "amount": "properties.order_id"})
    assert result.outcome.kind == "invalid"


def test_a_webhook_action_mapping_no_identifier_names_the_webhooks_identifier(webhook_type) -> None:
    config = ActionConfig.of(WEBHOOK.key, "webhook_post", "type == 'track'", {"event": "event", "user_id": ""}, 1)
    problems = [(e.field, e.code, e.message) for e in never_delivers(config) if e.code == "no_identifier_mapped"]
    assert problems == [
        ("user_id", "no_identifier_mapped", "No identifier is mapped (user id): nothing could be sent.")
    ]


@pytest.mark.parametrize(
    ("mappings", "properties"),
    [
        ({"data.diagnosis": "properties.note"}, {"note": "follow-up"}),
        ({"data.visit": "properties.visit"}, {"visit": {"when": "tomorrow", "diagnosis": "follow-up"}}),
        ({"data.visits": "properties.visits"}, {"visits": [{"diagnosis": "follow-up"}]}),
    ],
    ids=["top-level name", "nested name", "name inside a list"],
)
def test_a_health_name_anywhere_in_a_webhook_body_stops_the_request(webhook_type, mappings, properties) -> None:
    event = {**EXAMPLE_EVENT, "properties": properties}
    result = _posted({"event": "event", "user_id": "userId", **mappings}, event)
    (key,) = mappings
    assert result.request.body[key.removeprefix("data.")] == properties[next(iter(properties))]
    assert result.outcome.kind == "blocked"
    assert [(e.field, e.code) for e in result.errors] == [(key, "blocked_by_rule")]
    assert "health information may not be sent to Webhook" in result.errors[0].message


def test_a_webhook_body_of_ordinary_names_and_values_is_posted(webhook_type) -> None:
    event = {**EXAMPLE_EVENT, "properties": {"carrier": "UPS", "box": {"sku": "A-12", "size": "M"}}}
    result = _posted(
        {"event": "event", "user_id": "userId", "data.carrier": "properties.carrier", "data.box": "properties.box"},
        event,
    )
    assert result.outcome.kind == "queued"
    assert result.request.body == {
        "event": "Order Shipped",
        "user_id": "user-1042",
        "carrier": "UPS",
        "box": {"sku": "A-12", "size": "M"},
    }


def test_a_health_event_name_is_judged_where_the_webhook_says_the_name_is(webhook_type) -> None:
    result = _posted({"event": "'Diagnosis Recorded'", "user_id": "userId"})
    assert result.outcome.kind == "blocked"
    assert [(e.field, e.code) for e in result.errors] == [("event", "blocked_by_rule")]
    assert result.errors[0].message.startswith("The event name matches the privacy rule")


def test_the_preview_says_what_a_webhook_action_does_and_that_a_skipped_one_does_nothing(webhook_type) -> None:
    from mapper.preview import preview

    hook = _hook()
    mappings = {"event": "event", "user_id": "userId"}
    sent = preview(hook, "webhook_post", "type == 'track'", mappings, EXAMPLE_EVENT).summary
    assert sent == "Posts “Order Shipped” about this person to the webhook."
    about_nobody = {key: value for key, value in EXAMPLE_EVENT.items() if key != "userId"}
    unsent = preview(hook, "webhook_post", "type == 'track'", mappings, about_nobody).summary
    assert (
        unsent
        == "Nothing: this event is not sent. Skipped: the event names no user, so nothing is posted to the webhook."
    )


def _hook(**settings: object) -> Destination:
    destination = Destination(name="Orders hook", type=WEBHOOK.key, default_region="US", **settings)
    destination.set_api_key("webhook-shared-secret-0001")
    destination.save()
    return destination


def test_the_pages_of_a_webhook_destination_name_the_webhook_not_attentive(client, webhook_only) -> None:
    from mapper.models import Action
    from tests.crawl import user_of

    hook = _hook(company_name="Hooks Inc.")
    action = Action.objects.create(
        destination=hook,
        action_type="webhook_post",
        name="Shipped",
        trigger="type == 'track'",
        mappings={"event": "event", "user_id": "userId"},
        enabled=True,
    )
    client.force_login(user_of("admin"))
    pages = {
        "list": client.get("/destinations/").content.decode(),
        "actions": client.get(f"/destinations/{hook.pk}/").content.decode(),
        "privacy": client.get(f"/destinations/{hook.pk}/privacy/").content.decode(),
        "confirm disable": client.post(f"/actions/{action.pk}/toggle/", {"enabled": "0"}).content.decode(),
    }
    assert "Add a Webhook destination" in pages["list"]
    assert "<dt>Webhook company</dt>" in pages["actions"]
    assert "sends what it matches to Webhook." in pages["confirm disable"]
    assert {name: "Attentive" in html for name, html in pages.items()} == dict.fromkeys(pages, False)


def test_a_live_webhook_test_send_does_not_take_a_data_row_named_phone_for_the_person(webhook_type) -> None:
    from mapper.preview import preview
    from mapper.trial_send import confirmation

    hook = _hook()
    event = {**EXAMPLE_EVENT, "properties": {"phone": "+14155552671", "email": "jane@example.com"}}
    mappings = {
        "event": "event",
        "user_id": "userId",
        "data.phone": "properties.phone",
        "data.email": "properties.email",
    }
    shown = preview(hook, "webhook_post", "type == 'track'", mappings, event)
    assert shown.result.request.body["phone"] == "+14155552671"
    assert confirmation(hook, WEBHOOK.action("webhook_post"), shown, shows_values=True) == (
        "This is the live Webhook account of Orders hook: it posts “Order Shipped” about the person in the sample "
        "to the webhook. It cannot be undone."
    )

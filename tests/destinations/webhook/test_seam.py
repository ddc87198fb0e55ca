"""A destination type declared in its own package and registered is enough: the preview, delivery and the
crawl work for the webhook type of this package with no line of the product naming it."""

import json

import pytest
from django.test import Client

from destinations.models import Destination
from destinations.verification import verify_destination
from executor.models import Delivery
from mapper.models import Action
from tests.crawl import ROLES, build_world, crawl, editor_urls, user_of
from tests.destinations.webhook import EXAMPLE_EVENT, WEBHOOK
from tests.destinations.webhook.client import BASE_URL
from tests.destinations.webhook.server import SECRET
from tests.executor.flows import accept, action_from_preset, route_and_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook(webhook_type) -> Destination:
    destination = Destination(name="Orders hook", type=WEBHOOK.key, default_region="US")
    destination.set_api_key(SECRET)
    destination.full_clean()
    destination.save()
    return destination


def test_a_destination_of_a_registered_type_is_valid_without_a_migration(hook) -> None:
    assert Destination.objects.get(pk=hook.pk).definition is WEBHOOK


def test_the_preview_api_shows_the_exact_request_of_a_webhook_action(api_as, hook) -> None:
    action = action_from_preset(hook, "webhook_post")
    response = api_as("engineer").post("/api/v1/preview", {"action": action.pk, "event": EXAMPLE_EVENT}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["outcome"] == {"kind": "queued", "reason": ""}
    assert body["request"]["method"] == "POST"
    assert body["request"]["url"] == f"{BASE_URL['url']}/hook"
    assert body["request"]["headers"]["X-Webhook-Secret"] == f"••••{SECRET[-4:]}"
    assert body["request"]["body"] == {"event": "Order Shipped", "user_id": "user-1042", "amount": 86.4}


def test_the_preview_api_puts_a_webhook_builders_errors_on_their_fields(api_as, hook) -> None:
    response = api_as("engineer").post(
        "/api/v1/preview",
        {
            "destination": hook.pk,
            "action_type": "webhook_post",
            "trigger": "type == 'track' && event == 'Order Shipped'",
            "mappings": {"event": "event", "amount": "properties.order_id"},
            "event": EXAMPLE_EVENT,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    errors = {(e["field"], e["code"], e["severity"]) for e in response.json()["errors"]}
    assert ("amount", "invalid_amount", "error") in errors
    assert ("user_id", "no_user", "error") in errors
    assert response.json()["outcome"]["kind"] == "invalid"


def test_the_preview_says_the_webhook_not_attentive_refuses_a_body_its_schema_does_not_accept(api_as, hook) -> None:
    response = api_as("engineer").post(
        "/api/v1/preview",
        {
            "destination": hook.pk,
            "action_type": "webhook_post",
            "trigger": "type == 'track'",
            "mappings": {"event": "'" + "x" * 101 + "'", "user_id": "userId"},
            "event": EXAMPLE_EVENT,
        },
        format="json",
    )
    body = response.json()
    (error,) = [e for e in body["errors"] if e["code"] == "invalid_value"]
    assert error["field"] == "event"
    assert error["message"] == "Webhook does not accept the value at event (rule: maxLength)."
    assert body["outcome"]["reason"].startswith("Not sent, Webhook would refuse it. “event”:")


def test_the_preview_page_of_a_webhook_action_shows_its_request_and_field_errors(client, hook) -> None:
    client.force_login(user_of("engineer"))
    assert client.get(f"/destinations/{hook.pk}/actions/new/?preset=webhook_order_shipped").status_code == 200
    answer = client.post(
        f"/destinations/{hook.pk}/actions/preview/webhook_post/",
        {
            "name": "Hook",
            "trigger": "type == 'track' && event == 'Order Shipped'",
            "map__event": "event",
            "map__user_id": "userId",
            "map__amount": "properties.order_id",
            "sample_event": json.dumps(EXAMPLE_EVENT),
        },
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert f"POST {BASE_URL['url']}/hook" in html
    assert "The amount is not a number." in html


def test_an_event_routed_to_an_enabled_webhook_action_is_posted_to_it(receiver, hook) -> None:
    Action.objects.filter(pk=action_from_preset(hook, "webhook_post").pk).update(enabled=True)
    accept(EXAMPLE_EVENT)
    delivery = route_and_send(hook)
    assert delivery.status == Delivery.Status.DELIVERED, delivery.last_error
    assert receiver.received == [("/hook", {"event": "Order Shipped", "user_id": "user-1042", "amount": 86.4})]


@pytest.mark.parametrize("role", ROLES)
def test_no_page_a_role_reaches_fails_with_a_webhook_destination(webhook_type, role: str) -> None:
    world = build_world()
    assert WEBHOOK.key in {d.type for d in world.destinations}
    client = Client(raise_request_exception=False)
    client.force_login(user_of(role))

    def get(url: str) -> tuple[int, str, str]:
        response = client.get(url)
        content_type = response.get("Content-Type", "")
        body = response.content.decode() if content_type.startswith("text/html") else ""
        return response.status_code, content_type, body

    visits = crawl(get, ["/", *editor_urls(world)])
    broken = [f"{v.status} {v.url} (linked from {v.linked_from or 'the start'})" for v in visits if v.status >= 500]
    assert not broken, "\n".join(broken)
    assert f"/destinations/{world.destinations[-1].pk}/" in {v.url for v in visits}


def test_checking_a_webhooks_secret_names_the_webhook_in_what_went_wrong(receiver, hook) -> None:
    assert verify_destination(hook).ok
    hook.set_api_key("a-wrong-shared-secret")
    hook.save()
    refused = verify_destination(hook)
    assert not refused.ok
    assert refused.message == "The key did not work: The webhook refused the secret (401)."


def test_a_value_the_privacy_rules_stop_may_not_be_sent_to_the_webhook_and_the_preview_says_so(api_as, hook) -> None:
    event = {**EXAMPLE_EVENT, "properties": {"diagnosis": "asthma"}}
    response = api_as("engineer").post(
        "/api/v1/preview",
        {
            "destination": hook.pk,
            "action_type": "webhook_post",
            "trigger": "type == 'track'",
            "mappings": {"event": "event", "user_id": "properties.diagnosis"},
            "event": event,
        },
        format="json",
    )
    body = response.json()
    (stop,) = [e for e in body["errors"] if e["code"] == "blocked_by_rule"]
    assert stop["field"] == "user_id"
    assert "health information may not be sent to Webhook." in stop["message"]
    assert "Attentive" not in json.dumps(body)
    assert body["outcome"]["kind"] == "blocked"

"""Creating a destination of the webhook type, from the page and from the API: the type is chosen (from a
select only when there is a choice), and what the key field says and how a key is judged are the type's."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from accounts.models import AuditEntry
from destinations.models import Destination
from tests.crawl import user_of
from tests.destinations.webhook import WEBHOOK
from tests.destinations.webhook.server import SECRET

pytestmark = pytest.mark.django_db

SHORT_FOR_A_WEBHOOK = "plausible-for-attentive!"  # visible ASCII, but not the webhook's shape


def _create_page(client) -> str:
    client.force_login(user_of("admin"))
    response = client.get("/destinations/new/")
    assert response.status_code == 200
    return response.content.decode()


def test_with_two_types_the_create_page_offers_a_select_of_both(client, webhook_type) -> None:
    page = _create_page(client)
    (select,) = re.findall(r'<select name="type"[^>]*>(.*?)</select>', page, re.S)
    assert re.findall(r'<option value="(\w+)"[^>]*>(\w+)</option>', select) == [
        ("attentive", "Attentive"),
        ("webhook", "Webhook"),
    ]
    assert "<h1>Add a destination</h1>" in page


def test_with_the_webhook_only_the_create_page_implies_it_and_speaks_of_it(client, webhook_only) -> None:
    page = _create_page(client)
    assert 'name="type"' not in page
    assert "<h1>Add a Webhook destination</h1>" in page
    assert "From Webhook: the shared secret the webhook expects in its X-Webhook-Secret header." in page
    assert "Attentive" not in page


def test_the_page_creates_a_webhook_destination_checked_with_the_webhooks_client(
    client, receiver, webhook_type
) -> None:
    client.force_login(user_of("admin"))
    response = client.post(
        "/destinations/new/", {"name": "Orders hook", "type": "webhook", "api_key": SECRET, "default_region": "US"}
    )
    assert response.status_code == 302, response.content.decode()
    created = Destination.objects.get(name="Orders hook")
    assert (created.type, created.company_name, created.api_key_last4) == ("webhook", "Webhook", SECRET[-4:])
    assert AuditEntry.objects.filter(verb="destination_created").count() == 1


def test_the_page_refuses_a_key_that_cannot_be_a_webhooks_in_the_webhooks_words(client, webhook_type) -> None:
    client.force_login(user_of("admin"))
    response = client.post(
        "/destinations/new/",
        {"name": "Orders hook", "type": "webhook", "api_key": SHORT_FOR_A_WEBHOOK, "default_region": "US"},
    )
    assert response.status_code == 400
    assert "That is not a Webhook API key: expected 16 to 128 letters, digits or dashes." in response.content.decode()
    assert not Destination.objects.exists()


def test_the_api_creates_a_destination_of_the_type_asked_for(api_as, receiver, webhook_type) -> None:
    response = api_as("admin").post(
        "/api/v1/destinations", {"name": "Orders hook", "type": "webhook", "api_key": SECRET}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["type"] == "webhook"
    assert Destination.objects.get(name="Orders hook").definition is WEBHOOK


def test_the_api_refuses_a_type_relay_does_not_know_naming_the_field(api_as, webhook_type) -> None:
    response = api_as("admin").post(
        "/api/v1/destinations", {"name": "Orders hook", "type": "carrier-pigeon", "api_key": SECRET}, format="json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("type", "invalid_choice")]


def test_the_api_judges_a_key_by_the_shape_the_type_declares(api_as, webhook_type) -> None:
    response = api_as("admin").post(
        "/api/v1/destinations",
        {"name": "Orders hook", "type": "webhook", "api_key": SHORT_FOR_A_WEBHOOK},
        format="json",
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["field"], error["code"]) == ("api_key", "invalid_key")
    assert error["message"] == "Expected 16 to 128 letters, digits or dashes."


def test_without_a_type_the_api_creates_one_of_the_default_type(api_as, receiver, webhook_only) -> None:
    response = api_as("admin").post("/api/v1/destinations", {"name": "Orders hook", "api_key": SECRET}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["type"] == "webhook"


def test_a_destinations_type_cannot_change_once_it_is_created(api_as, receiver, webhook_type) -> None:
    admin = api_as("admin")
    created = admin.post(
        "/api/v1/destinations", {"name": "Orders hook", "type": "webhook", "api_key": SECRET}, format="json"
    )
    response = admin.patch(f"/api/v1/destinations/{created.json()['id']}", {"type": "attentive"}, format="json")
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("type", "read_only")]
    assert Destination.objects.get(name="Orders hook").type == "webhook"
    assert (
        admin.patch(f"/api/v1/destinations/{created.json()['id']}", {"type": "webhook"}, format="json").status_code
        == 200
    )


def test_the_api_describes_the_key_check_of_each_registered_type(webhook_type) -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    key = schema["components"]["schemas"]["DestinationRequest"]["properties"]["api_key"]
    assert key["description"] == (
        "Write-only. Attentive: Checked against Attentive (GET /v1/me) before it is stored. "
        "Webhook: Checked against Webhook (GET /hook) before it is stored."
    )

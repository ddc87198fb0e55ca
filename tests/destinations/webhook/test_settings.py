"""A destination has the settings its type declares (DestinationType.settings) besides every destination's: a
webhook has none of Attentive's subscription settings on its page, in the API or for its builders."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from destinations.models import Destination
from tests.crawl import user_of
from tests.destinations.webhook import WEBHOOK
from tests.destinations.webhook.server import SECRET

pytestmark = pytest.mark.django_db

SUBSCRIPTION_SETTINGS = ("subscription_disclosure", "default_locale", "default_sign_up_source_id")


def _hook() -> Destination:
    destination = Destination(name="Orders hook", type=WEBHOOK.key, subscription_disclosure="I agree to texts.")
    destination.set_api_key(SECRET)
    destination.save()
    return destination


def _field_names(html: str) -> set[str]:
    return set(re.findall(r'name="(\w+)"', html))


def test_a_webhooks_settings_page_shows_only_every_destinations_settings(client, webhook_type) -> None:
    hook = _hook()
    client.force_login(user_of("admin"))
    page = client.get(f"/destinations/{hook.pk}/edit/").content.decode()
    assert {"name", "default_region", "test_mode", "enabled"} <= _field_names(page)
    assert _field_names(page).isdisjoint(SUBSCRIPTION_SETTINGS)
    assert "locale" not in page.lower()


def test_the_create_page_of_the_webhook_alone_shows_no_subscription_setting(client, webhook_only) -> None:
    client.force_login(user_of("admin"))
    page = client.get("/destinations/new/").content.decode()
    assert _field_names(page).isdisjoint(SUBSCRIPTION_SETTINGS)


def test_with_a_choice_of_types_the_create_page_says_whose_settings_the_subscription_ones_are(
    client, webhook_type
) -> None:
    client.force_login(user_of("admin"))
    page = client.get("/destinations/new/").content.decode()
    assert set(SUBSCRIPTION_SETTINGS) <= _field_names(page)
    assert "Attentive only. Used for subscriptions when the event has no locale" in page


def test_saving_a_webhooks_settings_page_keeps_its_settings(client, webhook_type) -> None:
    hook = _hook()
    client.force_login(user_of("admin"))
    answer = client.post(
        f"/destinations/{hook.pk}/edit/", {"name": "Orders hook", "default_region": "GB", "enabled": "on"}
    )
    assert answer.status_code == 302
    assert Destination.objects.get(pk=hook.pk).default_region == "GB"


def test_the_api_leaves_the_subscription_settings_out_of_a_webhook_and_refuses_them(api_as, webhook_type) -> None:
    hook = _hook()
    admin = api_as("admin")
    shown = admin.get(f"/api/v1/destinations/{hook.pk}").json()
    assert set(shown).isdisjoint(SUBSCRIPTION_SETTINGS)
    assert shown["default_region"] == "US"
    refused = admin.patch(f"/api/v1/destinations/{hook.pk}", {"default_locale": "fr-CA"}, format="json")
    assert refused.status_code == 400
    assert [(e["field"], e["code"], e["message"]) for e in refused.json()["errors"]] == [
        ("default_locale", "not_a_setting", "Webhook destinations have no such setting.")
    ]
    assert Destination.objects.get(pk=hook.pk).default_locale == "en-US"


def test_the_api_schema_says_which_types_have_a_subscription_setting(webhook_type) -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    locale = schema["components"]["schemas"]["Destination"]["properties"]["default_locale"]
    assert locale["description"].endswith(
        "Only Attentive destinations have it: it is absent from the others, which refuse it."
    )
    assert "default_locale" not in schema["components"]["schemas"]["Destination"].get("required", [])


def test_a_webhooks_builders_get_no_subscription_default_and_its_preview_no_disclosure(webhook_type) -> None:
    hook = _hook()
    assert hook.action_defaults == {}
    assert hook.privacy_policy.disclosure == ""


def test_a_type_with_an_action_that_needs_a_disclosure_must_let_one_be_recorded() -> None:
    from dataclasses import replace

    from destinations.attentive import ATTENTIVE

    with pytest.raises(ValueError, match="declares the subscription_disclosure setting"):
        replace(WEBHOOK, actions=(*WEBHOOK.actions, ATTENTIVE.action("subscribe")))


def test_a_setting_declared_without_a_column_to_keep_it_fails_the_system_checks(monkeypatch) -> None:
    from dataclasses import replace

    from destinations.checks import check_declared_settings
    from destinations.definition import DestinationSetting
    from destinations.registry import DESTINATION_TYPES

    assert check_declared_settings() == []
    monkeypatch.setitem(
        DESTINATION_TYPES, WEBHOOK.key, replace(WEBHOOK, settings=(DestinationSetting("colour", "Colour"),))
    )
    assert [(e.id, e.msg) for e in check_declared_settings()] == [
        ("destinations.E003", "Webhook declares a setting Relay has no column for: colour.")
    ]


def test_a_configuration_file_has_no_subscription_setting_for_a_webhook_and_refuses_one(webhook_type) -> None:
    from mapper.config_io import export_config, import_config

    _hook()
    (exported,) = export_config()["destinations"]
    assert set(exported).isdisjoint(SUBSCRIPTION_SETTINGS)
    assert import_config(export_config()).problems == []
    exported["default_sign_up_source_id"] = "42"
    document = {"format": "relay-config", "version": 1, "destinations": [exported]}
    assert [(p.path, p.message, p.code) for p in import_config(document).problems] == [
        (
            "destinations.0.default_sign_up_source_id",
            "Webhook destinations have no such setting.",
            "not_a_setting",
        )
    ]

import logging

import httpx
import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError

from core import crypto
from destinations.models import Destination

pytestmark = pytest.mark.django_db

API_KEY = "ak_live_SECRET_9f8e7d6c5b4a3210wxyz"


def test_api_key_is_stored_encrypted_with_only_the_last_four_in_clear() -> None:
    destination = Destination(name="Brand")
    destination.set_api_key(f"  {API_KEY}\n")
    destination.save()
    stored = Destination.objects.values("api_key_encrypted", "api_key_last4").get()
    assert API_KEY not in stored["api_key_encrypted"]
    assert stored["api_key_last4"] == "wxyz"
    assert crypto.decrypt(stored["api_key_encrypted"]) == API_KEY
    assert destination.masked_api_key == "••••wxyz"


def test_str_repr_and_logs_never_show_the_key(caplog: pytest.LogCaptureFixture) -> None:
    destination = Destination(name="Brand")
    destination.set_api_key(API_KEY)
    destination.save()
    logging.getLogger("test").info("destination %s %r", destination, destination)
    for text in (str(destination), repr(destination), caplog.text):
        assert API_KEY not in text
        assert "SECRET" not in text


def test_client_for_a_destination_uses_its_decrypted_key() -> None:
    destination = Destination(name="Brand")
    destination.set_api_key(API_KEY)
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json={"companyName": "Brand Co"})

    assert destination.open_client(transport=httpx.MockTransport(handler)).verify() == "Brand Co"
    assert seen == [f"Bearer {API_KEY}"]


def test_keys_can_be_rotated_without_losing_stored_secrets(settings) -> None:
    old_key = settings.RELAY_ENCRYPTION_KEYS[0]
    token = crypto.encrypt(API_KEY)
    settings.RELAY_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    rotated = crypto.reencrypt(token)
    settings.RELAY_ENCRYPTION_KEYS = settings.RELAY_ENCRYPTION_KEYS[:1]
    assert crypto.decrypt(rotated) == API_KEY
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)


def test_unknown_phone_region_is_rejected() -> None:
    with pytest.raises(ValidationError):
        Destination(name="Brand", default_region="ZZ").full_clean()


def test_empty_api_key_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        Destination(name="Brand").set_api_key("   ")


def test_subscriptions_fall_back_on_en_us_unless_the_destination_says_otherwise() -> None:
    assert Destination().action_defaults == {"locale": "en-US"}
    changed = Destination(default_locale="", default_sign_up_source_id="src-1")
    assert changed.action_defaults == {"sign_up_source_id": "src-1"}


def test_destinations_on_the_first_default_privacy_rules_get_the_new_ones(db) -> None:
    import importlib

    from django.apps import apps

    from destinations import privacy

    migration = importlib.import_module("destinations.migrations.0007_new_default_privacy_rules")
    untouched = Destination.objects.create(
        name="Old defaults",
        blocked_names=migration.OLD_DEFAULTS["name"],
        blocked_values=migration.OLD_DEFAULTS["value"],
        blocked_terms=migration.OLD_DEFAULTS["term"],
    )
    changed = Destination.objects.create(name="Own rules", blocked_values=[{"label": "Mine", "pattern": "^X1$"}])
    migration.forwards(apps, None)
    untouched.refresh_from_db()
    changed.refresh_from_db()
    assert untouched.blocked_names == privacy.default_rules("name")
    assert untouched.blocked_values == privacy.default_rules("value")
    assert untouched.blocked_terms == privacy.default_rules("term")
    assert changed.blocked_values == [{"label": "Mine", "pattern": "^X1$"}]

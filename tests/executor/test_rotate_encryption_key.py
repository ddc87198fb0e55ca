"""manage.py rotate_encryption_key: every encrypted column re-encrypted, conditionally, under the new key."""

import json
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from core import crypto
from destinations.models import Destination
from executor import retention
from executor.models import Delivery, InboundEvent
from tests.fake_attentive import GOOD_KEY

pytestmark = pytest.mark.django_db


def test_rotating_the_key_re_encrypts_everything_under_the_new_key(old_history: Delivery, settings) -> None:
    old_key = settings.RELAY_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.RELAY_ENCRYPTION_KEYS = [new_key, old_key]
    out = StringIO()
    call_command("rotate_encryption_key", stdout=out)
    counts = json.loads(out.getvalue())
    assert counts["Destination.api_key_encrypted"] == 1
    assert counts["InboundEvent.body"] == counts["Delivery.payload"] == 1
    settings.RELAY_ENCRYPTION_KEYS = [new_key]
    destination = Destination.objects.get()
    assert crypto.decrypt(destination.api_key_encrypted) == GOOD_KEY
    assert Delivery.objects.get().payload == {"user": {"email": "jane@example.com"}}
    event = InboundEvent.objects.get()
    assert event.body == {"email": "jane@example.com"}
    assert (event.event_name, event.message_id) == ("HIV Test Booked", "jane@example.com")
    assert counts["InboundEvent.event_name"] == counts["InboundEvent.message_id"] == 1


def test_rotation_finds_every_encrypted_field_by_itself() -> None:
    from executor.management.commands.rotate_encryption_key import encrypted_fields

    names = {f"{model.__name__}.{field}" for model, field in encrypted_fields()}
    assert {
        "InboundEvent.body",
        "InboundEvent.event_name",
        "InboundEvent.message_id",
        "Delivery.payload",
        "DeliveryAttempt.response_excerpt",
        "Destination.api_key_encrypted",
        "TotpDevice.secret_encrypted",
    } <= names


def test_rotation_never_brings_back_a_body_purged_while_it_runs(old_history: Delivery, settings, monkeypatch) -> None:
    settings.RELAY_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), settings.RELAY_ENCRYPTION_KEYS[0]]
    reencrypt = crypto.reencrypt

    def purge_first(token: str) -> str:
        retention.purge(days=0)  # the hourly purge runs between rotation's read and its write
        return reencrypt(token)

    monkeypatch.setattr(crypto, "reencrypt", purge_first)
    call_command("rotate_encryption_key", stdout=StringIO())
    assert InboundEvent.objects.get().body is None
    assert Delivery.objects.get().payload is None


def test_rotation_never_overwrites_an_api_key_changed_while_it_runs(
    old_history: Delivery, settings, monkeypatch
) -> None:
    settings.RELAY_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), settings.RELAY_ENCRYPTION_KEYS[0]]
    reencrypt = crypto.reencrypt
    new_key = "ak_live_changed_meanwhile_9999"

    def edit_first(token: str) -> str:
        destination = Destination.objects.get()
        if crypto.decrypt(destination.api_key_encrypted) != new_key:
            destination.set_api_key(new_key)
            destination.save()
        return reencrypt(token)

    monkeypatch.setattr(crypto, "reencrypt", edit_first)
    call_command("rotate_encryption_key", stdout=StringIO())
    assert crypto.decrypt(Destination.objects.get().api_key_encrypted) == new_key


def test_rotation_re_encrypts_two_factor_secrets(settings, django_user_model) -> None:
    from accounts import two_factor

    device, secret = two_factor.start_setup(django_user_model.objects.create_user("ada"))
    old_key = settings.RELAY_ENCRYPTION_KEYS[0]
    settings.RELAY_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    call_command("rotate_encryption_key", stdout=StringIO())
    settings.RELAY_ENCRYPTION_KEYS = settings.RELAY_ENCRYPTION_KEYS[:1]
    device.refresh_from_db()
    assert two_factor.secret_of(device) == secret

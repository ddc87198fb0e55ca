"""Re-encrypt everything stored encrypted under the newest key in RELAY_ENCRYPTION_KEYS."""

import json

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.audit import record
from accounts.models import TotpDevice
from destinations import crypto
from destinations.fields import EncryptedJSONField, EncryptedTextField
from destinations.models import Destination

CHUNK = 500


class Command(BaseCommand):
    help = (
        "Re-encrypt API keys, two-factor secrets and every encrypted field (event bodies, names and message ids, "
        "payloads, response excerpts) with the first key of "
        "RELAY_ENCRYPTION_KEYS. Put the new key first and keep the old ones after it until this has run; "
        "then the old keys can be removed."
    )

    def handle(self, *args: object, **options: object) -> None:
        counts = {"api_keys": 0}
        for destination in Destination.objects.exclude(api_key_encrypted=""):
            Destination.objects.filter(pk=destination.pk).update(
                api_key_encrypted=crypto.reencrypt(destination.api_key_encrypted)
            )
            counts["api_keys"] += 1
        counts["totp_secrets"] = 0
        for device in TotpDevice.objects.all():
            TotpDevice.objects.filter(pk=device.pk).update(secret_encrypted=crypto.reencrypt(device.secret_encrypted))
            counts["totp_secrets"] += 1
        for model, field in encrypted_fields():
            counts[f"{model.__name__}.{field}"] = self._rewrite(model, field)
        record(None, "encryption_key_rotated", **counts)
        self.stdout.write(json.dumps(counts))

    def _rewrite(self, model: type, field: str) -> int:
        """Load (decrypting with any key) and save (encrypting with the newest), chunk by chunk."""
        done, last = 0, 0
        while True:
            rows = list(model.objects.filter(pk__gt=last).order_by("pk").only("pk", field)[:CHUNK])
            if not rows:
                return done
            with transaction.atomic():
                model.objects.bulk_update([row for row in rows if getattr(row, field) not in (None, "")], [field])
            done += sum(1 for row in rows if getattr(row, field) not in (None, ""))
            last = rows[-1].pk


def encrypted_fields() -> list[tuple[type, str]]:
    """Every model field that is stored encrypted, found by its type: a new one cannot be forgotten."""
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, EncryptedJSONField | EncryptedTextField)
    ]

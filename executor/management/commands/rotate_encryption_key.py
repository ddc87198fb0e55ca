"""Re-encrypt everything stored encrypted under the newest key in RELAY_ENCRYPTION_KEYS."""

import json

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.audit import record
from destinations import crypto
from destinations.models import Destination
from executor.models import Delivery, DeliveryAttempt, InboundEvent

CHUNK = 500


class Command(BaseCommand):
    help = (
        "Re-encrypt API keys, event bodies, payloads and response excerpts with the first key of "
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
        for model, field in ((InboundEvent, "body"), (Delivery, "payload"), (DeliveryAttempt, "response_excerpt")):
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

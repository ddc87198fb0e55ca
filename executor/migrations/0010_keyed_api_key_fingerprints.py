"""API-key fingerprints become keyed (core.crypto.fingerprint): each destination's is computed again from
its key, and its deliveries (senders, pacing, /metrics labels) move to it, so that no plain SHA-256
prefix of a key is left. A key that cannot be decrypted (encryption keys lost) leaves no fingerprint:
its deliveries are then paced per destination, as a destination without a key is."""

from django.db import migrations

from core import crypto


def key_the_fingerprints(apps, schema_editor) -> None:
    Destination = apps.get_model("destinations", "Destination")
    Delivery = apps.get_model("executor", "Delivery")
    for destination in Destination.objects.exclude(api_key_fingerprint="").iterator():
        try:
            new = crypto.fingerprint(crypto.decrypt(destination.api_key_encrypted))
        except crypto.DecryptionError:
            new = ""
        old = destination.api_key_fingerprint
        if new == old:
            continue
        Destination.objects.filter(pk=destination.pk).update(api_key_fingerprint=new)
        Delivery.objects.filter(destination_id=destination.pk, sender_key=old).update(
            sender_key=new or f"destination-{destination.pk}"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("destinations", "0005_subscription_disclosure"),
        ("executor", "0009_erasure_requests"),
    ]

    operations = [migrations.RunPython(key_the_fingerprints, migrations.RunPython.noop, elidable=True)]

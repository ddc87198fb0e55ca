"""What the executor does when a destination changes (receivers, connected in config.wiring)."""

from typing import Any

from destinations.models import Destination
from executor.models import Delivery


def pace_pending_deliveries_under_the_current_key(sender: type, instance: Destination, **kwargs: Any) -> None:
    """Deliveries still to send follow their destination's key: paced under the old key's
    fingerprint they would get a second rate limit beside the new key's (twice Attentive's)."""
    moved = (
        Delivery.objects.filter(destination=instance, status__in=Delivery.PENDING)
        .exclude(sender_key=instance.sender_key)
        .update(sender_key=instance.sender_key)
    )
    if moved:
        from executor.tasks import kick_sender

        kick_sender(instance.sender_key)

"""What the executor adds to the mapper's pages: real events as samples, last delivery outcomes."""

from collections.abc import Sequence
from typing import Any

from django.db.models import Max

from destinations.definition import ActionType
from executor.models import Delivery, InboundEvent
from mapper import masking
from mapper.models import Action
from mapper.samples import Sample

RECENT_SAMPLES = 5


def recent_event_samples(action_type: ActionType, show_values: bool) -> list[Sample]:
    """The last events received, as the person may see them (masked for everyone but admins)."""
    wanted = "identify" if action_type.key == "user_attributes" else "track"
    events = InboundEvent.objects.filter(event_type=wanted, body__isnull=False).order_by("-id")[:RECENT_SAMPLES]
    samples = []
    for event in events:
        name = event.event_name or event.event_type
        samples.append(
            Sample(
                f"event:{event.pk}",
                f"Received {event.received_at:%Y-%m-%d %H:%M}: {name if show_values else masking.event_name(name)}",
                masking.for_viewer(event.body, is_admin=show_values),
            )
        )
    return samples


def recent_events(limit: int, show_values: bool) -> list[Any]:
    """The bodies of the last `limit` events, newest first, as the person may see them."""
    bodies = InboundEvent.objects.filter(body__isnull=False).order_by("-id").values_list("body", flat=True)[:limit]
    return [masking.for_viewer(body, is_admin=show_values) for body in bodies]


def event_sample(event_id: int, show_values: bool) -> Sample | None:
    event = InboundEvent.objects.filter(pk=event_id, body__isnull=False).first()
    if event is None:
        return None
    name = event.event_name or event.event_type
    label = f"Event #{event.pk}: {name if show_values else masking.event_name(name)}"
    return Sample(f"event:{event.pk}", label, masking.for_viewer(event.body, is_admin=show_values))


def last_delivery_statuses(actions: Sequence[Action]) -> dict[int, dict[str, Any]]:
    latest = (
        Delivery.objects.filter(action__in=actions).values("action_id").annotate(last_id=Max("id")).values("last_id")
    )
    return {
        row["action_id"]: {"last_status": row["status"], "last_at": row["created_at"]}
        for row in Delivery.objects.filter(id__in=latest).values("action_id", "status", "created_at")
    }

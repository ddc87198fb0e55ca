"""What the executor adds to the mapper's pages: real events as samples, last delivery outcomes."""

from collections.abc import Sequence
from typing import Any

from django.db.models import Max

from destinations.definition import ActionType
from executor.models import Delivery, InboundEvent
from mapper.models import Action
from mapper.samples import Sample

RECENT_SAMPLES = 5


def recent_event_samples(action_type: ActionType) -> list[Sample]:
    wanted = "identify" if action_type.key == "user_attributes" else "track"
    events = InboundEvent.objects.filter(event_type=wanted).order_by("-id")[:RECENT_SAMPLES]
    return [
        Sample(
            f"event:{event.pk}",
            f"Received {event.received_at:%Y-%m-%d %H:%M}: {event.event_name or event.event_type}",
            event.body,
        )
        for event in events
    ]


def last_delivery_statuses(actions: Sequence[Action]) -> dict[int, dict[str, Any]]:
    latest = (
        Delivery.objects.filter(action__in=actions).values("action_id").annotate(last_id=Max("id")).values("last_id")
    )
    return {
        row["action_id"]: {"last_status": row["status"], "last_at": row["created_at"]}
        for row in Delivery.objects.filter(id__in=latest).values("action_id", "status", "created_at")
    }

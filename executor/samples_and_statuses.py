"""What the executor adds to the mapper's pages: real events as samples, last delivery outcomes."""

from collections.abc import Sequence
from typing import Any

from django.db.models import Max

from executor.models import Delivery, InboundEvent
from mapper import engine, masking
from mapper.models import Action
from mapper.samples import Sample

# How many of the last events a search looks through (each is decrypted).
SCANNED = 300


def find_event_samples(trigger: str, name: str, limit: int, show_values: bool) -> list[Sample]:
    """The last events received whose shown name holds `name` (when given), else that `trigger`
    matches (judged on real values, like the executor), as the person may see them."""
    events = InboundEvent.objects.filter(body__isnull=False).order_by("-id")
    if name:
        needle = name.casefold()
        rows = events.values_list("pk", "event_name", "event_type")[:SCANNED]
        ids = [pk for pk, event_name, kind in rows if needle in _shown(event_name or kind, show_values).casefold()]
        chosen = list(InboundEvent.objects.filter(pk__in=ids[:limit]).order_by("-id"))
    else:
        try:
            expression = engine.compile_expression(trigger) if trigger.strip() else None
        except engine.MappingError:
            return []
        chosen = []
        for event in events[:SCANNED].iterator(chunk_size=50):
            if expression is None or _matches(expression, event.body):
                chosen.append(event)
                if len(chosen) == limit:
                    break
    return [_sample(event, show_values) for event in chosen]


def _matches(expression: engine.Expression, body: Any) -> bool:
    try:
        return expression.is_true(body)
    except engine.EvaluationError:
        return False


def _shown(name: str, show_values: bool) -> str:
    return name if show_values else masking.event_name(name)


def _sample(event: InboundEvent, show_values: bool) -> Sample:
    label = f"Received {event.received_at:%Y-%m-%d %H:%M}: {_shown(event.event_name or event.event_type, show_values)}"
    return Sample(f"event:{event.pk}", label, masking.for_viewer(event.body, is_admin=show_values))


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

"""The delivery log's filters, shared by the page, the replay and the API."""

from collections.abc import Mapping
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from config.converters import parse_id
from core import crypto
from executor.models import Delivery, InboundEvent

# Ids one request may name (a filter reaches more): well under SQLite's limit on query parameters.
MAX_IDS = 1_000

# The log's status for events that were routed and matched no action (they have no delivery).
NO_ACTION = "no_action"

PERIODS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}


def filter_deliveries(params: Mapping[str, str], queryset: QuerySet[Delivery] | None = None) -> QuerySet[Delivery]:
    """Apply status, destination, action, period and event filters from query parameters."""
    deliveries = queryset if queryset is not None else Delivery.objects.all()
    status = params.get("status", "")
    if status in Delivery.Status.values:
        deliveries = deliveries.filter(status=status)
    elif status == "dead_letters":
        deliveries = deliveries.filter(status__in=[Delivery.Status.FAILED, Delivery.Status.DEAD])
    for name, lookup in (("destination", "destination_id"), ("action", "action_id"), ("event", "event_id")):
        value = parse_id(params.get(name, ""))
        if value is not None:
            deliveries = deliveries.filter(**{lookup: value})
    message_id = params.get("message_id", "").strip()
    if message_id:
        deliveries = deliveries.filter(event__message_id_hash=crypto.lookup_hash(message_id))
    period = PERIODS.get(params.get("period", ""))
    if period is not None:
        deliveries = deliveries.filter(created_at__gte=timezone.now() - period)
    return deliveries


def active_filters(params: Mapping[str, str]) -> dict[str, str]:
    names = ("status", "destination", "action", "event", "message_id", "period")
    return {name: params[name] for name in names if params.get(name)}


def unmatched_events(params: Mapping[str, str]) -> QuerySet[InboundEvent]:
    """Events routed that matched no action (no delivery at all), newest first, with the log's
    message id, event and period filters."""
    events = InboundEvent.objects.filter(routed_at__isnull=False, deliveries__isnull=True)
    event_id = parse_id(params.get("event", ""))
    if event_id is not None:
        events = events.filter(pk=event_id)
    message_id = params.get("message_id", "").strip()
    if message_id:
        events = events.filter(message_id_hash=crypto.lookup_hash(message_id))
    period = PERIODS.get(params.get("period", ""))
    if period is not None:
        events = events.filter(received_at__gte=timezone.now() - period)
    return events.order_by("-id")

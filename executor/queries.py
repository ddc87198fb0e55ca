"""The delivery log's filters, shared by the page, the replay and the API."""

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from core import crypto
from core.query_filters import Parser, an_id, one_of, parse_filters, text
from executor.models import Delivery, InboundEvent

# Ids one request may name (a filter reaches more): well under SQLite's limit on query parameters.
MAX_IDS = 1_000

# The log's status for events that were routed and matched no action (they have no delivery).
NO_ACTION = "no_action"

PERIODS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}


# Every filter of the delivery log, its API and a replay's selection, and how each is read.
DELIVERY_FILTERS: dict[str, Parser] = {
    "status": one_of(*Delivery.Status.values, "dead_letters", NO_ACTION),
    "destination": an_id,
    "action": an_id,
    "event": an_id,
    "message_id": text(),
    "period": one_of(*PERIODS),
}


def filter_deliveries(
    params: Mapping[str, Any], queryset: QuerySet[Delivery] | None = None, *, others: Iterable[str] | None = None
) -> QuerySet[Delivery]:
    """Apply status, destination, action, period and event filters from query parameters.

    Raises BadFilter (a 400 naming the parameter) for a filter that cannot be read: never the whole log
    instead. `others` names the parameters a request may carry besides filters (None: any)."""
    filters = parse_filters(params, DELIVERY_FILTERS, others=others)
    deliveries = queryset if queryset is not None else Delivery.objects.all()
    status = filters.get("status")
    if status == "dead_letters":
        deliveries = deliveries.filter(status__in=[Delivery.Status.FAILED, Delivery.Status.DEAD])
    elif status == NO_ACTION:
        deliveries = deliveries.none()  # events that matched no action have no delivery: see unmatched_events
    elif status is not None:
        deliveries = deliveries.filter(status=status)
    for name, lookup in (("destination", "destination_id"), ("action", "action_id"), ("event", "event_id")):
        if name in filters:
            deliveries = deliveries.filter(**{lookup: filters[name]})
    if filters.get("message_id"):
        deliveries = deliveries.filter(event__message_id_hash=crypto.lookup_hash(filters["message_id"]))
    if "period" in filters:
        deliveries = deliveries.filter(created_at__gte=timezone.now() - PERIODS[filters["period"]])
    return deliveries


def active_filters(params: Mapping[str, Any], *, others: Iterable[str] | None = None) -> dict[str, str]:
    """The filters `params` gives, as given (for links and a replay's selection), once each can be read
    (else BadFilter)."""
    filters = parse_filters(params, DELIVERY_FILTERS, others=others)
    return {name: str(params[name]) for name, value in filters.items() if value != ""}


def unmatched_events(filters: Mapping[str, str]) -> QuerySet[InboundEvent]:
    """Events routed that matched no action (no delivery at all), newest first, with the log's
    message id, event and period filters (`filters` as active_filters reads them)."""
    events = InboundEvent.objects.filter(routed_at__isnull=False, deliveries__isnull=True)
    if filters.get("event"):
        events = events.filter(pk=int(filters["event"]))
    message_id = str(filters.get("message_id", "")).strip()
    if message_id:
        events = events.filter(message_id_hash=crypto.lookup_hash(message_id))
    period = PERIODS.get(filters.get("period", ""))
    if period is not None:
        events = events.filter(received_at__gte=timezone.now() - period)
    return events.order_by("-id")

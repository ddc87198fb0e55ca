"""Route stored events through every enabled action: one Delivery per action whose trigger matches.

Failure is contained per (event, action): whatever goes wrong with one action on one event (an
unreadable body, an unknown action type, a privacy rule that cannot be compiled, a bug) becomes a
FAILED delivery that says so, and routing goes on for every other event and action.
"""

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from core import crypto
from core.compiled import Compiled, CompiledInsert, CompiledUpdate, Snapshot
from executor import durability, erasure
from executor.models import Delivery, InboundEvent
from mapper.models import Action
from mapper.pipeline import run_action

logger = logging.getLogger(__name__)

ROUTE_CHUNK = 500
# At most about this many deliveries are made per chunk: with ten actions, 500 events would hold
# 5,000 deliveries and their payloads in memory at once.
ROUTE_DELIVERIES = 1000


@dataclass(frozen=True, slots=True)
class RouteSummary:
    events: int
    deliveries: int
    sender_keys: frozenset[str]


def _enabled_actions():
    return (
        Action.objects.filter(enabled=True, destination__enabled=True)
        .select_related("destination")
        .order_by("destination_id", "position", "id")
    )


@dataclass(frozen=True, slots=True)
class RoutingPlan:
    """The enabled actions, with what routing reads of each (made as each is first used)."""

    actions: list[Action]
    contexts: dict[int, "ActionContext"]


# A router looks at every event as it arrives, often one at a time: reading the actions with the
# ORM and compiling their mappings and privacy rules cost more than routing the event. The rows are
# read every time; the actions, and their contexts, are made again only when a row changed.
_routing_plan = Snapshot(_enabled_actions, lambda actions: RoutingPlan(actions, {}))


def active_actions() -> list[Action]:
    return _routing_plan().actions


def _unrouted_chunk(size: int) -> Compiled:
    compiled = _UNROUTED_CHUNKS.get(size)
    if compiled is None:
        compiled = _UNROUTED_CHUNKS[size] = Compiled(
            lambda: (
                InboundEvent.objects.select_for_update(skip_locked=True)
                .filter(routed_at__isnull=True)
                .order_by("id")
                # The ciphertext, decrypted event by event below: one unreadable body must not
                # make the whole chunk fail to load.
                .defer("body", "event_name", "message_id")
                .annotate(body_ciphertext=Cast("body", TextField()))[:size]
            )
        )
    return compiled


_UNROUTED_CHUNKS: dict[int, Compiled] = {}
_insert_deliveries = CompiledInsert(Delivery, ignore_conflicts=True)
_mark_routed = CompiledUpdate(lambda ids, now: (InboundEvent.objects.filter(pk__in=ids), {"routed_at": now}))


def route_unrouted(limit: int | None = None) -> RouteSummary:
    """Route every event not yet routed, oldest first, in chunks that each commit on their own."""
    events = deliveries = 0
    sender_keys: set[str] = set()
    while limit is None or events < limit:
        plan = _routing_plan()
        size = max(1, min(ROUTE_CHUNK, ROUTE_DELIVERIES // max(1, len(plan.actions))))
        with transaction.atomic():
            durability.commit_without_waiting_for_the_disk()
            chunk = _unrouted_chunk(size).objects()
            if not chunk:
                break
            created = route_events(chunk, plan.actions, plan.contexts)
        events += len(chunk)
        deliveries += len(created)
        sender_keys.update(sender_key for sender_key, status in created if status == Delivery.Status.QUEUED)
        if len(chunk) < size:
            # That was all: no empty write transaction (on SQLite it waits for the write lock) before
            # the senders are woken. Events stored meanwhile kicked the router again.
            break
    return RouteSummary(events, deliveries, frozenset(sender_keys))


def route_events(
    events: Iterable[InboundEvent], actions: list[Action], contexts: dict[int, "ActionContext"] | None = None
) -> list[tuple[str, str]]:
    """Create the deliveries of `events` and mark them routed (call inside a transaction); returns the
    sender key and status of each delivery made.

    An event that names a person who asked to be erased (stored while the request was being
    filed) is deleted instead: executor.erasure judges every event again here. `contexts` keeps
    each action's context between calls (the routing plan's), when `actions` are the same."""
    now = timezone.now()
    created = []
    event_ids = []
    readings = [(event, *body_of(event)) for event in events]
    erased = erasure.erased_in([body for _, body, unreadable in readings if not unreadable])
    erased_keys = iter(erased)
    forgotten: dict[int, frozenset[str]] = {}
    # Read once per chunk at most, not once per event: a destination's privacy policy alone cost
    # more than the action's mapping. Made inside the try below, so a broken one fails its own
    # deliveries.
    contexts = {} if contexts is None else contexts
    for event, body, unreadable in readings:
        if not unreadable and (keys := next(erased_keys)):
            forgotten[event.pk] = keys
            continue
        event_ids.append(event.pk)
        for action in actions:
            if unreadable:
                created.append(_row_of(_failed(event, action, now, unreadable)))
                continue
            try:
                context = contexts.get(action.pk)
                if context is None:
                    context = contexts[action.pk] = ActionContext.of(action)
                row = delivery_row(event, body, action, now, context)
            except Exception as error:
                # Only the type: a message could quote event data.
                logger.error("Routing event %s through action %s failed: %s", event.pk, action.pk, type(error).__name__)
                row = _row_of(_failed(event, action, now, _reason_for(error)))
            if row is not None:
                created.append(row)
    # A delivery that already exists for (event, action) stands: routing twice sends nothing twice.
    _insert_deliveries.insert(_insert_deliveries.rows_of(created))
    if event_ids:
        _mark_routed(event_ids, now)
    if forgotten:
        erasure.forget_events(forgotten, set().union(*forgotten.values()))
    return [(row[_SENDER_KEY], row[_STATUS]) for row in created]


def body_of(event: InboundEvent) -> tuple[Any, str]:
    """The event's body, and why it cannot be read ("" when it can)."""
    ciphertext = getattr(event, "body_ciphertext", None)
    if ciphertext is None and "body" not in event.get_deferred_fields():
        return event.body, ""
    if not ciphertext:
        return None, "The event's body was deleted under the retention period before it was routed."
    try:
        return json.loads(crypto.decrypt(ciphertext)), ""
    except crypto.DecryptionError:
        return None, "The event's body cannot be decrypted with the configured RELAY_ENCRYPTION_KEYS."


def _reason_for(error: Exception) -> str:
    from re2 import error as re2_error

    if isinstance(error, re2_error):
        return "Routing failed: a privacy rule of this destination is not a valid pattern; an admin must fix it."
    if isinstance(error, ValueError) and "action type" in str(error):
        return "Routing failed: this action's type is unknown to this version of Relay."
    return f"Routing failed on an unexpected {type(error).__name__}; the other actions were routed."


def _failed(event: InboundEvent, action: Action, now: object, reason: str) -> Delivery:
    return Delivery(
        event=event,
        action=action,
        destination=action.destination,
        action_snapshot=_snapshot(action),
        sender_key=action.destination.sender_key,
        status=Delivery.Status.FAILED,
        reason=reason[:500],
        created_at=now,
    )


def _snapshot(action: Action) -> dict[str, Any]:
    return {
        "action_type": action.action_type,
        "name": action.name,
        "trigger": action.trigger,
        "mappings": action.mappings,
        "version": action.version,
        **action.consent_settings(),  # the consent category it was judged by, when it had one
    }


_STATUSES = {
    "skipped": Delivery.Status.SKIPPED,
    "blocked": Delivery.Status.BLOCKED,
    "invalid": Delivery.Status.INVALID,
    "queued": Delivery.Status.QUEUED,
}


@dataclass(frozen=True, slots=True)
class ActionContext:
    """What routing reads of an action and its destination for every event it runs on."""

    config: Any
    policy: Any
    defaults: dict[str, str]
    snapshot: dict[str, Any]

    @classmethod
    def of(cls, action: Action) -> "ActionContext":
        destination = action.destination
        return cls(action.config(), destination.privacy_policy, destination.action_defaults, _snapshot(action))


@dataclass(frozen=True, slots=True)
class _Routed:
    """What an action makes of an event: its delivery's state, and the request when there is one."""

    status: str
    reason: str
    errors: list[dict[str, Any]]
    request: Any


def _routed(event: InboundEvent, body: Any, action: Action, context: ActionContext) -> _Routed | None:
    """Run the action on the event's body; None when its trigger does not match."""
    destination = action.destination
    result = run_action(
        context.config,
        body,
        region=destination.default_region,
        policy=context.policy,
        source=str(event.write_key_id or ""),
        defaults=context.defaults,
    )
    outcome = result.outcome
    if outcome.kind == "unmatched":
        return None
    status, reason = _STATUSES[outcome.kind], outcome.reason
    if outcome.kind == "queued" and destination.test_mode:
        status, reason = (
            Delivery.Status.SKIPPED,
            "Skipped: the destination is in test mode, so it was recorded, not sent.",
        )
    return _Routed(status, reason, [error.as_dict() for error in result.errors], result.request)


_DELIVERY_COLUMNS = _insert_deliveries.columns
_SENDER_KEY, _STATUS = _DELIVERY_COLUMNS.index("sender_key"), _DELIVERY_COLUMNS.index("status")


def _row_of(delivery: Delivery) -> tuple[Any, ...]:
    """A Delivery's attributes in the order of the insert's columns."""
    return tuple(getattr(delivery, name) for name in _DELIVERY_COLUMNS)


def delivery_row(
    event: InboundEvent, body: Any, action: Action, now: object, context: ActionContext
) -> tuple[Any, ...] | None:
    """The attributes of the Delivery `delivery_for` makes, in the order of the insert's columns
    (core.compiled.CompiledInsert.rows_of), without making it: a Delivery's Model.__init__ was a
    good share of routing's CPU. tests/executor/test_routing.py holds the rows of both equal."""
    routed = _routed(event, body, action, context)
    if routed is None:
        return None
    destination, request, status = action.destination, routed.request, routed.status
    values = {
        "event_id": event.pk,
        "action_id": action.pk,
        "destination_id": destination.pk,
        "action_snapshot": context.snapshot,
        "sender_key": destination.sender_key,
        "status": status,
        "reason": routed.reason,
        "errors": routed.errors,
        "method": request.method if request else "",
        "path": request.path if request else "",
        "payload": request.body if request and status != Delivery.Status.BLOCKED else None,
        "attempt_count": 0,
        "retry_window_start": now,
        "next_attempt_at": now if status == Delivery.Status.QUEUED else None,
        "lease_token": "",
        "lease_expires_at": None,
        "last_status_code": None,
        "delivered_at": None,
        "created_at": now,
        "updated_at": None,  # the time of saving: the insert's
    }
    return tuple(values[name] for name in _DELIVERY_COLUMNS)


def delivery_for(
    event: InboundEvent, body: Any, action: Action, now: object, context: ActionContext | None = None
) -> Delivery | None:
    destination = action.destination
    context = context or ActionContext.of(action)
    routed = _routed(event, body, action, context)
    if routed is None:
        return None
    status, reason, errors, request = routed.status, routed.reason, routed.errors, routed.request
    return Delivery(
        event=event,
        action=action,
        destination=destination,
        action_snapshot=context.snapshot,
        sender_key=destination.sender_key,
        status=status,
        reason=reason,
        errors=errors,
        method=request.method if request else "",
        path=request.path if request else "",
        # A blocked request is not kept: what a rule stopped is not stored either.
        payload=request.body if request and status != Delivery.Status.BLOCKED else None,
        next_attempt_at=now if status == Delivery.Status.QUEUED else None,
        # The time it was routed, as the field's default would give it; shared by the chunk's rows,
        # it is put in the database's form once (core.compiled.CompiledInsert).
        retry_window_start=now,
        created_at=now,
    )

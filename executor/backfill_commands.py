"""What a person does with a backfill (core.commands' convention): a dry run, start it, cancel it.

Each takes the acting user first, needs a marketer (accounts.roles.require), refuses what the rules do
not allow with core.commands.Refused naming the field, works in one transaction and records one audit
entry. The work itself is executor.backfill's; pages and the API call these.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit import record
from accounts.roles import MARKETER, require
from core.commands import Refused
from executor import backfill as backfill_module
from executor.models import Backfill
from executor.tasks import count_backfill, run_backfill
from mapper.models import Action


def earliest_since(now: datetime | None = None) -> datetime:
    """The earliest time a backfill may start from: event bodies older than retention are deleted."""
    return (now or timezone.now()) - timedelta(days=settings.RELAY_RETENTION_DAYS)


def why_it_cannot_start(action: Action) -> str | None:
    """Why no backfill of `action` can start now (it, or its destination, is disabled), or None. The pages say
    it before offering Start; start() refuses with the same words."""
    if not action.enabled:
        return "This action is disabled: enable it first (a backfill sends what the action sends)."
    if not action.destination.enabled:
        return f"The destination “{action.destination.name}” is disabled: enable it first."
    return None


def dry_run(actor: Any, action: Action, since: datetime | None) -> Backfill:
    """Count what running `action` over the events stored since `since` would do; nothing leaves. A large
    window is counted in the background (state COUNTING, then DRY_RUN)."""
    require(actor, MARKETER)
    now = timezone.now()
    if since is None:
        raise Refused({"since": "Give the time to start from."})
    if since >= now:
        raise Refused({"since": "Choose a time in the past: a backfill runs over events already stored."})
    if since < earliest_since(now):
        raise Refused(
            {
                "since": f"Events are kept {settings.RELAY_RETENTION_DAYS} days (RELAY_RETENTION_DAYS): "
                f"choose a time after {earliest_since(now):%Y-%m-%d %H:%M} UTC."
            }
        )
    with transaction.atomic():
        events = backfill_module.window(action, since, now).count()
        immediate = events <= backfill_module.IMMEDIATE_LIMIT
        backfill = Backfill.objects.create(
            action=action,
            requested_by=actor,
            since=since,
            until=now,
            created_at=now,
            state=Backfill.State.DRY_RUN if immediate else Backfill.State.COUNTING,
            expected=backfill_module.count(action, since, now) if immediate else backfill_module.empty_counts(),
            total=0 if immediate else events,
        )
        details = {"would_send": backfill.expected["queued"]} if immediate else {}
        record(actor, "backfill_dry_run", action, backfill=backfill.pk, events=events, **details)
        if not immediate:
            chain = backfill_module.new_chain(backfill)
            backfill.save(update_fields=["chain", "touched_at"])
            transaction.on_commit(lambda: count_backfill.enqueue(backfill.pk, chain))
    return backfill


def start(actor: Any, backfill: Backfill) -> Backfill:
    """Run a counted backfill in the background (executor.tasks.run_backfill)."""
    require(actor, MARKETER)
    with transaction.atomic():
        backfill = Backfill.objects.select_for_update().select_related("action__destination").get(pk=backfill.pk)
        action = backfill.action
        if backfill.state == Backfill.State.COUNTING:
            raise Refused({"backfill": "This backfill is still being counted: start it once its dry run is done."})
        if backfill.state != Backfill.State.DRY_RUN:
            raise Refused({"backfill": "This backfill has already run or is running; start a new dry run."})
        if reason := why_it_cannot_start(action):
            raise Refused({"action": reason})
        if backfill.since < earliest_since():
            raise Refused({"since": "Some events of this dry run are no longer kept: start a new dry run."})
        if action.backfills.filter(state=Backfill.State.RUNNING).exists():
            raise Refused({"action": "A backfill of this action is already running: wait for it or cancel it."})
        backfill.state = Backfill.State.RUNNING
        backfill.started_by, backfill.started_at = actor, timezone.now()
        backfill.total = backfill.expected.get("events", 0)
        backfill.counts = backfill_module.empty_counts()
        chain = backfill_module.new_chain(backfill)
        backfill.save(update_fields=["state", "started_by", "started_at", "total", "counts", "chain", "touched_at"])
        record(actor, "backfill_started", action, backfill=backfill.pk, events=backfill.total)
        transaction.on_commit(lambda: run_backfill.enqueue(backfill.pk, chain))
    return backfill


def cancel(actor: Any, backfill: Backfill) -> Backfill:
    """Stop a running backfill; what it queued and no sender has claimed yet does not leave."""
    require(actor, MARKETER)
    with transaction.atomic():
        backfill = Backfill.objects.select_for_update().select_related("action").get(pk=backfill.pk)
        if backfill.state != Backfill.State.RUNNING:
            raise Refused({"backfill": "Only a running backfill can be cancelled."})
        withdrawn = backfill_module.cancel(backfill)
        record(actor, "backfill_cancelled", backfill.action, backfill=backfill.pk, deliveries=withdrawn)
    return backfill

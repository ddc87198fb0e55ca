"""The delivery log, event detail, replay, destination overview and write keys. Thin views."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import ADMIN, ENGINEER, MARKETER, has_role, role_required
from core.commands import Refused
from core.converters import parse_id
from core.text import counted
from destinations.models import Destination
from executor import commands, lifecycle
from executor import overview as overview_module
from executor.models import Delivery, InboundEvent, Replay
from executor.queries import MAX_IDS, NO_ACTION, active_filters, filter_deliveries, unmatched_events
from executor.replay import shown_description
from mapper import masking, trigger_builder
from mapper.models import Action
from mapper.pipeline import run_action


@role_required(ENGINEER)
def delivery_list(request: HttpRequest) -> HttpResponse:
    """The log: deliveries, or the events that matched no action (status "matched no action"),
    which also show when a message id or event filter finds an event but no delivery. A filter that
    cannot be read is a 400 page naming it (config.views.bad_request), never the whole log."""
    is_admin = has_role(request.user, ADMIN)
    filters = active_filters(request.GET, others=("page",))
    if filters.get("status") == NO_ACTION:
        deliveries = None
        page = Paginator(unmatched_events(filters), 50).get_page(request.GET.get("page"))
    else:
        deliveries = filter_deliveries(filters).select_related("event", "destination", "action")
        page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    for row in page:
        row.shown_event_name = _shown_name(row if deliveries is None else row.event, is_admin)
        if deliveries is not None:
            row.waiting = lifecycle.why_waiting(row)
    unmatched = None
    if deliveries is not None and not filters.get("action") and not filters.get("destination"):
        found = unmatched_events(filters)
        # Looked up by message id or event: the event itself, else how many matched nothing.
        unmatched = (
            {"events": list(found[:5])}
            if filters.get("message_id") or filters.get("event")
            else {"count": found.count()}
        )
        for event in unmatched.get("events", []):
            event.shown_event_name = _shown_name(event, is_admin)
    context = {
        "page": page,
        "listing_events": deliveries is None,
        "unmatched": unmatched,
        "no_action": NO_ACTION,
        "filters": filters,
        "query": "&".join(f"{k}={v}" for k, v in filters.items()),
        "statuses": Delivery.Status.choices,
        "destinations": Destination.objects.all(),
        "actions": Action.objects.select_related("destination"),
        "replays": [(job, shown_description(job, is_admin=is_admin)) for job in Replay.objects.all()[:5]],
        "can_replay": has_role(request.user, MARKETER),
        "is_admin": is_admin,
    }
    return render(request, "executor/delivery_list.html", context)


@role_required(ENGINEER)
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(InboundEvent, pk=pk)
    is_admin = has_role(request.user, ADMIN)
    deliveries = list(event.deliveries.select_related("action", "destination").prefetch_related("attempts"))
    for delivery in deliveries:
        delivery.waiting = lifecycle.why_waiting(delivery)
    matched = {d.action_id for d in deliveries}
    # Why the other actions did not run, judged by their current triggers.
    unmatched = []
    for action in Action.objects.select_related("destination").exclude(pk__in=matched):
        if not action.destination.enabled:
            unmatched.append((action, "its destination is disabled"))
        elif not action.enabled:
            unmatched.append((action, "the action is disabled"))
        elif event.body is None:
            unmatched.append((action, "unknown: the event body was deleted under the retention period"))
        elif not run_action(action.config(), event.body).trigger_matched:
            # Which part of the trigger failed, in the builder's words (never a value of the event).
            reasons = trigger_builder.explain(action.trigger, event.body)
            unmatched.append((action, "trigger did not match: " + "; ".join(reasons or ["it is false for this event"])))
        else:
            unmatched.append((action, "added or changed after this event was routed"))
    shown = [
        (d, masking.payload_for_viewer(d.payload, d.destination.definition.body_layout, is_admin=is_admin))
        for d in deliveries
    ]
    context = {
        "event": event,
        "event_name": _shown_name(event, is_admin),
        "message_id": event.message_id if is_admin else masking.message_id(event.message_id),
        "body": masking.for_viewer(event.body, is_admin=is_admin),
        "deliveries": shown,
        "unmatched": unmatched,
        "masked": not is_admin,
        "can_replay": has_role(request.user, MARKETER),
    }
    return render(request, "executor/event_detail.html", context)


def _shown_name(event: InboundEvent, is_admin: bool) -> str:
    name = event.event_name or event.event_type
    return name if is_admin else masking.event_name(name)


def _selection(request: HttpRequest) -> dict[str, Any]:
    """What the log's form selected: everything matching its filter, or the ticked deliveries."""
    if request.POST.get("scope") == "filter":
        return {"filters": active_filters(request.POST)}
    return {"delivery_ids": [i for i in map(parse_id, request.POST.getlist("delivery")[:MAX_IDS]) if i is not None]}


@require_POST
@role_required(MARKETER)
def replay(request: HttpRequest) -> HttpResponse:
    try:
        job = commands.replay(request.user, **_selection(request))
    except Refused as refused:
        messages.error(request, str(refused))
        return redirect(_back_to(request))
    if job.state == Replay.State.DONE:
        messages.success(
            request, f"Replaying {counted(job.done, 'delivery', 'deliveries')}, each with its original externalEventId."
        )
    else:
        messages.success(
            request, f"Replaying {counted(job.total, 'delivery', 'deliveries')} in the background: progress below."
        )
    return redirect(_back_to(request))


@require_POST
@role_required(MARKETER)
def rerun(request: HttpRequest) -> HttpResponse:
    """Run invalid deliveries again through their action as it is now (once it has been fixed)."""
    try:
        result = commands.rerun(request.user, **_selection(request))
    except Refused as refused:
        messages.error(request, str(refused))
        return redirect(_back_to(request))
    messages.success(
        request,
        f"Re-ran {counted(result.rerun, 'invalid delivery', 'invalid deliveries')} with their action as it is now: "
        f"{result.queued} queued.",
    )
    return redirect(_back_to(request))


@role_required(ENGINEER)
def overview(request: HttpRequest, destination_id: int) -> HttpResponse:
    destination = get_object_or_404(Destination, pk=destination_id)
    data = overview_module.overview(destination)
    context = {
        "destination": destination,
        "data": data,
        "outcome_chart": overview_module.outcome_chart(data),
        "latency_chart": overview_module.latency_chart(data),
        "delivered_in_chart": overview_module.delivered_in_chart(data),
    }
    return render(request, "executor/overview.html", context)


@require_safe
@role_required(ENGINEER)
def write_keys_moved(request: HttpRequest) -> HttpResponse:
    """The old Write keys page: write keys are managed on Sources now (one place, with their kinds,
    origins and snippets), so old links and bookmarks land there, under Sources' own role rules."""
    return redirect("executor:source_list", permanent=True)


def _back_to(request: HttpRequest) -> str:
    """The page the form came from when it is one of ours, else the delivery log."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("executor:delivery_list")

"""The backfill pages of an action: a dry run, then start, follow and cancel it. Thin: the rules are
executor.backfill_commands', the work executor.backfill's."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from accounts.roles import ENGINEER, MARKETER, has_role, role_required
from core.commands import Refused
from executor import backfill as backfill_module
from executor import backfill_commands
from executor.models import Backfill
from mapper.models import Action

# While a backfill runs, its page reloads itself this often (no script needed).
REFRESH_SECONDS = 2


class SinceForm(forms.Form):
    since = forms.DateTimeField(
        label="Run over the events received since (UTC)",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


@role_required(ENGINEER)
def action_backfills(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(Action.objects.select_related("destination"), pk=pk)
    yesterday = (timezone.now() - timedelta(days=1)).replace(second=0, microsecond=0)
    form = SinceForm(request.POST or None, initial={"since": yesterday})
    if request.method == "POST" and form.is_valid():
        try:
            job = backfill_commands.dry_run(request.user, action, form.cleaned_data["since"])
        except Refused as refused:
            for name, message in refused.errors.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            return redirect("executor:backfill", pk=job.pk)
    context = {
        "action": action,
        "form": form,
        "backfills": action.backfills.select_related("requested_by")[:20],
        "earliest": backfill_commands.earliest_since(),
        "can_start": has_role(request.user, MARKETER),
        "cannot_start": backfill_commands.why_it_cannot_start(action),
    }
    return render(request, "executor/backfills.html", context, status=400 if form.errors else 200)


@role_required(ENGINEER)
def backfill_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Backfill.objects.select_related("action__destination", "requested_by", "started_by"), pk=pk)
    if request.method == "POST":
        if "start" in request.POST:
            command, done = backfill_commands.start, "Backfill started: it runs in the background, progress below."
        elif "cancel" in request.POST:
            command, done = backfill_commands.cancel, "Backfill cancelled: what it had not sent yet does not leave."
        else:
            return HttpResponseBadRequest("Start or cancel.")
        try:
            command(request.user, job)
        except Refused as refused:
            messages.error(request, " ".join(refused.errors.values()))
        else:
            messages.success(request, done)
        return redirect("executor:backfill", pk=job.pk)
    rows = [
        (name, backfill_module.COUNT_LABELS[name], job.expected.get(name, 0), (job.counts or {}).get(name))
        for name in backfill_module.COUNTS
    ]
    context = {
        "job": job,
        "action": job.action,
        "rows": rows,
        "would_send": job.expected.get("queued", 0),
        "matched": backfill_module.matched(job.expected),
        "can_start": has_role(request.user, MARKETER),
        "cannot_start": backfill_commands.why_it_cannot_start(job.action),
        "refresh": REFRESH_SECONDS if job.state in (Backfill.State.COUNTING, Backfill.State.RUNNING) else None,
    }
    return render(request, "executor/backfill.html", context)

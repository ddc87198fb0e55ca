"""The mapper UI: actions of a destination, the action editor and its live preview. Thin views."""

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import ADMIN, ENGINEER, MARKETER, has_role, role_required
from core.commands import Refused, show_on_form
from core.converters import parse_id
from destinations.definition import ActionType, FieldError
from destinations.models import Destination
from mapper import commands, engine, masking, sample_refs, samples, trigger_builder, versions
from mapper.action_status_sources import action_statuses
from mapper.forms import ActionForm
from mapper.models import Action
from mapper.preview import Preview, parse_sample, preview


def _action_type(destination: Destination, key: str) -> ActionType:
    action_type = destination.definition.action(key)
    if action_type is None:
        raise Http404("No such action type")
    return action_type


@role_required(ENGINEER)
def action_list(request: HttpRequest, destination_id: int) -> HttpResponse:
    """A destination's page: its settings at a glance and its actions, in order."""
    destination = get_object_or_404(Destination, pk=destination_id)
    actions = list(destination.actions.order_by("position", "id"))
    context = {"destination": destination, "actions": actions, "statuses": action_statuses(actions)}
    return render(request, "mapper/action_list.html", context)


@role_required(ENGINEER)
def action_new(request: HttpRequest, destination_id: int) -> HttpResponse:
    destination = get_object_or_404(Destination, pk=destination_id)
    preset_key = request.GET.get("preset", "")
    type_key = request.GET.get("type", "")
    if not preset_key and not type_key:
        return render(request, "mapper/action_new.html", {"destination": destination})
    preset = None
    if preset_key:
        for candidate in destination.definition.actions:
            preset = candidate.preset(preset_key) or preset
            if candidate.preset(preset_key):
                type_key = candidate.key
    action_type = _action_type(destination, type_key)
    initial: dict[str, Any] = {"name": preset.name if preset else action_type.title, "enabled": True}
    initial["trigger"] = preset.trigger if preset else action_type.default_trigger
    mappings = dict(preset.mappings) if preset else action_type.default_mappings()
    sample_list = samples.for_action_type(
        action_type, show_values=has_role(request.user, ADMIN), trigger=initial["trigger"]
    )
    initial["sample_event"] = _pretty(preset.example_event if preset else sample_list[0].event if sample_list else {})
    return _editor(request, destination, action_type, None, initial=initial, mappings=mappings, create=True)


@role_required(ENGINEER)
def action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(Action.objects.select_related("destination"), pk=pk)
    action_type = _action_type(action.destination, action.action_type)
    sample, ref = _opening_sample(request, action, action_type)
    initial = {
        "name": action.name,
        "trigger": action.trigger,
        "enabled": action.enabled,
        "consent_category": action.consent_category,
        "consent_when_unknown": action.consent_when_unknown,
        "sample_event": _pretty(sample),
        sample_refs.FIELD: ref,
    }
    return _editor(request, action.destination, action_type, action, initial=initial, mappings=action.mappings)


def _opening_sample(request: HttpRequest, action: Action, action_type: ActionType) -> tuple[Any, str]:
    """What the editor opens on, and the stored data it stands for (see mapper.sample_refs): the
    event the log linked from, else the sample saved with the action, else the first sample its
    trigger matches, else the first sample."""
    show_values = has_role(request.user, ADMIN)
    event_id = parse_id(request.GET.get("event", ""))
    if event_id is not None:
        from_log = samples.event_sample(event_id, show_values=show_values)
        if from_log is not None:
            return from_log.event, sample_refs.for_event(event_id)
    if action.sample_event is not None:
        hidden = action.sample_private and not show_values
        shown = masking.for_viewer(action.sample_event, is_admin=not hidden)
        return shown, sample_refs.for_action(action.pk) if hidden else ""
    candidates = samples.for_action_type(action_type, show_values=show_values, trigger=action.trigger)
    try:
        trigger = engine.compile_expression(action.trigger)
    except engine.MappingError:
        trigger = None
    matching = samples.first_matching(trigger.is_true, candidates) if trigger is not None else None
    chosen = matching or (candidates[0] if candidates else None)
    if chosen is None:
        return {}, ""
    kind, _, number = chosen.key.partition(":")
    return chosen.event, sample_refs.for_event(int(number)) if kind == "event" and not show_values else ""


def _editor(
    request: HttpRequest,
    destination: Destination,
    action_type: ActionType,
    action: Action | None,
    *,
    initial: dict[str, Any],
    mappings: dict[str, str],
    create: bool = False,
) -> HttpResponse:
    context: dict[str, Any] = {"destination": destination, "action_type": action_type, "action": action}
    if request.method == "POST":
        form = ActionForm(request.POST, action_type=action_type)
        wants = (
            "preview"
            if "_preview" in request.POST
            else "test"
            if "_send_test" in request.POST or "_confirm_live" in request.POST
            else "save"
        )
        if wants in ("save", "test") and not has_role(request.user, MARKETER):
            raise PermissionDenied("Engineers can preview but not change actions.")
        valid = form.is_valid()
        if wants == "save" and valid:
            try:
                action = _save(request, destination, action_type, action, form, _sample_of(request, form))
            except commands.NeverDelivers as refused:
                context["never_delivers"] = refused.blockers
            except Refused as refused:
                show_on_form(form, refused)
            else:
                messages.success(request, f"Saved “{action.name}”" + (" (disabled)." if not action.enabled else "."))
                return redirect("mapper:action_edit", pk=action.pk)
        result = _preview_for(request, form, destination, action_type, action)
        if wants == "test":
            context["test_result"] = commands.send_test_event(
                request.user,
                destination=destination,
                action_type=action_type,
                preview=result,
                action=action,
                confirmed="_confirm_live" in request.POST,
                shows_values=has_role(request.user, ADMIN) or not result.hidden,
            )
        context["preview"] = result.shown_to(is_admin=has_role(request.user, ADMIN))
        if wants == "save":
            context["save_refused"] = True
    else:
        form = ActionForm(initial=initial, action_type=action_type, mappings=mappings)
        result = _preview_for(request, form, destination, action_type, action)
        context["preview"] = result.shown_to(is_admin=has_role(request.user, ADMIN))
    if not has_role(request.user, MARKETER):
        form.make_read_only()
    sample_list = samples.for_action_type(
        action_type, show_values=has_role(request.user, ADMIN), trigger=form.trigger_text()
    )
    context.update(
        form=form,
        samples=sample_list,
        sample_events=[sample.event for sample in sample_list],
        sample_refs=[_ref_of(sample, has_role(request.user, ADMIN)) for sample in sample_list],
        sample_ref=_posted_ref(request) if request.method == "POST" else initial.get(sample_refs.FIELD, ""),
        create=create,
    )
    context["preview_errors"] = [error.as_dict() for error in [*context["preview"].errors, *form.row_warnings()]]
    context["trigger_model"] = _trigger_model(form, context["preview"])
    context["trigger_event_types"] = trigger_builder.EVENT_TYPES
    status = 400 if context.get("save_refused") else 200
    return render(request, "mapper/action_form.html", context, status=status)


@require_POST
@role_required(ENGINEER)
def action_preview(request: HttpRequest, destination_id: int, type_key: str) -> HttpResponse:
    """Render only the preview panel, for the page's script (debounced as the user types)."""
    destination = get_object_or_404(Destination, pk=destination_id)
    action_type = _action_type(destination, type_key)
    action_id = parse_id(request.POST.get("action_id") or "")
    action = Action.objects.filter(pk=action_id).first() if action_id is not None else None
    form = ActionForm(request.POST, action_type=action_type)
    form.is_valid()
    result = _preview_for(request, form, destination, action_type, action)
    shown = result.shown_to(is_admin=has_role(request.user, ADMIN))
    context = {
        "form": form,
        "preview": shown,
        "preview_errors": [error.as_dict() for error in [*shown.errors, *form.row_warnings()]],
        "trigger_model": _trigger_model(form, result),
        "destination": destination,
        "action_type": action_type,
    }
    return render(request, "mapper/action_form.html#preview", context)


@require_GET
@role_required(ENGINEER)
def action_samples(request: HttpRequest, destination_id: int) -> JsonResponse:
    """Events received to load as the sample, for the editor's search: those whose name holds `q`,
    else those the trigger matches (judged on real values); masked for everyone but admins, each
    with the reference the server reads the real event from."""
    get_object_or_404(Destination, pk=destination_id)
    show_values = has_role(request.user, ADMIN)
    found = samples.find(
        request.GET.get("trigger", "")[: engine.MAX_EXPRESSION_LENGTH],
        request.GET.get("q", "").strip()[:200],
        show_values=show_values,
    )
    return JsonResponse(
        {
            "samples": [
                {"label": sample.label, "event": sample.event, "ref": _ref_of(sample, show_values)} for sample in found
            ]
        }
    )


def _trigger_model(form: ActionForm, result: Preview) -> dict[str, Any] | None:
    """The trigger as the builder shows it (with the conditions it offers to compare as numbers),
    or None when it is edited as an expression."""
    model = trigger_builder.parse_trigger(form.trigger_text())
    return {**model.as_dict(), "number_offers": result.number_offers} if model is not None else None


def _posted_ref(request: HttpRequest) -> str:
    return request.POST.get(sample_refs.FIELD, "")[:40]


def _ref_of(sample: samples.Sample, show_values: bool) -> str:
    """The stored data a sample offered in the editor stands for, when the person sees it masked."""
    kind, _, number = sample.key.partition(":")
    return sample_refs.for_event(int(number)) if kind == "event" and not show_values else ""


def _sample_of(request: HttpRequest, form: ActionForm) -> tuple[sample_refs.Resolved | None, FieldError | None]:
    """The sample to judge, send and save: the text of the form, with the values the person could
    not see brought back from the stored data it stands for."""
    if form.is_bound:
        text, ref = form.data.get("sample_event", ""), _posted_ref(request)
    else:
        text, ref = form.initial.get("sample_event", ""), form.initial.get(sample_refs.FIELD, "")
    sample, sample_error = parse_sample(text)
    if sample_error is not None:
        return None, sample_error
    return sample_refs.resolve(sample, ref), None


def _preview_for(
    request: HttpRequest, form: ActionForm, destination: Destination, action_type: ActionType, action: Action | None
) -> Preview:
    """The preview judged on real values (shown to the person through Preview.shown_to)."""
    resolved, sample_error = _sample_of(request, form)
    if resolved is None:
        return Preview(None, [sample_error] if sample_error else [])
    category, when_unknown = form.consent_settings()
    result = preview(
        destination,
        action_type.key,
        form.trigger_text(),
        form.mappings(),
        resolved.event,
        action_id=action.pk if action else "",
        consent_category=category,
        consent_when_unknown=when_unknown,
    )
    result.hidden = resolved.hidden
    form.attach(result.errors, as_form_errors=False)
    # Judged on the real values, for everyone: only the count comes back.
    result.reach = samples.trigger_reach(form.trigger_text())
    return result


def _save(
    request: HttpRequest,
    destination: Destination,
    action_type: ActionType,
    action: Action | None,
    form: ActionForm,
    sample: tuple[sample_refs.Resolved | None, FieldError | None],
) -> Action:
    """Save through mapper.commands.save_action; *Save disabled* saves the work switched off."""
    resolved, _problem = sample
    # Kept with the action, so that it reopens on the event it was built for: the real event, never a
    # masked copy. Anything but a preset's made-up example may be a real person's (a stored event, or
    # one pasted by whoever saves): everyone but admins then sees it masked, the marketer who pasted it too.
    keep_sample = resolved is not None and not masking.holds_mask(resolved.event)
    return commands.save_action(
        request.user,
        destination=destination,
        action_type=action_type.key,
        action=action,
        name=form.cleaned_data["name"],
        trigger=form.cleaned_data["trigger"],
        mappings=form.mappings(),
        enabled=form.cleaned_data["enabled"] and "_save_disabled" not in request.POST,
        consent=form.consent_settings(),
        sample_event=resolved.event if keep_sample else None,
        sample_private=keep_sample and not samples.is_example(resolved.event),
    )


@require_POST
@role_required(MARKETER)
def action_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(Action.objects.select_related("destination"), pk=pk)
    # The page says which state it asks for: a stale page or a second click must not flip it back.
    wanted = request.POST.get("enabled")
    enable = not action.enabled if wanted is None else wanted == "1"
    if enable == action.enabled:
        messages.info(request, f"“{action.name}” is already {'enabled' if enable else 'disabled'}: nothing changed.")
        return redirect("mapper:action_list", destination_id=action.destination_id)
    if not enable and not action.destination.test_mode and "confirm" not in request.POST:
        # A live action stops sending at once: one stray click must not do that.
        return render(request, "mapper/action_confirm_disable.html", {"action": action})
    try:
        if enable:
            commands.enable_action(request.user, action=action)
        else:
            commands.disable_action(request.user, action=action)
    except commands.NeverDelivers as refused:
        messages.error(
            request, f"“{action.name}” stays disabled: it could not deliver anything. {refused.blockers[0].message}"
        )
        return redirect("mapper:action_list", destination_id=action.destination_id)
    messages.success(request, f"“{action.name}” is now {'enabled' if action.enabled else 'disabled'}.")
    return redirect("mapper:action_list", destination_id=action.destination_id)


@require_POST
@role_required(MARKETER)
def action_move(request: HttpRequest, pk: int, direction: str) -> HttpResponse:
    action = get_object_or_404(Action.objects.select_related("destination"), pk=pk)
    order = list(
        Action.objects.filter(destination_id=action.destination_id)
        .order_by("position", "id")
        .values_list("id", flat=True)
    )
    index = order.index(action.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
        commands.reorder_actions(request.user, destination=action.destination, order=order)
    return redirect("mapper:action_list", destination_id=action.destination_id)


@require_POST
@role_required(MARKETER)
def action_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(Action, pk=pk)
    copy = commands.duplicate_action(request.user, action=action)
    messages.success(request, f"Duplicated as “{copy.name}” (disabled until you enable it).")
    return redirect("mapper:action_edit", pk=copy.pk)


@role_required(MARKETER)
def action_delete(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(Action.objects.select_related("destination"), pk=pk)
    if request.method == "POST":
        destination_id, name = action.destination_id, action.name
        commands.delete_action(request.user, action=action)
        messages.success(request, f"Deleted “{name}”.")
        return redirect("mapper:action_list", destination_id=destination_id)
    return render(request, "mapper/action_confirm_delete.html", {"action": action})


def _pretty(event: object) -> str:
    return json.dumps(event, indent=2, ensure_ascii=False, default=str)


@role_required(ENGINEER)
def action_history(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(Action.objects.select_related("destination"), pk=pk)
    if request.method == "POST":
        if not has_role(request.user, MARKETER):
            raise PermissionDenied
        version = get_object_or_404(action.versions, number=parse_id(request.POST.get("restore", "")) or 0)
        commands.restore_action(request.user, action=action, version=version)
        disabled = "" if action.enabled else " It is disabled: it could no longer deliver."
        messages.success(request, f"Restored version {version.number} as version {action.version}.{disabled}")
        return redirect("mapper:action_history", pk=action.pk)
    return render(request, "mapper/action_history.html", {"action": action, "history": versions.history(action)})

"""Destinations: list, add (the key is checked at once), edit, verify again. Thin views."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.roles import ADMIN, ENGINEER, role_required
from core.commands import Refused, show_on_form
from destinations import commands
from destinations.forms import DestinationForm, adding_heading
from destinations.models import Destination


@role_required(ENGINEER)
def destination_list(request: HttpRequest) -> HttpResponse:
    destinations = Destination.objects.prefetch_related("actions")
    return render(
        request, "destinations/destination_list.html", {"destinations": destinations, "add_label": adding_heading()}
    )


@role_required(ADMIN)
def destination_create(request: HttpRequest) -> HttpResponse:
    form = DestinationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            destination = commands.create_destination(
                request.user,
                name=form.cleaned_data["name"],
                api_key=form.cleaned_data["api_key"],
                settings=form.chosen_settings(),
                destination_type=form.destination_type.key,
            )
        except Refused as refused:
            show_on_form(form, refused)
        else:
            messages.success(
                request, f"Connected to {destination.definition.title}: {destination.company_name or 'key accepted'}."
            )
            return redirect("mapper:action_list", destination_id=destination.pk)
    return render(request, "destinations/destination_form.html", {"form": form}, status=400 if form.errors else 200)


@role_required(ADMIN)
def destination_edit(request: HttpRequest, pk: int) -> HttpResponse:
    destination = get_object_or_404(Destination, pk=pk)
    form = DestinationForm(request.POST or None, instance=destination)
    if request.method == "POST" and form.is_valid():
        api_key = form.cleaned_data["api_key"]
        try:
            commands.change_destination(
                request.user,
                destination=destination,
                api_key=api_key,
                settings={"name": form.cleaned_data["name"], **form.chosen_settings()},
            )
        except Refused as refused:
            show_on_form(form, refused)
        else:
            if api_key:
                messages.success(request, f"Key replaced and verified: {destination.company_name}.")
            messages.success(request, "Saved.")
            return redirect("mapper:action_list", destination_id=destination.pk)
    return render(request, "destinations/destination_form.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
@role_required(ADMIN)
def destination_verify(request: HttpRequest, pk: int) -> HttpResponse:
    destination = get_object_or_404(Destination, pk=pk)
    verification = commands.verify_destination_key(request.user, destination=destination)
    if verification.ok:
        messages.success(request, f"Key verified: {verification.company_name}.")
    else:
        messages.error(request, verification.message)
    return redirect("mapper:action_list", destination_id=pk)

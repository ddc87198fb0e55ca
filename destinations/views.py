"""Destinations: list, add (the key is checked at once), edit, verify again. Thin views."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.audit import record
from accounts.roles import ADMIN, ENGINEER, role_required
from destinations.forms import DestinationForm
from destinations.models import Destination
from destinations.verification import verify_destination, verify_key


@role_required(ENGINEER)
def destination_list(request: HttpRequest) -> HttpResponse:
    destinations = Destination.objects.prefetch_related("actions")
    return render(request, "destinations/destination_list.html", {"destinations": destinations})


@role_required(ADMIN)
def destination_create(request: HttpRequest) -> HttpResponse:
    form = DestinationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        api_key = form.cleaned_data["api_key"]
        verification = verify_key(form.instance.definition, api_key)
        if verification.ok:
            destination = form.save(commit=False)
            destination.set_api_key(api_key)
            destination.company_name = verification.company_name
            destination.verified_at = timezone.now()
            destination.save()
            record(request.user, "destination_created", destination)
            messages.success(request, f"Connected to Attentive: {verification.company_name or 'key accepted'}.")
            return redirect("mapper:action_list", destination_id=destination.pk)
        form.add_error("api_key", verification.message)
    return render(request, "destinations/destination_form.html", {"form": form}, status=400 if form.errors else 200)


@role_required(ADMIN)
def destination_edit(request: HttpRequest, pk: int) -> HttpResponse:
    destination = get_object_or_404(Destination, pk=pk)
    form = DestinationForm(request.POST or None, instance=destination)
    if request.method == "POST" and form.is_valid():
        api_key = form.cleaned_data["api_key"]
        if api_key:
            verification = verify_key(destination.definition, api_key)
            if not verification.ok:
                form.add_error("api_key", verification.message)
                return render(request, "destinations/destination_form.html", {"form": form}, status=400)
            destination = form.save(commit=False)
            destination.set_api_key(api_key)
            destination.company_name = verification.company_name
            destination.verified_at = timezone.now()
            messages.success(request, f"Key replaced and verified: {verification.company_name}.")
            record(request.user, "destination_key_replaced", destination)
        destination = form.save()
        record(request.user, "destination_changed", destination)
        messages.success(request, "Saved.")
        return redirect("mapper:action_list", destination_id=destination.pk)
    return render(request, "destinations/destination_form.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
@role_required(ADMIN)
def destination_verify(request: HttpRequest, pk: int) -> HttpResponse:
    destination = get_object_or_404(Destination, pk=pk)
    verification = verify_destination(destination)
    record(request.user, "destination_verified", destination, ok=verification.ok)
    if verification.ok:
        messages.success(request, f"Key verified: {verification.company_name}.")
    else:
        messages.error(request, verification.message)
    return redirect("mapper:action_list", destination_id=pk)

"""Users and their roles (admins only). Passwords are generated and shown once."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts import commands, two_factor
from accounts.audit import verb_label
from accounts.forms import NewUserForm, UserForm
from accounts.models import ApiToken, AuditEntry
from accounts.queries import AUDIT_FILTERS, filter_entries
from accounts.roles import ADMIN, ENGINEER, assigned_role, role_required
from core.commands import Refused, show_on_form
from core.converters import parse_id


@role_required(ADMIN)
def user_list(request: HttpRequest) -> HttpResponse:
    form = NewUserForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            user, password = commands.create_user(request.user, **form.cleaned_data)
        except Refused as refused:
            show_on_form(form, refused)
        else:
            created = {"user": user, "password": password}
            form = NewUserForm()
    rows = [
        (user, assigned_role(user)) for user in get_user_model().objects.order_by("username").prefetch_related("groups")
    ]
    response = render(request, "accounts/user_list.html", {"rows": rows, "form": form, "created": created})
    response["Cache-Control"] = "no-store"
    return response


@role_required(ADMIN)
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(get_user_model(), pk=pk)
    if request.method == "POST" and "reset_password" in request.POST:
        return _reset_password(request, user)
    if request.method == "POST" and "reset_two_factor" in request.POST:
        return _reset_two_factor(request, user)
    form = UserForm(
        request.POST or None, initial={"role": assigned_role(user) or "engineer", "is_active": user.is_active}
    )
    if request.method == "POST" and form.is_valid():
        try:
            commands.change_user(
                request.user, user=user, role=form.cleaned_data["role"], active=form.cleaned_data["is_active"]
            )
        except Refused as refused:
            show_on_form(form, refused)
        else:
            messages.success(request, f"Saved {user.get_username()}.")
            return redirect("accounts:user_list")
    return _user_page(request, user, form, status=400 if form.errors else 200)


def _user_page(request: HttpRequest, user: Any, form: UserForm | None = None, **extra: Any) -> HttpResponse:
    status = extra.pop("status", 200)
    form = form or UserForm(initial={"role": assigned_role(user) or "engineer", "is_active": user.is_active})
    context = {
        "subject": user,
        "form": form,
        "two_factor_on": two_factor.confirmed_device(user) is not None,
        "active_tokens": user.api_tokens.filter(revoked_at__isnull=True).count(),
        **extra,
    }
    return render(request, "accounts/user_form.html", context, status=status)


def _reset_password(request: HttpRequest, user: Any) -> HttpResponse:
    try:
        password, revoked = commands.reset_password(request.user, user=user)
    except Refused as refused:
        messages.error(request, str(refused))
        return redirect("accounts:user_edit", pk=user.pk)
    response = _user_page(request, user, new_password=password, revoked_tokens=revoked)
    response["Cache-Control"] = "no-store"
    return response


def _reset_two_factor(request: HttpRequest, user: Any) -> HttpResponse:
    try:
        commands.reset_two_factor(request.user, user=user)
    except Refused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Two-factor sign-in of {user.get_username()} is reset: they can set it up again.")
    return redirect("accounts:user_edit", pk=user.pk)


@role_required(ENGINEER)
def token_list(request: HttpRequest) -> HttpResponse:
    """Your own API tokens: create (shown once) and revoke."""
    created = None
    if request.method == "POST":
        if "revoke" in request.POST:
            token = get_object_or_404(ApiToken, pk=parse_id(request.POST["revoke"]) or 0, user=request.user)
            commands.revoke_api_token(request.user, token=token)
            messages.success(request, f"Revoked “{token.label}”.")
            return redirect("accounts:token_list")
        try:
            token, raw = commands.issue_api_token(request.user, label=request.POST.get("label", ""))
        except Refused as refused:
            messages.error(request, str(refused))
        else:
            created = {"token": token, "raw": raw}
    response = render(
        request, "accounts/token_list.html", {"tokens": request.user.api_tokens.all(), "created": created}
    )
    response["Cache-Control"] = "no-store"
    return response


@role_required(ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    # A filter that cannot be read is a 400 page naming it (config.views.bad_request), never the whole log.
    entries = filter_entries(request.GET, others=("page",))
    filters = {name: request.GET[name] for name in AUDIT_FILTERS if request.GET.get(name)}
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    recorded = AuditEntry.objects.order_by("verb").values_list("verb", flat=True).distinct()
    verbs = sorted(((verb, verb_label(verb)) for verb in recorded), key=lambda pair: pair[1].lower())
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    return render(
        request, "accounts/audit_log.html", {"page": page, "filters": filters, "verbs": verbs, "query": query}
    )

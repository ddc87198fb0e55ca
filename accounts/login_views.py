"""Sign-in with an optional second step: a code from the user's authenticator app."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, PasswordChangeView
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme

from accounts import two_factor
from accounts.audit import record
from accounts.models import PasswordChangeRequired
from accounts.passwords import revoke_api_tokens

PENDING_USER, PENDING_BACKEND, PENDING_NEXT, FAILURES = (
    "relay_2fa_user",
    "relay_2fa_backend",
    "relay_2fa_next",
    "relay_2fa_failures",
)
MAX_CODE_FAILURES = 5


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class CodeOrRecoveryForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app, or a recovery code",
        help_text="Lost your phone? Type one of the recovery codes you saved when you set it up.",
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


class RelayLoginView(LoginView):
    redirect_authenticated_user = True

    def form_valid(self, form: forms.Form) -> HttpResponse:
        user = form.get_user()
        if two_factor.confirmed_device(user) is None:
            response = super().form_valid(form)
            if two_factor.required_for(user):
                messages.info(self.request, "Admins must set up two-factor sign-in before going on.")
                return redirect("accounts:two_factor")
            return response
        session = self.request.session
        session.cycle_key()
        session[PENDING_USER], session[PENDING_BACKEND] = user.pk, user.backend
        session[PENDING_NEXT], session[FAILURES] = self.get_success_url(), 0
        return redirect("login_code")


def login_code(request: HttpRequest) -> HttpResponse:
    session = request.session
    user = get_user_model().objects.filter(pk=session.get(PENDING_USER), is_active=True).first()
    device = two_factor.confirmed_device(user) if user else None
    if user is None or device is None:
        return redirect("login")
    form = CodeOrRecoveryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = two_factor.check(device, form.cleaned_data["code"])
        if result.accepted:
            backend, next_url = session.pop(PENDING_BACKEND), session.pop(PENDING_NEXT, "/")
            session.pop(PENDING_USER, None)
            login(request, user, backend=backend)
            if result.recovery_code:
                _used_a_recovery_code(request, user)
            safe = url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()})
            return HttpResponseRedirect(next_url if safe else "/")
        session[FAILURES] = session.get(FAILURES, 0) + 1
        record(None, "login_failed", user, second_factor=True)
        if session[FAILURES] >= MAX_CODE_FAILURES:
            session.flush()
            messages.error(request, "Too many wrong codes: sign in again.")
            return redirect("login")
        form.add_error("code", result.message())
    return render(request, "registration/login_code.html", {"form": form}, status=400 if form.errors else 200)


def _used_a_recovery_code(request: HttpRequest, user: object) -> None:
    left = two_factor.recovery_codes_left(user)
    record(user, "recovery_code_used", user, left=left)
    messages.warning(
        request,
        f"You signed in with a recovery code; {left} left. Each works once: if your phone is lost, "
        "set up your authenticator again (turn two-factor sign-in off, then on) to get new codes.",
    )


def _no_store(response: HttpResponse) -> HttpResponse:
    # The page holds a secret shown once (set-up key, recovery codes): no cache keeps it.
    response["Cache-Control"] = "no-store"
    return response


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    device = two_factor.confirmed_device(user)
    if device is not None:
        return _two_factor_on(request, device)
    form = CodeForm(request.POST or None)
    pending = user.totp_device if hasattr(user, "totp_device") else None
    if pending is None or (request.method == "GET" and "new" in request.GET):
        pending, _ = two_factor.start_setup(user)
    if request.method == "POST" and form.is_valid():
        result = two_factor.confirm(pending, form.cleaned_data["code"])
        if result.accepted:
            codes = two_factor.new_recovery_codes(user)
            record(user, "two_factor_enabled", user)
            messages.success(request, "Two-factor sign-in is on: you will be asked for a code when you sign in.")
            return _no_store(render(request, "accounts/recovery_codes.html", {"codes": codes}))
        form.add_error("code", result.message() + " Check the time on your phone.")
    context = {
        "enabled": False,
        "form": form,
        "secret": two_factor.secret_of(pending),
        "uri": two_factor.provisioning_uri(pending),
        "qr_code": two_factor.qr_code_svg(pending),
    }
    return _no_store(render(request, "accounts/two_factor.html", context, status=400 if form.errors else 200))


def _two_factor_on(request: HttpRequest, device: object) -> HttpResponse:
    """Turn it off, or replace the recovery codes: either needs a code (from the app, or a recovery code)."""
    user = request.user
    form = CodeOrRecoveryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = two_factor.check(device, form.cleaned_data["code"])
        if result.accepted and "disable" in request.POST:
            two_factor.remove(user)
            record(user, "two_factor_disabled", user)
            messages.success(request, "Two-factor sign-in is off.")
            return redirect("accounts:two_factor")
        if result.accepted and "new_codes" in request.POST:
            codes = two_factor.new_recovery_codes(user)
            record(user, "recovery_codes_created", user)
            return _no_store(render(request, "accounts/recovery_codes.html", {"codes": codes, "replaced": True}))
        if not result.accepted:
            form.add_error("code", result.message())
    context = {"enabled": True, "form": form, "codes_left": two_factor.recovery_codes_left(user)}
    return render(request, "accounts/two_factor.html", context, status=400 if form.errors else 200)


class RelayPasswordChangeView(PasswordChangeView):
    """Choose a new password (required after an admin reset it)."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("destinations:list")

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["required"] = PasswordChangeRequired.objects.filter(user=user).exists()
        context["active_tokens"] = user.api_tokens.filter(revoked_at__isnull=True).count()
        return context

    def form_valid(self, form: forms.Form) -> HttpResponse:
        user = self.request.user
        with transaction.atomic():
            revoked = revoke_api_tokens(user, user, "password_changed")
            response = super().form_valid(form)
            PasswordChangeRequired.objects.filter(user=user).delete()
            record(user, "password_changed", user)
        tokens = f" Your {revoked} API token{pluralize(revoked)} {pluralize(revoked, 'was,were')} revoked."
        messages.success(self.request, "Your new password is set." + (tokens if revoked else ""))
        return response

"""Sign-in with an optional second step: a code from the user's authenticator app."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, PasswordChangeView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme

from accounts import two_factor
from accounts.audit import record
from accounts.models import PasswordChangeRequired

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
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = two_factor.check(device, form.cleaned_data["code"])
        if result.accepted:
            backend, next_url = session.pop(PENDING_BACKEND), session.pop(PENDING_NEXT, "/")
            session.pop(PENDING_USER, None)
            login(request, user, backend=backend)
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


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    device = two_factor.confirmed_device(request.user)
    form = CodeForm(request.POST or None)
    if device is not None:
        if request.method == "POST" and "disable" in request.POST and form.is_valid():
            result = two_factor.check(device, form.cleaned_data["code"])
            if result.accepted:
                device.delete()
                record(request.user, "two_factor_disabled", request.user)
                messages.success(request, "Two-factor sign-in is off.")
                return redirect("accounts:two_factor")
            form.add_error("code", result.message())
        return render(request, "accounts/two_factor.html", {"enabled": True, "form": form})
    pending = request.user.totp_device if hasattr(request.user, "totp_device") else None
    if pending is None or (request.method == "GET" and "new" in request.GET):
        pending, _ = two_factor.start_setup(request.user)
    if request.method == "POST" and form.is_valid():
        result = two_factor.confirm(pending, form.cleaned_data["code"])
        if result.accepted:
            record(request.user, "two_factor_enabled", request.user)
            messages.success(request, "Two-factor sign-in is on: you will be asked for a code when you sign in.")
            return redirect("destinations:list")
        form.add_error("code", result.message() + " Check the time on your phone.")
    context = {
        "enabled": False,
        "form": form,
        "secret": two_factor.secret_of(pending),
        "uri": two_factor.provisioning_uri(pending),
    }
    response = render(request, "accounts/two_factor.html", context, status=400 if form.errors else 200)
    response["Cache-Control"] = "no-store"
    return response


class RelayPasswordChangeView(PasswordChangeView):
    """Choose a new password (required after an admin reset it)."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("destinations:list")

    def form_valid(self, form: forms.Form) -> HttpResponse:
        response = super().form_valid(form)
        PasswordChangeRequired.objects.filter(user=self.request.user).delete()
        record(self.request.user, "password_changed", self.request.user)
        messages.success(self.request, "Your new password is set.")
        return response

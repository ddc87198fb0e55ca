"""The erasure page (admins): file a person's erasure request, see where each one stands."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.roles import ADMIN, role_required
from executor import commands, erasure
from executor.models import ErasureRequest


class ErasureForm(forms.Form):
    kind = forms.ChoiceField(
        choices=ErasureRequest.Kind.choices, label="Find the person by", initial=ErasureRequest.Kind.EMAIL
    )
    value = forms.CharField(
        max_length=254,
        label="Email, phone or client user id",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="Phones in international format (+1 415 555 2671). What you type is not shown again.",
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        if "kind" in cleaned and "value" in cleaned:
            try:
                cleaned["person"] = erasure.subject(cleaned["kind"], cleaned["value"])
            except erasure.InvalidSubject as error:
                self.add_error("value", str(error))
        return cleaned


@role_required(ADMIN)
def erasure_requests(request: HttpRequest) -> HttpResponse:
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and "confirm" not in request.POST:
        # Irreversible: the first press asks once more, on a page (no script needed).
        person = form.cleaned_data["person"]
        context = {"form": form, "masked": person.masked, "refuse_days": settings.RELAY_ERASURE_REFUSE_DAYS}
        return render(request, "executor/erasure_confirm.html", context)
    if request.method == "POST" and form.is_valid():
        filed = commands.file_erasure(request.user, kind=form.cleaned_data["kind"], value=form.cleaned_data["value"])
        messages.success(
            request,
            f"Filed erasure request #{filed.pk} for {filed.masked}: Relay is deleting what it stores and "
            "asking each destination to do the same.",
        )
        return redirect("executor:erasure_requests")
    context = {
        "form": form,
        "refuse_days": settings.RELAY_ERASURE_REFUSE_DAYS,
        "requests": ErasureRequest.objects.prefetch_related("forwards__destination")[:200],
    }
    return render(request, "executor/erasure.html", context, status=400 if form.errors else 200)

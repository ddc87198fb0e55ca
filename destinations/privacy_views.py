"""A destination's privacy rules (admins): blocked names and values, the allowlist, consent."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.roles import ADMIN, ENGINEER, has_role, refusal, role_required
from core.commands import Refused
from destinations import commands, privacy
from destinations.models import Destination


class PrivacyForm(forms.Form):
    consent_expression = forms.CharField(
        required=False,
        label="Consent condition",
        widget=forms.TextInput(attrs={"class": "code", "spellcheck": "false"}),
        help_text="JMESPath over the event that must be true before any action runs, such as "
        "context.consent.categoryPreferences.marketing. Empty: no consent check.",
    )
    consent_category = forms.CharField(
        required=False,
        max_length=privacy.MAX_CONSENT_CATEGORY_LENGTH,
        label="Consent category required",
        help_text="A consent category the person must have granted on the page before any action runs, such as "
        "Marketing (read from Segment's and RudderStack's consent tools, any case). An action may name its own "
        "instead. Empty: none.",
    )
    consent_when_unknown = forms.ChoiceField(
        required=False,
        label="Events that carry no consent for it",
        choices=privacy.CONSENT_WHEN_UNKNOWN_CHOICES,
        help_text="Require it (the default) skips an event unless its page says the person agreed; the other "
        "choice sends it unless the page says no.",
    )
    allowlist_enabled = forms.BooleanField(
        required=False, label="Allowlist mode", help_text="Only the names below may leave as properties or attributes."
    )
    allowed_names = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 5}), help_text="One property or attribute name a line."
    )
    blocked_names = forms.CharField(
        required=False,
        label="Blocked names",
        widget=forms.Textarea(attrs={"rows": 12, "class": "code", "spellcheck": "false"}),
        help_text="One rule a line: Label = regular expression (RE2, case-insensitive), matched against the names "
        "of properties and attributes at every level, custom identifiers, the event, and every part of the event "
        "paths that mapped values are read from, as words (memberId reads “member id”). End a rule with “unless "
        "word, word, …” to let a match through when one of those words comes before it, in the names around it "
        "or in the event's name (Insurance = insur unless shipping: shipping_insurance leaves); with “when word, "
        "…” a match counts only beside one of them.",
    )
    blocked_values = forms.CharField(
        required=False,
        label="Blocked values",
        widget=forms.Textarea(attrs={"rows": 4, "class": "code", "spellcheck": "false"}),
        help_text="One rule a line: Label = regular expression (RE2), matched against every text value that would "
        "leave. “@ICD-10-CM” stands for the ICD-10-CM code set (CMS's list): a real code with its dot is stopped "
        "anywhere, one without its dot only under a name that says code, dx, icd or diagnosis and none of the "
        "“unless” words (a coupon or postal code).",
    )
    blocked_terms = forms.CharField(
        required=False,
        label="Blocked words in text",
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="One rule a line: Label = word, phrase, … (whole words, any case), looked for in every text "
        "that would leave, the event name included: free text such as “Patient is HIV positive”.",
    )
    privacy_exceptions = forms.CharField(
        required=False,
        label="Exceptions",
        widget=forms.Textarea(attrs={"rows": 3, "class": "code", "spellcheck": "false"}),
        help_text="One source path a line, such as properties.sku: what is read from there is not health "
        "information, so its values are not judged and neither is its own name. A blocked delivery's “Not health "
        "information” adds its source path here.",
    )

    def clean_consent_expression(self) -> str:
        expression = self.cleaned_data["consent_expression"].strip()
        problem = privacy.condition_problem(expression) if expression else None
        if problem:
            raise forms.ValidationError(problem)
        return expression

    def clean_consent_category(self) -> str:
        category = self.cleaned_data["consent_category"].strip()
        problem = privacy.consent_category_problem(category)
        if problem:
            raise forms.ValidationError(problem)
        return category

    def clean_consent_when_unknown(self) -> str:
        return self.cleaned_data["consent_when_unknown"] or privacy.CONSENT_SKIP  # not given: the strict choice

    def _rules(self, name: str) -> list[dict[str, str]]:
        rules, problems = privacy.rules_from_text(self.cleaned_data[name])
        if problems:
            raise forms.ValidationError(problems)
        return rules

    def clean_blocked_names(self) -> list[dict[str, str]]:
        return self._rules("blocked_names")

    def clean_blocked_values(self) -> list[dict[str, str]]:
        return self._rules("blocked_values")

    def clean_blocked_terms(self) -> list[dict[str, object]]:
        rules, problems = privacy.terms_from_text(self.cleaned_data["blocked_terms"])
        if problems:
            raise forms.ValidationError(problems)
        return rules

    def clean(self) -> dict[str, object]:
        cleaned = super().clean()
        rules = [cleaned.get(name) for name in ("blocked_names", "blocked_values", "blocked_terms")]
        if all(isinstance(found, list) for found in rules):
            # Each rule may be valid and all of them together too large to search at once.
            problem = privacy.rules_problem(*rules)
            if problem:
                self.add_error(problem[0], problem[1])
        return cleaned

    def clean_privacy_exceptions(self) -> list[str]:
        return _lines(self.cleaned_data["privacy_exceptions"])

    def clean_allowed_names(self) -> list[str]:
        return _lines(self.cleaned_data["allowed_names"])


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@role_required(ENGINEER)
def privacy_settings(request: HttpRequest, pk: int) -> HttpResponse:
    destination = get_object_or_404(Destination, pk=pk)
    initial = {
        "consent_expression": destination.consent_expression,
        "consent_category": destination.consent_category,
        "consent_when_unknown": destination.consent_when_unknown,
        "allowlist_enabled": destination.allowlist_enabled,
        "allowed_names": "\n".join(destination.allowed_names),
        "blocked_names": privacy.rules_to_text(destination.blocked_names),
        "blocked_values": privacy.rules_to_text(destination.blocked_values),
        "blocked_terms": privacy.terms_to_text(destination.blocked_terms),
        "privacy_exceptions": "\n".join(destination.privacy_exceptions),
    }
    form = PrivacyForm(request.POST or None, initial=initial)
    if not has_role(request.user, ADMIN):
        # Others read the rules: fields they could type in and never save would say otherwise.
        for field in form.fields.values():
            field.disabled = True
        if request.method == "POST":
            raise PermissionDenied(refusal(ADMIN))
    if request.method == "POST" and form.is_valid():
        rules = {name: form.cleaned_data[name] for name in Destination.PRIVACY_FIELDS}
        commands.change_privacy_rules(request.user, destination=destination, rules=rules)
        messages.success(request, "Privacy rules saved. They apply to every event routed from now on.")
        return redirect("destinations:privacy", pk=destination.pk)
    return render(
        request,
        "destinations/privacy_settings.html",
        {"destination": destination, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@role_required(ADMIN)
def not_health_information(request: HttpRequest, pk: int) -> HttpResponse:
    """An admin judges a blocked field "not health information": its source path becomes one of
    the destination's exceptions (audited), in force for the next preview and event."""
    destination = get_object_or_404(Destination, pk=pk)
    source = request.POST.get("source", "").strip()
    try:
        commands.add_privacy_exception(request.user, destination=destination, source=source)
    except Refused as refused:
        return HttpResponse(str(refused), status=400)
    messages.success(
        request,
        f"“{source}” is marked not health information: the privacy rules of {destination.name} no longer judge "
        "its name or its values (an exception, listed on the privacy rules page).",
    )
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(reverse("destinations:privacy", kwargs={"pk": destination.pk}))

"""REST API for a destination's privacy rules: what its privacy rules page shows and saves (engineers read,
admins change), checked by that page's form (destinations.privacy_views.PrivacyForm) and saved by the same
command (destinations.commands.change_privacy_rules), so the page and the API refuse alike and leave the
same rows and the same audit entry.

The rules go as they are stored and exported (`manage.py export_config`): lists of {label, pattern} and
{label, terms}, not the page's lines of text; each is written into the page's text and read back by its form.
"""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import ADMIN, ENGINEER
from core.strict_serializers import RefusesUnknownFields
from destinations import commands, privacy
from destinations.models import Destination
from destinations.privacy_views import PrivacyForm


class _Strict(RefusesUnknownFields, serializers.Serializer):
    """A key it does not know is refused by name: a misspelt `allowlist_enable` silently ignored would leave
    the destination without the rule it asked for."""


def _one_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise serializers.ValidationError("One line: no line breaks.")
    return value


def _label(value: str) -> str:
    # The page reads "Label = …" lines, "#" starting a comment: such a label would change what the rule is.
    if "=" in value or value.lstrip().startswith("#"):
        raise serializers.ValidationError("A label holds no “=” and does not start with “#”.")
    return _one_line(value)


def _term(value: str) -> str:
    if "," in value:
        raise serializers.ValidationError("A term holds no comma (give each as its own item).")
    return _one_line(value)


class PatternRule(_Strict):
    label = serializers.CharField(validators=[_label])
    pattern = serializers.CharField(validators=[_one_line], help_text="A regular expression (RE2), or @ICD-10-CM.")


class TermsRule(_Strict):
    label = serializers.CharField(validators=[_label])
    terms = serializers.ListField(child=serializers.CharField(validators=[_term]), allow_empty=False)


class PrivacyRules(_Strict):
    """A destination's privacy rules; each field is the privacy rules page's field of the same name."""

    consent_expression = serializers.CharField(
        allow_blank=True, validators=[_one_line], help_text="JMESPath that must be true before any action runs."
    )
    consent_category = serializers.CharField(
        allow_blank=True, help_text="A consent category the person must have granted (empty: none)."
    )
    # The model's choices, labels included: the OpenAPI schema makes them one enum with the action's.
    consent_when_unknown = serializers.ChoiceField(choices=privacy.CONSENT_WHEN_UNKNOWN_CHOICES)
    allowlist_enabled = serializers.BooleanField(help_text="Only `allowed_names` may leave as properties.")
    allowed_names = serializers.ListField(child=serializers.CharField(validators=[_one_line]))
    blocked_names = serializers.ListField(child=PatternRule())
    blocked_values = serializers.ListField(child=PatternRule())
    blocked_terms = serializers.ListField(child=TermsRule())
    privacy_exceptions = serializers.ListField(
        child=serializers.CharField(validators=[_one_line]),
        help_text="Source paths not judged, such as properties.sku.",
    )


def _rules_of(destination: Destination) -> dict[str, Any]:
    return {name: getattr(destination, name) for name in Destination.PRIVACY_FIELDS}


def _as_page_form(rules: dict[str, Any]) -> dict[str, str]:
    """The rules as the privacy rules page posts them (an unticked box is not sent)."""
    form = {
        "consent_expression": rules["consent_expression"],
        "consent_category": rules["consent_category"],
        "consent_when_unknown": rules["consent_when_unknown"],
        "allowed_names": "\n".join(rules["allowed_names"]),
        "blocked_names": privacy.rules_to_text(rules["blocked_names"]),
        "blocked_values": privacy.rules_to_text(rules["blocked_values"]),
        "blocked_terms": privacy.terms_to_text(rules["blocked_terms"]),
        "privacy_exceptions": "\n".join(rules["privacy_exceptions"]),
    }
    return {**form, "allowlist_enabled": "on"} if rules["allowlist_enabled"] else form


class DestinationPrivacyView(APIView):
    """A destination's privacy rules: blocked names, values and words, the allowlist, consent, exceptions."""

    read_role = ENGINEER
    write_role = ADMIN

    @extend_schema(responses=PrivacyRules)
    def get(self, request: Request, pk: int) -> Response:
        return Response(PrivacyRules(_rules_of(get_object_or_404(Destination, pk=pk))).data)

    @extend_schema(request=PrivacyRules, responses=PrivacyRules)
    def put(self, request: Request, pk: int) -> Response:
        """Replace every privacy rule (every field is required); in force for every event routed from now on."""
        return self._change(request, pk, partial=False)

    @extend_schema(request=PrivacyRules, responses=PrivacyRules)
    def patch(self, request: Request, pk: int) -> Response:
        """Change the fields given; the others stay as they are."""
        return self._change(request, pk, partial=True)

    def _change(self, request: Request, pk: int, *, partial: bool) -> Response:
        destination = get_object_or_404(Destination, pk=pk)
        given = PrivacyRules(data=request.data, partial=partial)
        given.is_valid(raise_exception=True)
        form = PrivacyForm(_as_page_form({**_rules_of(destination), **given.validated_data}))
        if not form.is_valid():  # the page's own messages, each on its field ("__all__" is none of them)
            raise serializers.ValidationError(
                {
                    field if field != "__all__" else "non_field_errors": [
                        serializers.ErrorDetail(error["message"], error["code"] or "invalid") for error in errors
                    ]
                    for field, errors in form.errors.get_json_data().items()
                }
            )
        rules = {name: form.cleaned_data[name] for name in Destination.PRIVACY_FIELDS}
        commands.change_privacy_rules(request.user, destination=destination, rules=rules)
        return Response(PrivacyRules(_rules_of(destination)).data)

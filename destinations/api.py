"""REST API for destinations: the API key is write-only; only its last four characters come back."""

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import ADMIN
from core.converters import MAX_ID_DIGITS
from core.strict_serializers import RefusesUnknownFields, refuse_unknown
from destinations import commands
from destinations.definition import DestinationType
from destinations.identifiers import is_supported_region
from destinations.models import Destination
from destinations.registry import DESTINATION_TYPES, default_destination_type, destination_type_choices


class DestinationSerializer(RefusesUnknownFields, serializers.ModelSerializer):
    # Chosen when it is created (default: the default type), then fixed. Its choices and the key's
    # description are the registered types', read when the serializer is made.
    type = serializers.ChoiceField(choices=(), required=False)
    api_key = serializers.CharField(
        write_only=True,
        required=False,
        trim_whitespace=True,
        style={"input_type": "password"},
        error_messages={"blank": "An API key is required."},  # the page's words (destinations.forms)
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = destination_type_choices()
        self.fields["type"].help_text = (
            f"The destination's type, set when it is created (default: {default_destination_type()}); it cannot "
            "change afterwards."
        )
        for name in Destination.OPTIONAL_SETTINGS:
            having = [d.title for d in DESTINATION_TYPES.values() if d.has_setting(name)]
            self.fields[name].help_text = (
                f"{self.fields[name].help_text} Only {' and '.join(having) or 'no'} destinations have it: it is absent "
                "from the others, which refuse it."
            )
        checks = [f"{d.title}: {d.key_checked}" for d in DESTINATION_TYPES.values()]
        self.fields["api_key"].help_text = "Write-only. " + (
            " ".join(checks) if len(checks) > 1 else next(iter(DESTINATION_TYPES.values())).key_checked
        )

    class Meta:
        model = Destination
        fields = [
            "id",
            "name",
            "type",
            "default_region",
            "test_mode",
            "enabled",
            "api_key",
            "api_key_last4",
            "company_name",
            "verified_at",
            "needs_attention",
            "attention_reason",
            "subscription_disclosure",
            "default_locale",
            "default_sign_up_source_id",
            "created_at",
            "updated_at",
        ]
        # A blank name is refused in the page's words.
        extra_kwargs = {"name": {"error_messages": {"blank": "This field is required."}}}
        read_only_fields = [
            "api_key_last4",
            "company_name",
            "verified_at",
            "needs_attention",
            "attention_reason",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, instance: Destination) -> dict[str, Any]:
        """A destination as it is: the settings its type does not have are left out."""
        shown = super().to_representation(instance)
        for name in set(Destination.OPTIONAL_SETTINGS) - set(instance.settings_fields):
            shown.pop(name, None)
        return shown

    def validate_default_region(self, value: str) -> str:
        value = value.strip().upper()
        if not is_supported_region(value):
            raise serializers.ValidationError("Not a known region code (ISO 3166 alpha-2).", code="invalid_region")
        return value

    def validate_api_key(self, value: str) -> str:
        declared = self._chosen_type().api_key
        if not declared.is_plausible(value):
            raise serializers.ValidationError(f"Expected {declared.shape}.", code="invalid_key")
        return value

    def _chosen_type(self) -> DestinationType:
        """The destination's type: its own, else the one asked for (a type Relay does not know is refused
        on its own field), else the default."""
        if self.instance is not None:
            return self.instance.definition
        asked = self.initial_data.get("type") if isinstance(self.initial_data, dict) else None
        known = DESTINATION_TYPES.get(asked) if isinstance(asked, str) else None
        return known or DESTINATION_TYPES[default_destination_type()]

    def validate_type(self, value: str) -> str:
        if self.instance is not None and value != self.instance.type:
            raise serializers.ValidationError(
                "A destination's type cannot change once it is created.", code="read_only"
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and not attrs.get("api_key"):
            raise serializers.ValidationError(
                {"api_key": serializers.ErrorDetail("An API key is required.", "required")}
            )
        return attrs


VerifyResult = inline_serializer(
    "VerifyResult",
    {"ok": serializers.BooleanField(), "company_name": serializers.CharField(), "message": serializers.CharField()},
)


# What an admin sends in practice: a new account (of the default type), then its settings changed.
_DEFAULT_TYPE = DESTINATION_TYPES[default_destination_type()]
_NEW_DESTINATION = OpenApiExample(
    f"A new {_DEFAULT_TYPE.title} account",
    value={
        "name": "Acme Health",
        "type": _DEFAULT_TYPE.key,
        "api_key": f"<your {_DEFAULT_TYPE.title} API key>",
        "default_region": "US",
        "test_mode": True,
    },
    request_only=True,
)
_CHANGED_SETTINGS = OpenApiExample(
    "Leave test mode and record the sign-up disclosure",
    value={
        "test_mode": False,
        "subscription_disclosure": "I agree to receive recurring automated marketing texts from Acme Health.",
        "default_locale": "en-US",
    },
    request_only=True,
)


@extend_schema_view(
    create=extend_schema(examples=[_NEW_DESTINATION]),
    partial_update=extend_schema(examples=[_CHANGED_SETTINGS]),
)
class DestinationViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Destination.objects.all()
    serializer_class = DestinationSerializer
    write_role = ADMIN
    lookup_value_regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def perform_create(self, serializer: DestinationSerializer) -> None:
        data = dict(serializer.validated_data)
        api_key, name, kind = data.pop("api_key"), data.pop("name"), data.pop("type", "")
        serializer.instance = commands.create_destination(
            self.request.user, name=name, api_key=api_key, settings=data, destination_type=kind
        )

    def perform_update(self, serializer: DestinationSerializer) -> None:
        data = dict(serializer.validated_data)
        api_key = data.pop("api_key", "")
        data.pop("type", None)  # the same as it was (validate_type)
        commands.change_destination(self.request.user, destination=serializer.instance, api_key=api_key, settings=data)

    @extend_schema(request=None, responses=VerifyResult)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        """Check the stored key against the destination now (its type's check: Attentive's is GET /v1/me)."""
        refuse_unknown(request.data)
        verification = commands.verify_destination_key(request.user, destination=self.get_object())
        return Response(
            {"ok": verification.ok, "company_name": verification.company_name, "message": verification.message}
        )

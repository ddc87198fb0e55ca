"""REST API for destinations: the API key is write-only; only its last four characters come back."""

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import ADMIN
from core.converters import MAX_ID_DIGITS
from destinations import commands
from destinations.identifiers import is_plausible_api_key, is_supported_region
from destinations.models import Destination


class DestinationSerializer(serializers.ModelSerializer):
    api_key = serializers.CharField(
        write_only=True,
        required=False,
        trim_whitespace=True,
        style={"input_type": "password"},
        help_text="Write-only. Checked against Attentive (GET /v1/me) before it is stored.",
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
        read_only_fields = [
            "type",
            "api_key_last4",
            "company_name",
            "verified_at",
            "needs_attention",
            "attention_reason",
            "created_at",
            "updated_at",
        ]

    def validate_default_region(self, value: str) -> str:
        value = value.strip().upper()
        if not is_supported_region(value):
            raise serializers.ValidationError("Not a known region code (ISO 3166 alpha-2).", code="invalid_region")
        return value

    def validate_api_key(self, value: str) -> str:
        if not is_plausible_api_key(value):
            raise serializers.ValidationError("Expected 8 to 512 visible ASCII characters.", code="invalid_key")
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


# What an admin sends in practice: a new account, then its settings changed.
_NEW_DESTINATION = OpenApiExample(
    "A new Attentive account",
    value={"name": "Acme Health", "api_key": "<your Attentive API key>", "default_region": "US", "test_mode": True},
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
        api_key, name = data.pop("api_key"), data.pop("name")
        serializer.instance = commands.create_destination(self.request.user, name=name, api_key=api_key, settings=data)

    def perform_update(self, serializer: DestinationSerializer) -> None:
        data = dict(serializer.validated_data)
        api_key = data.pop("api_key", "")
        commands.change_destination(self.request.user, destination=serializer.instance, api_key=api_key, settings=data)

    @extend_schema(request=None, responses=VerifyResult)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        """Check the stored key against Attentive now (GET /v1/me)."""
        verification = commands.verify_destination_key(request.user, destination=self.get_object())
        return Response(
            {"ok": verification.ok, "company_name": verification.company_name, "message": verification.message}
        )

"""REST API for destinations: the API key is write-only; only its last four characters come back."""

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.audit import record
from accounts.roles import ADMIN
from config.converters import MAX_ID_DIGITS
from destinations.identifiers import is_plausible_api_key, is_supported_region
from destinations.models import Destination
from destinations.verification import Verification, verify_destination, verify_key


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
        api_key = attrs.get("api_key")
        if self.instance is None and not api_key:
            raise serializers.ValidationError(
                {"api_key": serializers.ErrorDetail("An API key is required.", "required")}
            )
        if api_key:
            definition = (self.instance or Destination()).definition
            verification = verify_key(definition, api_key)
            if not verification.ok:
                raise serializers.ValidationError(
                    {"api_key": serializers.ErrorDetail(verification.message, "key_rejected")}
                )
            attrs["_verification"] = verification
        return attrs

    def _apply_key(self, destination: Destination, attrs: dict[str, Any]) -> None:
        verification: Verification | None = attrs.pop("_verification", None)
        api_key = attrs.pop("api_key", None)
        if api_key and verification:
            destination.set_api_key(api_key)
            destination.company_name, destination.verified_at = verification.company_name, timezone.now()

    def create(self, validated_data: dict[str, Any]) -> Destination:
        destination = Destination()
        self._apply_key(destination, validated_data)
        for name, value in validated_data.items():
            setattr(destination, name, value)
        destination.save()
        return destination

    def update(self, instance: Destination, validated_data: dict[str, Any]) -> Destination:
        self._apply_key(instance, validated_data)
        return super().update(instance, validated_data)


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
        destination = serializer.save()
        record(self.request.user, "destination_created", destination)

    def perform_update(self, serializer: DestinationSerializer) -> None:
        replaced = bool(serializer.validated_data.get("api_key"))
        changed = sorted(name for name in serializer.validated_data if name not in ("api_key", "_verification"))
        destination = serializer.save()
        if replaced:
            record(self.request.user, "destination_key_replaced", destination)
        if changed or not replaced:
            # Which settings, never their values (the sign-up disclosure is a legal text, but keys are not).
            record(self.request.user, "destination_changed", destination, fields=changed)

    @extend_schema(request=None, responses=VerifyResult)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        """Check the stored key against Attentive now (GET /v1/me)."""
        destination = self.get_object()
        verification = verify_destination(destination)
        record(request.user, "destination_verified", destination, ok=verification.ok)
        return Response(
            {"ok": verification.ok, "company_name": verification.company_name, "message": verification.message}
        )

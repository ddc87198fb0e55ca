"""REST API for the audit log (admins)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import AuditEntry
from accounts.queries import filter_entries
from accounts.roles import ADMIN
from core.converters import MAX_ID_DIGITS
from core.query_filters import LIST_PARAMETERS


class AuditEntrySerializer(serializers.ModelSerializer):
    sentence = serializers.CharField(read_only=True, help_text="The entry as a sentence.")

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor_name", "verb", "target_type", "target_id", "target_name", "details", "sentence"]


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AuditEntrySerializer
    read_role = ADMIN
    lookup_value_regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def get_queryset(self):
        if self.action != "list":  # the filters choose a list; one entry is found by its id alone
            return AuditEntry.objects.all()
        return filter_entries(self.request.query_params, others=LIST_PARAMETERS)

    @extend_schema(
        parameters=[OpenApiParameter(name, OpenApiTypes.STR) for name in ("verb", "actor", "target_type", "target_id")]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

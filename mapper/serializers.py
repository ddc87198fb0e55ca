"""The action as the API and config import both judge it: its fields and its configuration against its
action type (errors in DRF's shape, stable codes). Whether, enabled, it could deliver anything is
mapper.commands' rule."""

from typing import Any

from rest_framework import serializers

from core.strict_serializers import RefusesUnknownFields
from destinations.definition import FieldError
from mapper import consent, validation
from mapper.models import Action


def field_errors(errors: list[FieldError]) -> dict[str, Any]:
    """Turn field errors into DRF's shape, keeping the stable codes."""
    detail: dict[str, Any] = {}
    for error in errors:
        if error.field == validation.TRIGGER:
            detail.setdefault("trigger", []).append(serializers.ErrorDetail(error.message, error.code))
        else:
            mappings = detail.setdefault("mappings", {})
            mappings.setdefault(error.field, []).append(serializers.ErrorDetail(error.message, error.code))
    return detail


class MappingsField(serializers.DictField):
    child = serializers.CharField(allow_blank=True, max_length=2000)


class ActionSerializer(RefusesUnknownFields, serializers.ModelSerializer):
    """An action, as the API and config import both judge it. Config import judges actions of
    destinations that may not exist yet: it gives `destination_type` (and `policy`) in the context
    instead of a destination."""

    mappings = MappingsField(help_text='{field_key: JMESPath expression}, such as {"event_name": "\'Order Shipped\'"}.')

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "destination_type" in self.context:
            self.fields["destination"].required = False

    class Meta:
        model = Action
        fields = [
            "id",
            "destination",
            "action_type",
            "name",
            "trigger",
            "mappings",
            "enabled",
            "consent_category",
            "consent_when_unknown",
            "position",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["position", "version", "created_at", "updated_at"]
        extra_kwargs = {"destination": {"error_messages": {"does_not_exist": "No destination has the id {pk_value}."}}}

    def validate_consent_category(self, value: str) -> str:
        value = value.strip()
        problem = consent.category_problem(value)
        if problem:
            raise serializers.ValidationError(problem, code="invalid_consent_category")
        return value

    def _destination_type(self, attrs: dict[str, Any]) -> Any:
        if "destination_type" in self.context:
            return self.context["destination_type"]
        return (attrs.get("destination") or self.instance.destination).definition

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        action_type_key = attrs.get("action_type") or self.instance.action_type
        if self.instance is not None and "action_type" in attrs and attrs["action_type"] != self.instance.action_type:
            raise serializers.ValidationError({"action_type": "The action type of a saved action cannot change."})
        definition = self._destination_type(attrs).action(action_type_key)
        if definition is None:
            raise serializers.ValidationError({"action_type": "This destination has no such action type."})
        trigger = attrs.get("trigger", self.instance.trigger if self.instance else "")
        mappings = attrs.get("mappings", self.instance.mappings if self.instance else {})
        errors = validation.check_configuration(definition, trigger, mappings)
        if errors:
            raise serializers.ValidationError(field_errors(errors))
        return attrs

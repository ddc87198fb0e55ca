"""API bodies are read strictly: a name the body gives that the request has no field for is refused."""

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers


class RefusesUnknownFields:
    """A serializer mixin: a name the body gives that is no field of it is a 400 naming it. DRF drops such
    names, so a misspelt or misplaced setting answered 200 and changed nothing."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))  # type: ignore[attr-defined]
            if unknown:
                raise serializers.ValidationError(
                    {name: serializers.ErrorDetail("Not a field of this request.", "unknown_field") for name in unknown}
                )
        return super().to_internal_value(data)  # type: ignore[misc]


def refuse_unknown(data: Any, allowed: tuple[str, ...] = ()) -> None:
    """For an endpoint that reads its body by hand (or takes none): a name it does not read is a 400 naming it."""
    if isinstance(data, Mapping):
        unknown = sorted(str(name) for name in data if name not in allowed)
        if unknown:
            raise serializers.ValidationError(
                {name: serializers.ErrorDetail("Not a field of this request.", "unknown_field") for name in unknown}
            )

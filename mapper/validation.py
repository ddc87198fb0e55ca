"""Turn every problem with an action or its payload into field-level errors with stable codes.

Codes (stable; the UI, the API and stored deliveries use them):
  invalid_expression, evaluation_error, unknown_field, missing_required, invalid_trigger,
  missing_identifier, invalid_phone, invalid_email, invalid_timestamp, stale_event,
  forbidden_character, not_scalar, not_object, too_many_attributes, name_too_long,
  invalid_name, invalid_value.
"""

from collections.abc import Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from destinations.definition import ActionType, BodyPath, FieldError, origin_of
from mapper import engine

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

TRIGGER = "trigger"


def check_configuration(action_type: ActionType, trigger: str, mappings: Mapping[str, str]) -> list[FieldError]:
    """Return what is wrong with an action's configuration itself, before any event."""
    errors = []
    if not trigger.strip():
        errors.append(
            FieldError(
                TRIGGER,
                "missing_required",
                "A trigger is required (for example type == 'track').",
            )
        )
    else:
        errors.extend(expression_errors(TRIGGER, trigger))
    for key, expression in mappings.items():
        if not action_type.is_known_key(key):
            errors.append(FieldError(key, "unknown_field", f"{action_type.title} has no field “{key}”."))
        elif not isinstance(expression, str):
            errors.append(
                FieldError(
                    key,
                    "invalid_expression",
                    "A mapping must be a JMESPath expression (text).",
                )
            )
        elif expression.strip():
            errors.extend(expression_errors(key, expression))
    for target in action_type.fields:
        expression = str(mappings.get(target.key) or "").strip()
        if target.required and not expression:
            errors.append(FieldError(target.key, "missing_required", f"{target.label} is required."))
        elif (
            target.from_event
            and expression
            and not any(e.field == target.key for e in errors)
            and not engine.source_paths(expression)
        ):
            errors.append(
                FieldError(
                    target.key,
                    "not_from_event",
                    f"{target.label} must be read from the event (a field), not written as a fixed value.",
                )
            )
    return errors


def expression_errors(field: str, expression: str) -> list[FieldError]:
    try:
        engine.compile_expression(expression)
    except engine.ExpressionError as error:
        return [FieldError(field, error.code, error.message)]
    return []


def consent_condition_problem(expression: str) -> str | None:
    """What is wrong with a consent condition (an expression of this language), or None; the
    destinations' privacy rules call it through a hook (config.wiring)."""
    return next((error.message for error in expression_errors("consent", expression)), None)


def validate_body(
    action_type: ActionType, body: dict[str, Any], origins: Mapping[BodyPath, str], refused_by: str = "The destination"
) -> list[FieldError]:
    """Return the schema's objections to `body`, each on the field that produced the part at fault.

    Valid bodies (the common case) take the compiled check's fast path, and so do bodies whose
    only fault is something missing (builders report that); only the others are explained, error
    by error, by jsonschema. `refused_by` names the destination type in the messages.
    """
    if action_type.is_valid(body) or action_type.is_valid_ignoring_presence(body):
        return []
    return explain(action_type, body, origins, refused_by)


def explain(
    action_type: ActionType, body: dict[str, Any], origins: Mapping[BodyPath, str], refused_by: str = "The destination"
) -> list[FieldError]:
    errors = []
    for error in _validator(action_type).iter_errors(body):
        errors.extend(_field_errors(error, origins, refused_by))
    return dedupe(errors)


def dedupe(errors: Iterable[FieldError]) -> list[FieldError]:
    seen = set()
    unique = []
    for error in errors:
        key = (error.field, error.code, error.message)
        if key not in seen:
            seen.add(key)
            unique.append(error)
    return unique


@cache
def _validator(action_type: ActionType) -> "Draft202012Validator":
    # Imported here, on the first body that needs explaining: jsonschema and what it loads (attrs,
    # referencing, rpds, the metaschemas) are 3 MB that a worker routing valid bodies, and a web
    # process, held for nothing.
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(action_type.schema)
    return Draft202012Validator(action_type.schema)


def _field_errors(error: "ValidationError", origins: Mapping[BodyPath, str], refused_by: str) -> list[FieldError]:
    # Builders own "required" (they report missing fields and identifiers with a clearer
    # message); the schema's own required/minProperties then add nothing.
    if error.validator in ("required", "minProperties"):
        return []
    if error.context:  # anyOf and friends: the most specific explanation
        return [item for sub in error.context for item in _field_errors(sub, origins, refused_by)]
    path: BodyPath = tuple(error.absolute_path)
    in_property_names = "propertyNames" in error.absolute_schema_path
    name = str(error.instance) if in_property_names else str(path[-1]) if path else ""
    if in_property_names:
        path = (*path, name)
    spec = (error.schema.get("x-errors") or {}).get(error.validator) if isinstance(error.schema, dict) else None
    if spec:
        found = next((char for char in str(error.instance) if char in spec.get("forbidden", "")), "")
        code, message = spec["code"], spec["message"].replace("{name}", name).replace("{found}", found)
    else:
        code = "invalid_value"
        where = "/".join(str(part) for part in path) or "the request"
        message = f"{refused_by} does not accept the value at {where} (rule: {error.validator})."
    return [FieldError(origin_of(path, origins), code, message)]

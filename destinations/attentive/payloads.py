"""Pure builders: resolved field values in, Attentive request bodies out.

Attentive's camelCase lives only here. Builders clean up (empty and null values are dropped),
normalise identifiers, apply the rules a schema cannot express (which identifier remains, how
old an event is) and record where each part of the body came from.
"""

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import lru_cache, partial
from typing import Any

from destinations.definition import BuildContext, Built, FieldError
from destinations.identifiers import normalize_email, normalize_phone
from destinations.timestamps import format_rfc3339, parse_timestamp

JOURNEY_WINDOW = timedelta(hours=12)
# What format_rfc3339 writes: 2026-03-30T14:38:29.000Z.
_RFC3339_MS_UTC = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")

_SCALARS = (str, int, float, bool)


def drop_empty(value: Any) -> Any:
    """Return `value` without null, blank, empty-list and empty-object members (None if nothing is left)."""
    if value is None:
        return None
    kind = type(value)  # most values are exact texts and numbers: an exact type test costs less than isinstance
    if kind is str:
        return value if value.strip() else None
    if kind is int or kind is float or kind is bool:
        return value
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, dict):
        cleaned = {}
        for key, member in value.items():
            member = drop_empty(member)
            if member is not None:
                cleaned[key] = member
        return cleaned or None
    if isinstance(value, list):
        items = [item for item in (drop_empty(member) for member in value) if item is not None]
        return items or None
    return value


def build_custom_event(values: Mapping[str, Any], ctx: BuildContext) -> Built:
    """Return the body of POST /v1/events/custom."""
    body: dict[str, Any] = {}
    built = Built(body, [], {})  # positional: the dataclass's default factories cost more
    # Exact texts (nearly always) trimmed here as text_value trims them: its call costs more than its work.
    event_name = values.get("event_name")
    if type(event_name) is str:
        event_name = event_name.strip() or None
    elif event_name is not None:
        event_name = text_value(values, "event_name", built)
    if event_name is None:
        built.errors.append(FieldError("event_name", "missing_required", "The event name resolved to nothing."))
    else:
        body["type"] = event_name
        built.origins[("type",)] = "event_name"
    properties = _object_with_rows(values, "properties", "properties", built, ctx.rows)
    if properties:
        body["properties"] = properties
    external_event_id = values.get("external_event_id")  # as the event name's
    if type(external_event_id) is str:
        external_event_id = external_event_id.strip() or None
    elif external_event_id is not None:
        external_event_id = text_value(values, "external_event_id", built)
    body["externalEventId"] = external_event_id or ctx.default_external_event_id
    built.origins[("externalEventId",)] = "external_event_id"
    occurred_at = occurred_at_value(values, ctx, built)
    if occurred_at is not None:
        body["occurredAt"] = occurred_at
        built.origins[("occurredAt",)] = "occurred_at"
    add_user(values, ctx, body, built)
    return built


def build_user_attributes(values: Mapping[str, Any], ctx: BuildContext) -> Built:
    """Return the body of POST /v1/attributes/custom."""
    body: dict[str, Any] = {}
    built = Built(body, [], {})  # positional: the dataclass's default factories cost more
    attributes = _object_with_rows(values, "attributes", "properties", built, ctx.rows)
    if attributes:
        body["properties"] = attributes
    else:
        built.errors.append(
            FieldError(
                "attributes",
                "missing_required",
                "No attribute resolved to a value: nothing to update.",
            )
        )
    add_user(values, ctx, body, built)
    return built


def text_value(values: Mapping[str, Any], key: str, built: Built) -> str | None:
    value = values.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, _SCALARS):
        return str(value).lower() if isinstance(value, bool) else str(value)
    built.errors.append(FieldError(key, "not_scalar", "Expected a single value, got a list or an object."))
    return None


def _object_with_rows(
    values: Mapping[str, Any],
    prefix: str,
    body_key: str,
    built: Built,
    rows: Mapping[str, tuple[tuple[str, str], ...]] | None = None,
) -> dict[str, Any]:
    """Merge the object field `prefix` with its `prefix.<name>` rows (rows win). `rows` is the
    context's (BuildContext.rows): the row keys worked out once per action, else from `values`."""
    result: dict[str, Any] = {}
    whole = values.get(prefix)  # nearly always unmapped: drop_empty(None) is None, without its call
    if whole is not None:
        whole = drop_empty(whole)
    if whole is not None:
        if isinstance(whole, dict):
            result.update(whole)
            built.origins[(body_key,)] = prefix
        else:
            built.errors.append(FieldError(prefix, "not_object", "Expected an object (names and values)."))
    origins = built.origins
    # The context's rows when the route step worked them out (one lookup), else found in `values`.
    for key, name in rows.get(prefix, ()) if rows is not None else _rows(tuple(values), prefix + "."):
        value = values.get(key)  # a row whose expression failed has no value: as one that found none
        kind = type(value)
        # Texts and numbers (nearly every row) cleaned here: drop_empty is for what nests.
        if kind is str:
            if not value.strip():
                continue
        elif value is None:
            continue
        elif kind is not int and kind is not float:
            value = drop_empty(value)
            if value is None:
                continue
        result[name] = value
        origins[(body_key, name)] = key
    return result


@lru_cache(maxsize=1024)
def _rows(keys: tuple[str, ...], row_prefix: str) -> tuple[tuple[str, str], ...]:
    """The row keys among `keys` with their names ("properties.Total" -> "Total"). An action's
    keys are the same on every event, so this is worked out once per action, not per event."""
    return tuple((key, key[len(row_prefix) :]) for key in keys if key.startswith(row_prefix))


def occurred_at_value(values: Mapping[str, Any], ctx: BuildContext, built: Built) -> str | None:
    raw = values.get("occurred_at")
    if type(raw) is str and _RFC3339_MS_UTC.fullmatch(raw):
        # Already as Attentive wants it (most events): read as parse_timestamp would (no blank to
        # strip, a Z that fromisoformat reads as UTC), and sent as it came.
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            pass  # shaped like a time but not one (month 13): the general path says so
        else:
            _warn_if_stale(moment, ctx, built)
            return raw
    raw = drop_empty(raw)
    if raw is None:
        return None
    moment = parse_timestamp(raw)
    if moment is None:
        built.errors.append(
            FieldError(
                "occurred_at",
                "invalid_timestamp",
                "Not a date and time (use RFC 3339 or epoch seconds).",
            )
        )
        return None
    _warn_if_stale(moment, ctx, built)
    return format_rfc3339(moment)


def _warn_if_stale(moment: datetime, ctx: BuildContext, built: Built) -> None:
    if ctx.now - moment > JOURNEY_WINDOW:
        built.errors.append(
            FieldError(
                "occurred_at",
                "stale_event",
                "Older than 12 hours: recorded by Attentive but will not trigger journeys.",
                "warning",
            )
        )


def stale_at_send(body: Mapping[str, Any], now: datetime) -> str:
    """A warning when the event is older than the journey window at the moment it is sent."""
    moment = parse_timestamp(body.get("occurredAt")) if body.get("occurredAt") else None
    if moment is None or now - moment <= JOURNEY_WINDOW:
        return ""
    return "occurredAt was more than 12 hours old when sent: Attentive records it but it will not trigger journeys."


def _valid_alternative(raw: Any, normalize: Callable[[Any], str | None], fallback: Any) -> str | None:
    """When `raw` did not normalise and the field was a chain (a || b), the first of the chain's
    values that does, normalised; None otherwise."""
    if fallback is None:
        return None
    # The chain's own value is one of its alternatives: it failed already, so it is not read twice.
    return next(
        (
            found
            for value in fallback()
            if value != raw and drop_empty(value) is not None and (found := normalize(value))
        ),
        None,
    )


def add_user(values: Mapping[str, Any], ctx: BuildContext, body: dict[str, Any], built: Built) -> None:
    """Add `user` with every identifier that is valid; report the ones that are not."""
    user: dict[str, Any] = {}
    rejected: list[tuple[str, str, str]] = []

    raw_phone = values.get("phone")
    # An exact text (nearly always) is cleaned here as drop_empty would: its call costs more than its work.
    if type(raw_phone) is str:
        raw_phone = raw_phone if raw_phone.strip() else None
    elif raw_phone is not None:
        raw_phone = drop_empty(raw_phone)
    if raw_phone is not None:
        # The chain's own value first (nearly always valid): its alternatives are looked up only when not.
        phone = normalize_phone(raw_phone, ctx.region)
        if phone is None:
            normalize = partial(normalize_phone, region=ctx.region)
            phone = _valid_alternative(raw_phone, normalize, ctx.fallbacks.get("phone"))
        if phone is None:
            rejected.append(
                (
                    "phone",
                    "invalid_phone",
                    f"cannot be read as a phone number (region {ctx.region})",
                )
            )
        else:
            user["phone"] = phone
            built.origins[("user", "phone")] = "phone"

    raw_email = values.get("email")
    if type(raw_email) is str:  # as the phone's
        raw_email = raw_email if raw_email.strip() else None
    elif raw_email is not None:
        raw_email = drop_empty(raw_email)
    if raw_email is not None:
        email = normalize_email(raw_email)
        if email is None:
            email = _valid_alternative(raw_email, normalize_email, ctx.fallbacks.get("email"))
        if email is None:
            rejected.append(("email", "invalid_email", "is not a valid email address"))
        else:
            user["email"] = email
            built.origins[("user", "email")] = "email"

    external: dict[str, Any] = {}
    client_user_id = values.get("external_id")  # as build_custom_event's event name
    if type(client_user_id) is str:
        client_user_id = client_user_id.strip() or None
    elif client_user_id is not None:
        client_user_id = text_value(values, "external_id", built)
    if client_user_id is not None:
        external["clientUserId"] = client_user_id
        built.origins[("user", "externalIdentifiers", "clientUserId")] = "external_id"
    custom = []
    rows = ctx.rows  # as _object_with_rows reads them
    for key, name in (
        rows.get("custom_identifiers", ()) if rows is not None else _rows(tuple(values), "custom_identifiers.")
    ):
        value = text_value(values, key, built)
        if value is not None:
            built.origins[("user", "externalIdentifiers", "customIdentifiers", len(custom))] = key
            custom.append({"name": name, "value": value})
    if custom:
        external["customIdentifiers"] = custom
    if external:
        user["externalIdentifiers"] = external

    for field, code, reason in rejected:
        if user:
            message = f"Not sent: the value {reason}. The request goes with the other identifiers."
            built.errors.append(FieldError(field, code, message, "warning"))
        else:
            message = f"The value {reason}, and no other identifier remains: nothing can be sent."
            built.errors.append(FieldError(field, code, message))
    if user:
        body["user"] = user
    elif not rejected:
        built.errors.append(
            FieldError(
                "phone",
                "missing_identifier",
                "No identifier: phone, email and external id all resolved to nothing. Attentive needs at least one.",
            )
        )

"""Unsubscribe: stop a person's subscriptions (POST /v1/subscriptions/unsubscribe, 5 requests/s).

As attentive-api.md §4.1 says: without a subscription type or channel, the person leaves every
subscription of the identifiers given (a phone leaves text messages, an email leaves emails). A
type (MARKETING or TRANSACTIONAL) or a channel (TEXT or EMAIL) narrows it; one of them alone means
every value of the other that the identifiers given can reach. Attentive confirms by message
unless the confirmation is turned off.
"""

from collections.abc import Mapping
from typing import Any

from destinations.attentive import payloads, schemas
from destinations.attentive.actions import EMAIL_HELP, IDENTIFIERS_NAMED, NO_IDENTIFIER, PHONE_HELP
from destinations.definition import ActionType, BuildContext, Built, FieldError, Preset, TargetField

TYPES = ("MARKETING", "TRANSACTIONAL")
CHANNELS = ("TEXT", "EMAIL")
LANGUAGES = ("en-US", "fr-CA")
_CHANNEL_OF = {"phone": "TEXT", "email": "EMAIL"}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:relay:attentive:unsubscribe",
    "title": "Attentive unsubscribe (POST /v1/subscriptions/unsubscribe)",
    "type": "object",
    "required": ["user"],
    "additionalProperties": False,
    "properties": {
        "user": schemas.SUBSCRIBER,
        "subscriptions": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["type", "channel"],
                "additionalProperties": False,
                "properties": {
                    "type": {"type": "string", "pattern": "^(" + "|".join(TYPES) + ")$"},
                    "channel": {"type": "string", "pattern": "^(" + "|".join(CHANNELS) + ")$"},
                },
            },
        },
        "notification": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "language": {"type": "string", "pattern": "^(en-US|fr-CA)$"},
                "disabled": {"type": "boolean"},
            },
        },
    },
}


def build_unsubscribe(values: Mapping[str, Any], ctx: BuildContext) -> Built:
    """Return the body of POST /v1/subscriptions/unsubscribe."""
    scratch: dict[str, Any] = {}
    built = Built(body={})
    only = {key: values[key] for key in ("phone", "email") if key in values}
    payloads.add_user(only, ctx, scratch, built)
    body = built.body
    user = scratch.get("user")
    if user:
        body["user"] = user
    kind = _choice(values, "subscription_type", TYPES, built)
    channel = _choice(values, "channel", CHANNELS, built)
    if user and (kind or channel):
        reachable = [_CHANNEL_OF[key] for key in ("phone", "email") if key in user]
        channels = [channel] if channel else reachable
        body["subscriptions"] = [
            {"type": each_type, "channel": each} for each_type in ([kind] if kind else TYPES) for each in channels
        ]
        built.origins[("subscriptions",)] = "subscription_type" if kind else "channel"
    notification: dict[str, Any] = {}
    language = payloads.text_value(values, "language", built)
    if language is not None:
        if language in LANGUAGES:
            notification["language"] = language
        else:
            built.errors.append(
                FieldError(
                    "language", "invalid_value", "The language must be en-US or fr-CA: it is left out.", "warning"
                )
            )
    silent = values.get("silent")
    if silent is not None:
        if isinstance(silent, bool):
            notification["disabled"] = silent
        else:
            built.errors.append(FieldError("silent", "invalid_value", "Expected true or false.", "error"))
    if notification:
        body["notification"] = notification
        built.origins[("notification",)] = "silent" if "disabled" in notification else "language"
    return built


def _choice(values: Mapping[str, Any], key: str, allowed: tuple[str, ...], built: Built) -> str | None:
    text = payloads.text_value(values, key, built)
    if text is None:
        return None
    if text.upper() in allowed:
        return text.upper()
    built.errors.append(FieldError(key, "invalid_value", f"Expected one of {', '.join(allowed)}."))
    return None


UNSUBSCRIBE = ActionType(
    key="unsubscribe",
    title="Unsubscribe",
    description="Stop a person's text or email subscriptions (POST /v1/subscriptions/unsubscribe).",
    method="POST",
    path="/v1/subscriptions/unsubscribe",
    fields=(
        TargetField(
            "phone",
            "Phone",
            PHONE_HELP + " A phone leaves text messages.",
            default="traits.phone || context.traits.phone || properties.phone",
        ),
        TargetField(
            "email",
            "Email",
            EMAIL_HELP + " An email leaves emails.",
            default="traits.email || context.traits.email || properties.email",
        ),
        TargetField(
            "subscription_type",
            "Subscription type",
            "MARKETING or TRANSACTIONAL; empty leaves both.",
        ),
        TargetField("channel", "Channel", "TEXT or EMAIL; empty leaves every channel of the identifiers given."),
        TargetField("silent", "No confirmation", "true to send no unsubscribe confirmation message."),
        TargetField("language", "Confirmation language", "en-US or fr-CA."),
    ),
    row_groups=(),
    schema=SCHEMA,
    build=build_unsubscribe,
    presets=(
        Preset(
            key="unsubscribed",
            name="Unsubscribed",
            description="Someone unsubscribed in your own systems: stop their messages in Attentive too.",
            trigger="type == 'track' && contains(['unsubscribed', 'user unsubscribed', 'opted out', 'unsubscribe'], lower(event))",
            mappings={
                "phone": "traits.phone || context.traits.phone || properties.phone",
                "email": "traits.email || context.traits.email || properties.email",
                "subscription_type": "'MARKETING'",
            },
            example_event={
                "type": "track",
                "event": "Unsubscribed",
                "userId": "user-1042",
                "messageId": "msg-unsubscribed-0001",
                "timestamp": "2026-11-27T09:30:00.000Z",
                "properties": {"list": "newsletter"},
                "context": {"traits": {"email": "jane.doe@example.com", "phone": "(415) 555-2671"}},
            },
        ),
    ),
    default_trigger="type == 'track' && event == 'Unsubscribed'",
    identifier_keys=("phone", "email"),
    identifiers_named=IDENTIFIERS_NAMED,
    skips=(NO_IDENTIFIER,),
    validated_identifiers=("phone", "email"),
    rate_limit=5.0,
)

"""Subscribe: sign a person up for text messages or emails (POST /v1/subscriptions, 10 requests/s).

A text-message opt-in has legal consequences (TCPA in the US), so this action never subscribes
anyone on its own say-so: its consent field must be read from the event and be true for it (else
the delivery is skipped, with the reason), and it cannot be enabled before an admin records the
sign-up disclosure people agreed to. The preview says what the person will receive.

As attentive-api.md §4.1 says, Attentive needs either a sign-up source id or a locale with a
subscription type. A sign-up source id wins when both are mapped (Segment's action errors until the
marketer clears the locale its default filled in).
"""

import re
from collections.abc import Mapping
from typing import Any

from destinations.attentive import payloads, schemas
from destinations.attentive.actions import (
    CUSTOM_IDENTIFIERS,
    EMAIL_HELP,
    EXTERNAL_ID_HELP,
    IDENTIFIERS_NAMED,
    NO_IDENTIFIER,
    PHONE_HELP,
)
from destinations.definition import ActionType, BuildContext, Built, Disclosure, FieldError, Preset, Skip, TargetField

TYPES = ("MARKETING", "TRANSACTIONAL")
SOURCE = "sign_up_source_id"
_LOCALE = re.compile(r"([a-z]{2})[-_]([a-z]{2})", re.IGNORECASE)
_YES = frozenset({"true", "yes", "y"})

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:relay:attentive:subscribe",
    "title": "Attentive subscribe (POST /v1/subscriptions)",
    "type": "object",
    "required": ["user"],
    "additionalProperties": False,
    "properties": {
        "user": schemas.SUBSCRIBER,
        "signUpSourceId": schemas.STRING_ID,
        "locale": {
            "type": "object",
            "required": ["language", "country"],
            "additionalProperties": False,
            "properties": {
                "language": {"type": "string", "pattern": "^[a-z]{2}$"},
                "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
            },
        },
        "subscriptionType": {"type": "string", "pattern": "^(MARKETING|TRANSACTIONAL)$"},
        "externalIdentifiers": schemas.EXTERNAL_IDENTIFIERS,
        "singleOptIn": {"type": "boolean"},
    },
}


def build_subscribe(values: Mapping[str, Any], ctx: BuildContext) -> Built:
    """Return the body of POST /v1/subscriptions, and an error that skips it without consent."""
    scratch: dict[str, Any] = {}
    built = Built(body={})
    body = built.body
    payloads.add_user(values, ctx, scratch, built)
    user = dict(scratch.get("user", {}))
    external = user.pop("externalIdentifiers", None)
    if user:
        body["user"] = user
    if external:
        body["externalIdentifiers"] = external
    built.origins = {
        (("externalIdentifiers", *path[2:]) if path[:2] == ("user", "externalIdentifiers") else path): field_key
        for path, field_key in built.origins.items()
    }
    if not user and external:
        built.errors.append(
            FieldError(
                "phone",
                "missing_identifier",
                "A subscription needs a phone or an email: ids alone cannot sign anyone up.",
            )
        )
    source = payloads.text_value(values, "sign_up_source_id", built)
    locale = values.get("locale")
    if source is None and (locale is None or locale == "") and ctx.defaults.get(SOURCE):
        source = ctx.defaults[SOURCE]
        built.errors.append(
            FieldError(
                "locale",
                "default_used",
                "The event has no locale: the destination's default sign-up source is used.",
                "warning",
            )
        )
    if source is not None:
        body["signUpSourceId"] = source
        built.origins[("signUpSourceId",)] = "sign_up_source_id"
    else:
        _locale_and_type(values, body, built, ctx.defaults.get("locale"))
    opt_in = values.get("single_opt_in")
    if opt_in is not None:
        if isinstance(opt_in, bool):
            body["singleOptIn"] = opt_in
            built.origins[("singleOptIn",)] = "single_opt_in"
        else:
            built.errors.append(FieldError("single_opt_in", "invalid_value", "Expected true or false."))
    if not _consented(values.get("consent")):
        built.errors.append(
            FieldError(
                "consent",
                "no_subscription_consent",
                "The consent field is not true for this event: nobody is subscribed without it.",
            )
        )
    return built


def _locale_and_type(values: Mapping[str, Any], body: dict[str, Any], built: Built, default: str | None) -> None:
    locale = payloads.text_value(values, "locale", built)
    kind = payloads.text_value(values, "subscription_type", built)
    if locale is None and default and kind is not None:
        locale = default
        built.errors.append(
            FieldError(
                "locale",
                "default_used",
                f"The event has no locale: the destination's default {default} is used.",
                "warning",
            )
        )
    if locale is None or kind is None:
        built.errors.append(
            FieldError(
                "sign_up_source_id",
                "missing_required",
                "Map a sign-up source id, or a locale and a subscription type: Attentive needs one of the two "
                "to find the sign-up unit.",
            )
        )
        return
    match = _LOCALE.fullmatch(locale)
    if match is None:
        built.errors.append(FieldError("locale", "invalid_value", "A locale is a language and a country: en-US."))
    else:
        body["locale"] = {"language": match[1].lower(), "country": match[2].upper()}
        built.origins[("locale",)] = "locale"
    if kind.upper() not in TYPES:
        built.errors.append(FieldError("subscription_type", "invalid_value", "Expected MARKETING or TRANSACTIONAL."))
    else:
        body["subscriptionType"] = kind.upper()
        built.origins[("subscriptionType",)] = "subscription_type"


def _consented(value: Any) -> bool:
    """Only a clear yes: true, or the text true/yes/y. Anything else (1, "on", a date) is not consent."""
    return value is True or (isinstance(value, str) and value.strip().lower() in _YES)


def describe(body: Mapping[str, Any], disclosure: str) -> str:
    """What the person receives, for the preview."""
    user = body.get("user") or {}
    channels = [name for key, name in (("phone", "text messages"), ("email", "emails")) if key in user]
    if not channels:
        return "Nobody would be subscribed: there is no phone or email."
    what = (body.get("subscriptionType") or "the sign-up unit's").lower()
    if body.get("singleOptIn"):
        start = "They are subscribed at once and receive the welcome message."
    else:
        start = "Attentive first asks them to confirm (reply Y to a text; a link in an email) and subscribes them then."
    agreed = f" They agreed to: “{disclosure}”" if disclosure else " No sign-up disclosure is recorded yet."
    return (
        f"Subscribes this person to {what} {' and '.join(channels)}. {start} Someone already subscribed "
        f"gets an “already subscribed” message.{agreed}"
    )


SUBSCRIBE = ActionType(
    key="subscribe",
    title="Subscribe",
    description="Sign a person up for text messages or emails, with their consent (POST /v1/subscriptions).",
    method="POST",
    path="/v1/subscriptions",
    fields=(
        TargetField(
            "consent",
            "Consent",
            "A field of the event that is true only when the person agreed to receive messages "
            "(true, or the text true/yes). Required, and never a fixed value: without consent nobody is subscribed.",
            required=True,
            default="properties.consent || properties.sms_consent",
            from_event=True,
        ),
        TargetField(
            "phone",
            "Phone",
            PHONE_HELP + " Subscribes to text messages.",
            default="properties.phone || context.traits.phone || traits.phone",
        ),
        TargetField(
            "email",
            "Email",
            EMAIL_HELP + " Subscribes to emails.",
            default="properties.email || context.traits.email || traits.email",
        ),
        TargetField("external_id", "External id", EXTERNAL_ID_HELP, default="userId"),
        TargetField(
            "sign_up_source_id",
            "Sign-up source id",
            "The id of an API sign-up unit in Attentive. When mapped, locale and subscription type are not sent.",
        ),
        TargetField(
            "locale",
            "Locale",
            "Language and country, such as en-US (with a subscription type).",
            default="context.locale",
        ),
        TargetField("subscription_type", "Subscription type", "MARKETING or TRANSACTIONAL.", default="'MARKETING'"),
        TargetField(
            "single_opt_in",
            "Single opt-in",
            "true subscribes at once, without the confirmation step (only with the consent your disclosure gives).",
        ),
    ),
    row_groups=(CUSTOM_IDENTIFIERS,),
    schema=SCHEMA,
    build=build_subscribe,
    presets=(
        Preset(
            key="subscribed",
            name="Subscribed",
            description="Someone opted in on your site or app: sign them up in Attentive, with their consent.",
            trigger="type == 'track' && contains(['subscribed', 'user subscribed', 'sms subscribed', 'opted in'], lower(event))",
            mappings={
                "consent": "properties.consent || properties.sms_consent",
                "phone": "properties.phone || context.traits.phone || traits.phone",
                "email": "properties.email || context.traits.email || traits.email",
                "external_id": "userId",
                "locale": "context.locale",
                "subscription_type": "'MARKETING'",
            },
            example_event={
                "type": "track",
                "event": "User Subscribed",
                "userId": "user-1042",
                "messageId": "msg-subscribed-0001",
                "timestamp": "2026-11-27T09:30:00.000Z",
                "properties": {"phone": "(415) 555-2671", "consent": True, "form": "footer"},
                "context": {"locale": "en-US"},
            },
        ),
    ),
    default_trigger="type == 'track' && event == 'User Subscribed'",
    identifier_keys=("phone", "email"),
    identifiers_named=IDENTIFIERS_NAMED,
    validated_identifiers=("phone", "email"),
    rate_limit=10.0,
    needs_disclosure=Disclosure(
        field="consent",
        required="No sign-up disclosure is recorded: an admin must record the legal text subscribers agreed to in "
        "the destination's settings before anyone may be subscribed.",
        missing="No sign-up disclosure is recorded for this destination: nobody is subscribed.",
        skipped="Skipped: no sign-up disclosure is recorded for this destination, so nobody is subscribed.",
    ),
    skips=(
        NO_IDENTIFIER,
        Skip(
            "no_subscription_consent", "Skipped: the consent field is not true for this event, so nobody is subscribed."
        ),
    ),
    describe=describe,
    describe_unsent="Nothing: this event is not sent, so they are not subscribed.",
)

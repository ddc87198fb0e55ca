"""Identify: link a person's ids to their phone or email (POST /v1/identity-resolution/user-identifiers).

Attentive's rules (attentive-api.md §4.3): no null or empty values (they are left out), at most 100
characters for an email, Shopify, Klaviyo or client user id, and a client user id or a custom
identifier never alone: it must come with a phone, an email, a Shopify or a Klaviyo id, or there is
nothing to link it to. Limited to 10 requests a second per key.
"""

from collections.abc import Mapping
from typing import Any

from destinations.attentive import payloads, schemas
from destinations.attentive.actions import CUSTOM_IDENTIFIERS, EMAIL_HELP, IDENTIFIERS_NAMED, NO_IDENTIFIER, PHONE_HELP
from destinations.definition import ActionType, BuildContext, Built, FieldError, Preset, TargetField

MAX_ID_LENGTH = 100
_LIMITED_ID = {"type": "string", "minLength": 1, "maxLength": MAX_ID_LENGTH}
# What a client user id or custom identifier can be linked to.
ANCHORS = ("phone", "email", "shopifyId", "klaviyoId")

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:relay:attentive:identify",
    "title": "Attentive identity resolution (POST /v1/identity-resolution/user-identifiers)",
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "phone": schemas.PHONE,
        "email": {**schemas.EMAIL, "maxLength": MAX_ID_LENGTH},
        "shopifyId": _LIMITED_ID,
        "klaviyoId": _LIMITED_ID,
        "clientUserId": _LIMITED_ID,
        "customIdentifiers": schemas.CUSTOM_IDENTIFIERS,
    },
}


def build_identify(values: Mapping[str, Any], ctx: BuildContext) -> Built:
    """Return the body of POST /v1/identity-resolution/user-identifiers: the identifiers, flat."""
    scratch: dict[str, Any] = {}
    built = Built(body={})
    payloads.add_user(values, ctx, scratch, built)
    user = scratch.get("user", {})
    body = built.body
    for key in ("phone", "email"):
        if key in user:
            body[key] = user[key]
    external = user.get("externalIdentifiers", {})
    for key, value in external.items():
        body[key] = value
    for key, body_key in (("shopify_id", "shopifyId"), ("klaviyo_id", "klaviyoId")):
        value = payloads.text_value(values, key, built)
        if value is not None:
            body[body_key] = value
    # Where each part came from, flat as the body is.
    built.origins = {_flat(path): field_key for path, field_key in built.origins.items()}
    built.origins.update({("shopifyId",): "shopify_id", ("klaviyoId",): "klaviyo_id"})
    for key, field_key in _LIMITED:
        if len(body.get(key, "")) > MAX_ID_LENGTH:
            del body[key]  # reported once, here, in the marketer's words (not again by the schema)
            built.errors.append(
                FieldError(field_key, "too_long", f"Attentive takes at most {MAX_ID_LENGTH} characters here.")
            )
    linked = [key for key in ("clientUserId", "customIdentifiers") if key in body]
    if linked and not any(key in body for key in ANCHORS):
        built.errors.append(
            FieldError(
                "external_id" if "clientUserId" in body else "phone",
                "lone_identifier",
                "A client user id or custom identifier needs a phone, an email, a Shopify or a Klaviyo id "
                "beside it: there is nothing to link it to.",
            )
        )
    # add_user's "no identifier" speaks of phone, email and external id: true here too.
    built.errors = [error for error in built.errors if error.code != "missing_identifier" or not body]
    return built


_LIMITED = (
    ("email", "email"),
    ("shopifyId", "shopify_id"),
    ("klaviyoId", "klaviyo_id"),
    ("clientUserId", "external_id"),
)


def _flat(path: tuple[Any, ...]) -> tuple[Any, ...]:
    if path[:2] == ("user", "externalIdentifiers"):
        return path[2:]
    return path[1:] if path[:1] == ("user",) else path


IDENTIFY = ActionType(
    key="identify",
    title="Identify",
    description="Link a person's ids (client user id, Shopify, Klaviyo, custom) to their phone or email "
    "(POST /v1/identity-resolution/user-identifiers).",
    method="POST",
    path="/v1/identity-resolution/user-identifiers",
    fields=(
        TargetField("phone", "Phone", PHONE_HELP, default="traits.phone || context.traits.phone"),
        TargetField("email", "Email", EMAIL_HELP, default="traits.email || context.traits.email"),
        TargetField(
            "external_id",
            "Client user id",
            "Your own id for the person (sent as clientUserId); never alone: it needs a phone, an email, "
            "a Shopify or a Klaviyo id beside it.",
            default="userId",
        ),
        TargetField("shopify_id", "Shopify id", "Sent as shopifyId."),
        TargetField("klaviyo_id", "Klaviyo id", "Sent as klaviyoId."),
    ),
    row_groups=(CUSTOM_IDENTIFIERS,),
    schema=SCHEMA,
    build=build_identify,
    presets=(
        Preset(
            key="link_identities",
            name="Link Identities",
            description="Link your user id to the phone and email of people who sign in or sign up.",
            trigger="type == 'identify'",
            mappings={
                "phone": "traits.phone || context.traits.phone",
                "email": "traits.email || context.traits.email",
                "external_id": "userId",
            },
            example_event={
                "type": "identify",
                "userId": "user-1042",
                "messageId": "msg-link-0001",
                "timestamp": "2026-11-27T09:30:00.000Z",
                "traits": {"email": "jane.doe@example.com", "phone": "+1 415 555 2671"},
            },
        ),
    ),
    default_trigger="type == 'identify'",
    identifier_keys=("phone", "email", "external_id", "shopify_id", "klaviyo_id", "custom_identifiers"),
    identifiers_named=IDENTIFIERS_NAMED,
    skips=(NO_IDENTIFIER,),
    validated_identifiers=("phone", "email"),
    rate_limit=10.0,
)

"""The Attentive action types: their fields, schemas, builders and presets."""

from destinations.attentive import payloads, presets, schemas
from destinations.definition import ActionType, RowGroup, Skip, TargetField

PHONE_HELP = (
    "Normalised to E.164 with the destination's default region for national formats. "
    "A value that cannot be a phone number is not sent."
)
EMAIL_HELP = "Trimmed and lower-cased. A value that is not an email address is not sent."
EXTERNAL_ID_HELP = (
    "Sent as user.externalIdentifiers.clientUserId. On its own it only reaches profiles already "
    "linked to a phone or email through Attentive's Identity API."
)
# A request reaches a profile through one of these (custom identifiers are rows).
IDENTIFIER_KEYS = ("phone", "email", "external_id", "custom_identifiers")
# How every Attentive action names its identifiers when none is mapped, and the skip of a request in
# which none resolved (the builders' "missing_identifier", when it is the request's only error).
IDENTIFIERS_NAMED = "phone, email, external id or a custom identifier"
NO_IDENTIFIER = Skip(
    "missing_identifier", "Skipped: no identifier, as phone, email and external id all resolved to nothing.", True
)

CUSTOM_IDENTIFIERS = RowGroup(
    prefix="custom_identifiers",
    label="Custom identifiers",
    help="Sent as user.externalIdentifiers.customIdentifiers [{name, value}].",
    name_label="Identifier name",
)

CUSTOM_EVENT = ActionType(
    key="custom_event",
    title="Custom Event",
    description="Send an event that can trigger journeys and build segments (POST /v1/events/custom).",
    method="POST",
    path="/v1/events/custom",
    fields=(
        TargetField(
            "event_name",
            "Event name",
            "Sent as `type`. Case-sensitive; cannot contain " + schemas.EVENT_NAME_FORBIDDEN + ".",
            required=True,
            default="event",
        ),
        TargetField("phone", "Phone", PHONE_HELP, default=presets.IDENTIFIERS["phone"]),
        TargetField("email", "Email", EMAIL_HELP, default=presets.IDENTIFIERS["email"]),
        TargetField(
            "external_id",
            "External id",
            EXTERNAL_ID_HELP,
            default=presets.IDENTIFIERS["external_id"],
        ),
        TargetField(
            "properties",
            "Properties",
            "One expression giving an object; the property rows below are added to it. Names cannot "
            "contain " + schemas.PROPERTY_KEY_FORBIDDEN + ".",
            default="properties",
        ),
        TargetField(
            "occurred_at",
            "Occurred at",
            "When the event happened (sent in RFC 3339, UTC). Events older than 12 hours are recorded "
            "but do not trigger journeys.",
            default="timestamp",
        ),
        TargetField(
            "external_event_id",
            "External event id",
            "Leave empty to derive a stable id from the event's messageId and this action, "
            "so retries and replays carry the same id.",
        ),
    ),
    row_groups=(
        RowGroup(
            "properties",
            "Properties",
            "One row per property sent in `properties`.",
            "Property name",
        ),
        CUSTOM_IDENTIFIERS,
    ),
    schema=schemas.CUSTOM_EVENT,
    build=payloads.build_custom_event,
    presets=presets.CUSTOM_EVENT_PRESETS,
    default_trigger="type == 'track'",
    warn_at_send=payloads.stale_at_send,
    identifier_keys=IDENTIFIER_KEYS,
    identifiers_named=IDENTIFIERS_NAMED,
    skips=(NO_IDENTIFIER,),
    validated_identifiers=("phone", "email"),
)

USER_ATTRIBUTES = ActionType(
    key="user_attributes",
    title="User Attributes",
    description="Create or update custom attributes on a profile (POST /v1/attributes/custom).",
    method="POST",
    path="/v1/attributes/custom",
    fields=(
        TargetField(
            "phone",
            "Phone",
            PHONE_HELP,
            default="traits.phone || context.traits.phone",
        ),
        TargetField(
            "email",
            "Email",
            EMAIL_HELP,
            default="traits.email || context.traits.email",
        ),
        TargetField("external_id", "External id", EXTERNAL_ID_HELP, default="userId"),
        TargetField(
            "attributes",
            "Attributes",
            "One expression giving an object of attribute names and single values; the attribute rows "
            f"below are added to it. At most {schemas.MAX_ATTRIBUTES} attributes, names of at most "
            f"{schemas.MAX_ATTRIBUTE_NAME_LENGTH} characters.",
            default='{"First Name": traits.firstName, "Last Name": traits.lastName}',
        ),
    ),
    row_groups=(
        RowGroup(
            "attributes",
            "Attributes",
            "One row per attribute. Values must be text, a number or true/false.",
            "Attribute name",
        ),
        CUSTOM_IDENTIFIERS,
    ),
    schema=schemas.USER_ATTRIBUTES,
    build=payloads.build_user_attributes,
    presets=presets.USER_ATTRIBUTES_PRESETS,
    default_trigger="type == 'identify'",
    named_value="attribute",
    identifier_keys=IDENTIFIER_KEYS,
    identifiers_named=IDENTIFIERS_NAMED,
    skips=(NO_IDENTIFIER,),
    validated_identifiers=("phone", "email"),
)

"""A second destination type that lives only in the tests: a webhook that POSTs the mapped body to a URL.

It proves the seam: declared here as Attentive is declared in destinations/attentive/__init__.py, and
registered for a test by the `webhook_type` fixture (tests/destinations/webhook/conftest.py), it is
enough for the crawl, the preview and delivery to work for it.
"""

from collections.abc import Mapping
from typing import Any

from destinations.definition import (
    ActionType,
    ApiKey,
    BodyLayout,
    BuildContext,
    Built,
    DestinationType,
    FieldError,
    Preset,
    RowGroup,
    Skip,
    TargetField,
)
from tests.destinations.webhook.client import WebhookClient, auth_header, base_url

SCHEMA = {
    "type": "object",
    "required": ["event", "user_id"],
    # Data rows add members of their own names; the webhook's own fields are named below.
    "additionalProperties": True,
    "properties": {
        "event": {"type": "string", "minLength": 1, "maxLength": 100},
        "user_id": {"type": "string", "minLength": 1},
        "amount": {"type": "number"},
    },
}

EXAMPLE_EVENT = {
    "type": "track",
    "event": "Order Shipped",
    "userId": "user-1042",
    "messageId": "webhook-example-1",
    "timestamp": "2026-11-27T09:30:00.000Z",
    "properties": {"order_id": "54321", "total": 86.4},
}


# An event about nobody is not the webhook's to refuse: it is skipped (when nothing else is wrong with it).
NO_USER = Skip("no_user", "Skipped: the event names no user, so nothing is posted to the webhook.", only_error=True)


def build(values: Mapping[str, Any], context: BuildContext) -> Built:
    """The mapped body: every non-empty field as it is, each data row a member of its name; an amount must
    be a number."""
    built = Built(body={})
    for key in ("event", "user_id"):
        value = values.get(key)
        if value not in (None, ""):
            built.body[key] = str(value)
            built.origins[(key,)] = key
    for key, value in values.items():
        name = key.partition(".")[2]
        if not key.startswith("data.") or value is None:
            continue
        if name in SCHEMA["properties"]:
            built.errors.append(FieldError(key, "invalid_name", f"“{name}” is the webhook's own field."))
        else:
            built.body[name] = value
            built.origins[(name,)] = key
    amount = values.get("amount")
    if amount not in (None, ""):
        if isinstance(amount, int | float) and not isinstance(amount, bool):
            built.body["amount"] = amount
            built.origins[("amount",)] = "amount"
        else:
            built.errors.append(FieldError("amount", "invalid_amount", "The amount is not a number."))
    if "event" not in built.body:
        built.errors.append(FieldError("event", "missing", "event is required and has no value."))
    if "user_id" not in built.body:
        built.errors.append(
            FieldError("user_id", NO_USER.code, "The event names no user: there is nobody to post about.")
        )
    return built


POST_EVENT = ActionType(
    key="webhook_post",
    title="Webhook Post",
    description="POST the mapped body to the webhook's URL.",
    method="POST",
    path="/hook",
    fields=(
        TargetField("event", "Event", "The event's name.", required=True, default="event"),
        TargetField("user_id", "User id", "Who the event is about.", required=True, default="userId"),
        TargetField("amount", "Amount", "A number, such as an order's total."),
    ),
    row_groups=(RowGroup("data", "Data", "Sent as a member of the body, by its name (a value or an object)."),),
    schema=SCHEMA,
    build=build,
    presets=(
        Preset(
            key="webhook_order_shipped",
            name="Order shipped to the webhook",
            description="Posts each shipped order.",
            trigger="type == 'track' && event == 'Order Shipped'",
            mappings={"event": "event", "user_id": "userId", "amount": "properties.total"},
            example_event=EXAMPLE_EVENT,
        ),
    ),
    default_trigger="type == 'track' && event == 'Order Shipped'",
    identifier_keys=("user_id",),
    skips=(NO_USER,),
    describe=lambda body, disclosure: f"Posts “{body.get('event')}” about this person to the webhook.",
)

WEBHOOK = DestinationType(
    key="webhook",
    title="Webhook",
    actions=(POST_EVENT,),
    client=WebhookClient,
    base_url=base_url,
    auth_header=auth_header,
    # Every name of the body is judged (the default); the event's name is where the builder puts it.
    body_layout=BodyLayout(event_name=("event",)),
    api_key=ApiKey(
        where="the shared secret the webhook expects in its X-Webhook-Secret header.",
        pattern=r"[A-Za-z0-9-]{16,128}",
        shape="16 to 128 letters, digits or dashes",
        check="GET /hook",
    ),
)

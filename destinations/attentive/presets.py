"""Ready-made actions for the use cases our customers start with, each with an example event.

Every preset runs through the real pipeline in tests/destinations/attentive/test_presets.py.
Healthcare presets map scheduling details only: never the reason for a visit, a provider's
speciality or anything else Attentive's terms forbid.
"""

from typing import Any

from destinations.definition import Preset

IDENTIFIERS = {
    "phone": "context.traits.phone || properties.phone || traits.phone",
    "email": "context.traits.email || properties.email || traits.email",
    "external_id": "userId",
}

_CONTEXT = {
    "traits": {"email": "Jane.Doe@Example.com", "phone": "(415) 555-2671"},
    "library": {"name": "analytics-python", "version": "2.4.0"},
}


def track_example(event: str, message_id: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "track",
        "event": event,
        "userId": "user-1042",
        "messageId": message_id,
        "timestamp": "2026-11-27T09:30:00.000Z",
        "properties": properties,
        "context": _CONTEXT,
    }


def _custom_event(
    key: str,
    event: str,
    description: str,
    properties: dict[str, str],
    example: dict[str, Any],
) -> Preset:
    # One constant feeds the trigger, the literal event name and the example, so they cannot drift.
    mappings = {
        "event_name": f"'{event}'",
        **IDENTIFIERS,
        **{f"properties.{name}": expression for name, expression in properties.items()},
        "occurred_at": "timestamp",
    }
    return Preset(
        key=key,
        name=event,
        description=description,
        trigger=f"type == 'track' && event == '{event}'",
        mappings=mappings,
        example_event=track_example(event, f"msg-{key}-0001", example),
    )


CUSTOM_EVENT_PRESETS = (
    _custom_event(
        "order_shipped",
        "Order Shipped",
        "Tell the customer their order is on its way, with the tracking link.",
        {
            "Order Id": "properties.order_id",
            "Carrier": "properties.carrier",
            "Tracking Number": "properties.tracking_number",
            "Tracking URL": "properties.tracking_url",
        },
        {
            "order_id": "54321",
            "carrier": "UPS",
            "tracking_number": "1Z999AA10123456784",
            "tracking_url": "https://example.com/track/1Z999AA10123456784",
            "total": 86.4,
        },
    ),
    _custom_event(
        "order_delivered",
        "Order Delivered",
        "Follow up once the order has arrived: reviews, care tips, cross-sell.",
        {
            "Order Id": "properties.order_id",
            "Carrier": "properties.carrier",
            "Delivered At": "to_iso8601(properties.delivered_at)",
        },
        {"order_id": "54321", "carrier": "UPS", "delivered_at": 1795771800},
    ),
    _custom_event(
        "account_created",
        "Account Created",
        "Welcome journey for a new account.",
        {
            "Signup Method": "properties.signup_method",
            "Referral Code": "properties.referral_code",
        },
        {"signup_method": "email", "referral_code": "FRIEND10"},
    ),
    _custom_event(
        "appointment_booked",
        "Appointment Booked",
        "Confirmation and reminders. Maps the time and place only, never the reason for the visit.",
        {
            "Appointment Id": "properties.appointment_id",
            "Appointment Time": "to_iso8601(properties.appointment_time)",
            "Location": "properties.location_name",
        },
        {
            "appointment_id": "apt-7781",
            "appointment_time": "2026-12-02T15:00:00-05:00",
            "location_name": "Downtown Clinic",
        },
    ),
    _custom_event(
        "appointment_cancelled",
        "Appointment Cancelled",
        "Offer to rebook. Maps the time and place only, never the reason for the visit.",
        {
            "Appointment Id": "properties.appointment_id",
            "Appointment Time": "to_iso8601(properties.appointment_time)",
            "Location": "properties.location_name",
        },
        {
            "appointment_id": "apt-7781",
            "appointment_time": "2026-12-02T15:00:00-05:00",
            "location_name": "Downtown Clinic",
        },
    ),
    _custom_event(
        "subscription_cancelled",
        "Subscription Cancelled",
        "Win-back journey when a subscription ends.",
        {"Subscription Id": "properties.subscription_id", "Plan": "properties.plan"},
        {"subscription_id": "sub-3390", "plan": "Monthly Box"},
    ),
)

PROFILE_ENRICHMENT = Preset(
    key="profile_enrichment",
    name="Profile Enrichment",
    description="Keep Attentive profiles current from identify calls.",
    trigger="type == 'identify'",
    mappings={
        "phone": "traits.phone || context.traits.phone",
        "email": "traits.email || context.traits.email",
        "external_id": "userId",
        "attributes.First Name": "traits.firstName || traits.first_name",
        "attributes.Last Name": "traits.lastName || traits.last_name",
        "attributes.Birthday": "traits.birthday",
        "attributes.City": "traits.address.city",
        "attributes.State": "traits.address.state",
        "attributes.Postal Code": "traits.address.postalCode || traits.address.postal_code",
        "attributes.Country": "traits.address.country",
        "attributes.Loyalty Tier": "traits.loyalty_tier || traits.loyaltyTier",
    },
    example_event={
        "type": "identify",
        "userId": "user-1042",
        "messageId": "msg-identify-0001",
        "timestamp": "2026-11-27T09:30:00.000Z",
        "traits": {
            "email": "jane.doe@example.com",
            "phone": "+1 415 555 2671",
            "firstName": "Jane",
            "lastName": "Doe",
            "birthday": "1990-04-12",
            "address": {
                "city": "Oakland",
                "state": "CA",
                "postalCode": "94612",
                "country": "US",
            },
            "loyalty_tier": "Gold",
        },
    },
)

USER_ATTRIBUTES_PRESETS = (PROFILE_ENRICHMENT,)

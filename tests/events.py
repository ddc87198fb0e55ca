"""Sample events for tests and benchmarks (no Django imports, so benchmarks can use them too)."""

from typing import Any


def shipped_event(index: int = 1, **overrides: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Order Shipped",
        "userId": f"user-{index}",
        "messageId": f"msg-{index}",
        "properties": {"order_id": str(index), "carrier": "UPS"},
        "context": {"traits": {"email": f"person{index}@example.com", "phone": "(415) 555-2671"}},
        **overrides,
    }


# The 10-field Order Shipped action the benchmarks measure (bench/engine.py, bench/preview.py).
BENCH_TRIGGER = "type == 'track' && event == 'Order Shipped'"
BENCH_MAPPINGS = {
    "event_name": "'Order Shipped'",
    "phone": "context.traits.phone || properties.phone",
    "email": "context.traits.email",
    "external_id": "userId",
    "occurred_at": "timestamp",
    "properties.Order Id": "properties.order_id",
    "properties.Carrier": "properties.carrier",
    "properties.Tracking Number": "properties.tracking_number",
    "properties.Tracking URL": "properties.tracking_url",
    "properties.Total": "properties.total",
}
BENCH_EVENT = {
    "type": "track",
    "event": "Order Shipped",
    "userId": "user-1042",
    "messageId": "msg-bench-0001",
    "timestamp": "2026-11-27T09:30:00.000Z",
    "properties": {
        "order_id": "54321",
        "carrier": "UPS",
        "tracking_number": "1Z999AA10123456784",
        "tracking_url": "https://example.com/track/1Z999AA10123456784",
        "total": 86.4,
    },
    "context": {"traits": {"email": "jane.doe@example.com", "phone": "(415) 555-2671"}},
}


def messy_events(count: int = 5_000, seed: int = 20261127) -> list[dict[str, Any]]:
    """Real traffic, generated and seeded: national and international phones in everyday spellings,
    nested properties, and a good share of events with something wrong or worth a warning (a phone
    that is not one, no identifier at all, an unreadable or stale timestamp, a bad email)."""
    import random

    rng = random.Random(seed)
    phones = [
        "(415) 555-2671",
        "415.555.0134",
        "+1 212 555 0199",
        "+44 20 7946 0958",
        "+49 30 901820",
        "+33 1 42 68 53 00",
        "+91 98765 43210",
        "+61 2 9374 4000",
        "0044 7700 900123",
        "555-0100",
        "12",
        "call me",
    ]
    # Mostly readable numbers, national and international; one in ten is not a phone number.
    phone_weights = [20, 15, 10, 8, 6, 6, 6, 6, 4, 4, 3, 3]
    emails = ["jane.doe@example.com", " Jane.Doe@Example.COM ", "j@example.co.uk", "not-an-email", ""]
    email_weights = [50, 25, 15, 5, 5]
    # Mostly fresh, some stale (a warning) and a few unreadable (an error).
    timestamps = ["2026-11-27T09:30:00.000Z", "2026-11-27T04:30:00-05:00", 1795771800, "2026-11-25T09:30:00Z", "soon"]
    timestamp_weights = [60, 15, 10, 10, 5]
    events = []
    for index in range(count):
        properties: dict[str, Any] = {
            "order_id": str(rng.randint(10_000, 99_999)),
            "carrier": rng.choice(["UPS", "FedEx", "USPS", "DHL"]),
            "tracking_number": f"1Z{rng.randint(10**15, 10**16 - 1)}",
            "tracking_url": f"https://example.com/track/{index}",
            "total": round(rng.uniform(5, 500), 2),
        }
        if rng.random() < 0.3:
            properties["items"] = [
                {"sku": f"SKU-{rng.randint(1, 999)}", "qty": rng.randint(1, 4), "tags": ["a", "b"]}
                for _ in range(rng.randint(1, 5))
            ]
            properties["shipping"] = {"address": {"city": "Oakland", "zip": "94612"}, "method": "ground"}
        traits: dict[str, Any] = {}
        if rng.random() < 0.9:
            traits["phone"] = rng.choices(phones, phone_weights)[0]
        if rng.random() < 0.85:
            traits["email"] = rng.choices(emails, email_weights)[0]
        events.append(
            {
                "type": "track",
                "event": "Order Shipped",
                "userId": f"user-{index}" if rng.random() < 0.7 else None,
                "messageId": f"msg-messy-{index}",
                "timestamp": rng.choices(timestamps, timestamp_weights)[0],
                "properties": properties,
                "context": {"traits": traits, "library": {"name": "analytics-python", "version": "2.4.0"}},
            }
        )
    return events


def with_distinct_people(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`events` with every readable phone and email made a different person's, in the same spelling.

    messy_events draws from a dozen phone spellings and a few emails; real traffic repeats a person
    far less. Here the last four digits of each phone are the event's index (the same length, so the
    same verdict) and each email gets the index before its @: any answer remembered from event to
    event would no longer help, and what is left is the work itself.
    """
    distinct = []
    for index, event in enumerate(events):
        traits = dict(event["context"]["traits"])
        phone = traits.get("phone")
        if isinstance(phone, str) and sum(character.isdigit() for character in phone) >= 7:
            traits["phone"] = _last_digits(phone, f"{index % 10_000:04d}")
        email = traits.get("email")
        if isinstance(email, str) and "@" in email:
            local, _, domain = email.partition("@")
            traits["email"] = f"{local}{index}@{domain}"
        distinct.append({**event, "context": {**event["context"], "traits": traits}})
    return distinct


def _last_digits(text: str, digits: str) -> str:
    """`text` with its last len(digits) digits replaced by `digits`, every other character kept."""
    characters = list(text)
    positions = [position for position, character in enumerate(characters) if character.isdigit()]
    for position, digit in zip(positions[-len(digits) :], digits, strict=True):
        characters[position] = digit
    return "".join(characters)

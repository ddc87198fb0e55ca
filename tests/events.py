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

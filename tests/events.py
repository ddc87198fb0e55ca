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

"""Words about numbers, the same everywhere: "1 event", "2 events"."""


def counted(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"

"""Every destination type Relay can deliver to, by key."""

from destinations.attentive import ATTENTIVE
from destinations.definition import ActionType, DestinationType

DESTINATION_TYPES: dict[str, DestinationType] = {ATTENTIVE.key: ATTENTIVE}


def destination_type(key: str) -> DestinationType:
    return DESTINATION_TYPES[key]


def action_type(destination_key: str, action_key: str) -> ActionType | None:
    destination = DESTINATION_TYPES.get(destination_key)
    return destination.action(action_key) if destination else None


def destination_type_choices() -> list[tuple[str, str]]:
    """Return (key, title) of every destination type."""
    return [(key, destination.title) for key, destination in DESTINATION_TYPES.items()]


def action_type_choices() -> list[tuple[str, str]]:
    """Return (key, title) of every action type; keys are unique across destination types."""
    return [(action.key, action.title) for destination in DESTINATION_TYPES.values() for action in destination.actions]

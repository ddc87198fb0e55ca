"""Every destination type Relay can deliver to, by key."""

from destinations.attentive import ATTENTIVE
from destinations.definition import ActionType, DestinationType

DESTINATION_TYPES: dict[str, DestinationType] = {ATTENTIVE.key: ATTENTIVE}


def destination_type(key: str) -> DestinationType:
    return DESTINATION_TYPES[key]


def default_destination_type() -> str:
    """The key of the type a destination gets when none is named (a form with one type, the API, a
    configuration file): the first registered. The one place that says which type is the default."""
    return next(iter(DESTINATION_TYPES))


def action_type(destination_key: str, action_key: str) -> ActionType | None:
    destination = DESTINATION_TYPES.get(destination_key)
    return destination.action(action_key) if destination else None


def destination_type_choices() -> list[tuple[str, str]]:
    """Return (key, title) of every destination type."""
    return [(key, destination.title) for key, destination in DESTINATION_TYPES.items()]


def action_type_choices() -> list[tuple[str, str]]:
    """Return (key, title) of every action type; keys are unique across destination types."""
    return [(action.key, action.title) for destination in DESTINATION_TYPES.values() for action in destination.actions]

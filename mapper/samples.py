"""Sample events for the preview: each preset's example, and the last real events once received."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from destinations.attentive.presets import PROFILE_ENRICHMENT
from destinations.definition import ActionType
from destinations.registry import DESTINATION_TYPES
from destinations.timestamps import format_rfc3339


@dataclass(frozen=True, slots=True)
class Sample:
    key: str
    label: str
    event: dict[str, Any]


# Other apps add sources of samples (the executor adds the last events it received), called with
# the action type and whether the person may see real values (admins) or only their masks.
# Imports flow one way, so they register here instead of being imported.
SOURCES: list[Callable[[ActionType, bool], list[Sample]]] = []


def for_action_type(action_type: ActionType, *, show_values: bool) -> list[Sample]:
    """Return the samples to offer in the editor: presets' examples first, then real events
    (masked unless `show_values`)."""
    now = format_rfc3339(datetime.now(UTC))
    found: list[Sample] = []
    seen = set()
    presets = [*action_type.presets]
    for destination in DESTINATION_TYPES.values():
        for other in destination.actions:
            presets.extend(preset for preset in other.presets if preset not in presets)
    if PROFILE_ENRICHMENT not in presets:
        presets.append(PROFILE_ENRICHMENT)
    for preset in presets:
        if preset.key in seen:
            continue
        seen.add(preset.key)
        # A fresh timestamp, so the example does not look stale in the preview.
        event = {**preset.example_event, "timestamp": now}
        found.append(Sample(f"preset:{preset.key}", f"Example: {preset.name}", event))
    for source in SOURCES:
        found.extend(source(action_type, show_values))
    return found

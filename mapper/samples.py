"""Sample events for the preview: each preset's example, and the last real events once received."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from destinations.definition import ActionType
from destinations.registry import DESTINATION_TYPES
from destinations.timestamps import format_rfc3339
from mapper import engine


@dataclass(frozen=True, slots=True)
class Sample:
    key: str
    label: str
    event: dict[str, Any]


# Other apps look up one stored event by id for the editor (the executor's), called with the id and
# whether the person may see real values; None when there is no such event or body.
EVENT_LOOKUPS: list[Callable[[int, bool], Sample | None]] = []

# Other apps find events they received as samples (the executor's), newest first, called with a
# trigger (the events it matches, judged on their real values; every event when empty), a name to
# search for instead (as the person may see names), how many, and whether the person may see real
# values (admins) or only their masks. Imports flow one way, so they register here.
FINDERS: list[Callable[[str, str, int, bool], list[Sample]]] = []
OFFERED = 5  # received events offered beside the presets' examples
FOUND = 20  # events a search shows

# Other apps give the last events received, newest first, called with how many and whether the
# person may see real values (else each comes masked); the trigger's reach is judged on them.
RECENT_EVENTS: list[Callable[[int, bool], list[Any]]] = []
REACH_SAMPLE = 100


@dataclass(frozen=True, slots=True)
class Reach:
    """How many of the last events received a trigger matches (a count, never the events)."""

    matched: int
    judged: int


def for_action_type(action_type: ActionType, *, show_values: bool, trigger: str = "") -> list[Sample]:
    """Return the samples to offer in the editor: presets' examples first, then the last events
    received that `trigger` matches (masked unless `show_values`)."""
    now = format_rfc3339(datetime.now(UTC))
    found: list[Sample] = []
    seen = set()
    presets = [*action_type.presets]
    for destination in DESTINATION_TYPES.values():
        for other in destination.actions:
            presets.extend(preset for preset in other.presets if preset not in presets)
    for preset in presets:
        if preset.key in seen:
            continue
        seen.add(preset.key)
        # A fresh timestamp, so the example does not look stale in the preview.
        event = {**preset.example_event, "timestamp": now}
        found.append(Sample(f"preset:{preset.key}", f"Example: {preset.name}", event))
    found.extend(find(trigger, "", show_values=show_values, limit=OFFERED))
    return found


def is_example(event: Any) -> bool:
    """Whether `event` is one of the presets' examples as offered (whatever its timestamp): made-up
    data, where any other sample may be a real person's."""
    if not isinstance(event, dict):
        return False
    bare = {key: value for key, value in event.items() if key != "timestamp"}
    return any(
        bare == {key: value for key, value in preset.example_event.items() if key != "timestamp"}
        for destination in DESTINATION_TYPES.values()
        for action_type in destination.actions
        for preset in action_type.presets
    )


def find(trigger: str, name: str, *, show_values: bool, limit: int = FOUND) -> list[Sample]:
    """Events received, newest first: those whose name (as the person may see it) holds `name`
    when given, else those `trigger` matches (none when it does not compile)."""
    return [sample for finder in FINDERS for sample in finder(trigger, name, limit, show_values)][:limit]


def event_sample(event_id: int, *, show_values: bool) -> Sample | None:
    """A stored event as a sample (from the delivery log), as the person may see it."""
    return next((found for lookup in EVENT_LOOKUPS if (found := lookup(event_id, show_values)) is not None), None)


def first_matching(trigger: Callable[[Any], bool], candidates: list[Sample]) -> Sample | None:
    """The first sample the action's trigger matches (None when none does)."""
    for sample in candidates:
        try:
            if trigger(sample.event):
                return sample
        except Exception:  # noqa: S112 - a trigger that cannot run on a sample just does not match it
            continue
    return None


def trigger_reach(trigger: str) -> Reach | None:
    """How many of the last REACH_SAMPLE events received `trigger` matches, judged on their real
    values whoever asks (a trigger judged on masked values matches what the executor never would):
    only the count comes back, never an event. None when the trigger does not compile."""
    try:
        expression = engine.compile_expression(trigger)
    except engine.MappingError:
        return None
    events = [event for source in RECENT_EVENTS for event in source(REACH_SAMPLE, True)][:REACH_SAMPLE]
    matched = 0
    for event in events:
        try:
            matched += expression.is_true(event)
        except engine.EvaluationError:
            continue  # the executor records these as failed; they do not match
    return Reach(matched, len(events))

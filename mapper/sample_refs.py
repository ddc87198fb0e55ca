"""Samples that stand for stored data.

Everyone but admins sees stored events (from the delivery log, or saved with an action by an admin)
with every value masked. The editor keeps a reference to the stored data beside the masked text
(`event:<id>` or `action:<id>`), and the server judges, previews, sends and saves the real event:
the masked text with each value still as the mask left it replaced by the real one, and every edit
the person made kept. A masked value is never sent, and never saved as a sample.
"""

from dataclasses import dataclass
from typing import Any

from core.converters import parse_id
from mapper import masking, samples
from mapper.models import Action

FIELD = "sample_ref"


@dataclass(frozen=True, slots=True)
class Resolved:
    """The sample to run: `hidden` when it holds stored values the person may not see."""

    event: Any
    hidden: bool = False


def for_event(event_id: int) -> str:
    return f"event:{event_id}"


def for_action(action_id: int) -> str:
    return f"action:{action_id}"


def stored(ref: str) -> Any | None:
    """The real data `ref` names, or None (no such event or sample, or it was deleted since)."""
    kind, _, number = ref.partition(":")
    pk = parse_id(number)
    if pk is None:
        return None
    if kind == "event":
        found = samples.event_sample(pk, show_values=True)
        return found.event if found is not None else None
    if kind == "action":
        return Action.objects.filter(pk=pk).values_list("sample_event", flat=True).first()
    return None


def resolve(sample: Any, ref: str) -> Resolved:
    """`sample` as the person edited it, with the values they could not see brought back from `ref`."""
    real = stored(ref) if ref else None
    if real is None:
        return Resolved(sample)
    return Resolved(masking.unmask(sample, real), hidden=True)

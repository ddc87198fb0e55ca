"""Compare action versions field by field, for the history page and the API (restoring one is
mapper.commands.restore_action)."""

from dataclasses import dataclass
from typing import Any

from mapper.models import Action, ActionVersion

_LABELS = {
    "name": "Name",
    "trigger": "Trigger",
    "enabled": "Enabled",
    "action_type": "Action type",
    "consent_category": "Consent required",
    "consent_when_unknown": "Without consent information",
}


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    before: Any
    after: Any

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> list[Change]:
    """Return what changed from `before` to `after` (None: the first version)."""
    before = before or {}
    changes = [
        Change(_LABELS[key], before.get(key), after.get(key)) for key in _LABELS if before.get(key) != after.get(key)
    ]
    old, new = before.get("mappings", {}), after.get("mappings", {})
    for key in [*new, *(k for k in old if k not in new)]:
        if old.get(key) != new.get(key):
            changes.append(Change(key, old.get(key), new.get(key)))
    return changes


def history(action: Action) -> list[tuple[ActionVersion, list[Change]]]:
    versions = list(action.versions.select_related("created_by").order_by("number"))
    rows = []
    previous = None
    for version in versions:
        rows.append((version, diff(previous, version.snapshot)))
        previous = version.snapshot
    return list(reversed(rows))

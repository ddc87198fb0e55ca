"""The hook through which later apps (the executor) add a status to each action on the mapper's list
without a reverse import; config/wiring.py fills it."""

from collections.abc import Callable, Sequence
from typing import Any

from mapper.models import Action

# Each returns {action id: a short status, such as the last delivery's outcome}.
ACTION_STATUS_SOURCES: list[Callable[[Sequence[Action]], dict[int, dict[str, Any]]]] = []


def action_statuses(actions: Sequence[Action]) -> dict[int, dict[str, Any]]:
    statuses: dict[int, dict[str, Any]] = {}
    for source in ACTION_STATUS_SOURCES:
        for action_id, status in source(actions).items():
            statuses.setdefault(action_id, {}).update(status)
    return statuses

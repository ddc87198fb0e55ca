"""Hooks through which later apps (the executor) add to the mapper's pages without a reverse import."""

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

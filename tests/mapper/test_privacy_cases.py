"""The default privacy rules on the labelled set: no ordinary case blocked, every health case blocked."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from destinations.privacy import PrivacyPolicy
from mapper.pipeline import ActionConfig, run_action
from tests.mapper.privacy_cases import Case, health_cases, ordinary_cases

DEFAULTS = PrivacyPolicy()
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
ORDINARY = ordinary_cases()
HEALTH = health_cases()


def blocked(case: Case) -> bool:
    config = ActionConfig.of("attentive", case.action_type, "`true`", case.mappings, 1)
    return run_action(config, case.event, now=NOW, policy=DEFAULTS).blocked


def test_the_labelled_set_is_as_large_as_the_measure_needs() -> None:
    assert len(ORDINARY) >= 300
    assert len(HEALTH) >= 150
    assert len({case.name for case in ORDINARY + HEALTH}) == len(ORDINARY) + len(HEALTH)


@pytest.mark.parametrize("case", ORDINARY, ids=lambda case: case.name)
def test_no_ordinary_case_is_blocked(case: Case) -> None:
    assert not blocked(case)


@pytest.mark.parametrize("case", HEALTH, ids=lambda case: case.name)
def test_every_health_case_is_blocked(case: Case) -> None:
    assert blocked(case)


def test_the_readme_states_the_measured_figures() -> None:
    # The figures the README gives are this set's: its sizes, and (the two tests above) precision and recall 1.
    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text().split())
    assert f"**{len(ORDINARY)} ordinary cases**" in readme
    assert f"**{len(HEALTH)} health cases**" in readme
    assert "no ordinary case and every health case: precision 1.00, recall 1.00" in readme

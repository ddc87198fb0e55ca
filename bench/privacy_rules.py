"""Precision, recall and cost per event of a new destination's default privacy rules, on the
labelled set of tests/mapper/privacy_cases.py (ordinary shop data and health information).

    .venv/bin/python bench/privacy_rules.py [--repeats R]

A health case counts as found when its request is blocked; an ordinary case blocked is a false
alarm. Cost: the route step's time per event with the default rules minus without any, over the
whole set (the code set is loaded before timing).
"""

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from destinations import privacy
from destinations.privacy import PrivacyPolicy
from mapper.pipeline import ActionConfig, run_action
from tests.mapper.privacy_cases import Case, health_cases, ordinary_cases

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def prepared(cases: list[Case]) -> list[tuple[ActionConfig, dict]]:
    return [(ActionConfig.of("attentive", case.action_type, "`true`", case.mappings, 1), case.event) for case in cases]


def seconds_per_event(runs: list[tuple[ActionConfig, dict]], policy: PrivacyPolicy | None, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for config, event in runs:
            run_action(config, event, now=NOW, policy=policy)
        best = min(best, time.perf_counter() - started)
    return best / len(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    policy = PrivacyPolicy()
    ordinary, health = prepared(ordinary_cases()), prepared(health_cases())
    false_alarms = sum(run_action(c, e, now=NOW, policy=policy).blocked for c, e in ordinary)
    found = sum(run_action(c, e, now=NOW, policy=policy).blocked for c, e in health)
    precision = found / (found + false_alarms) if found + false_alarms else 1.0
    recall = found / len(health)
    privacy.icd10cm_codes()  # loaded once per process, not per event
    every = ordinary + health
    with_rules = seconds_per_event(every, policy, args.repeats)
    without = seconds_per_event(every, None, args.repeats)
    print(f"labelled set: {len(ordinary)} ordinary cases, {len(health)} health cases ({privacy.ICD10CM_VERSION})")
    print(f"ordinary cases blocked: {false_alarms}   health cases blocked: {found} of {len(health)}")
    print(f"precision: {precision:.3f}   recall: {recall:.3f}")
    print(
        f"cost per event: {(with_rules - without) * 1e6:.1f} µs of the route step's {with_rules * 1e6:.1f} µs "
        f"(without rules: {without * 1e6:.1f} µs)"
    )


if __name__ == "__main__":
    main()

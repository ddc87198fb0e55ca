"""Route-step throughput on one core, next to the raw floor measured in the same run.

    .venv/bin/python bench/engine.py [--events N] [--repeats R]

Whole route step: trigger, 10 mapped fields, phone normalisation, clean-up, schema validation and
the request body, through mapper.pipeline.run_action. Floor: the same 11 expressions searched with
JMESPath's own compiled expressions, the same phonenumbers calls and the same compiled validator
over the same event, with nothing around them. Goals: >= 18,000 events/s and >= 0.7 of the floor.
"""

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jmespath
import phonenumbers

from destinations.attentive import ATTENTIVE
from mapper.engine import FUNCTIONS
from mapper.pipeline import ActionConfig, run_action
from tests.events import BENCH_EVENT as EVENT
from tests.events import BENCH_MAPPINGS as MAPPINGS
from tests.events import BENCH_TRIGGER as TRIGGER

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def route_step() -> Callable[[], object]:
    config = ActionConfig.of("attentive", "custom_event", TRIGGER, MAPPINGS, 1)
    result = run_action(config, EVENT, now=NOW)
    if not result.ok or len(result.fields) != 10:
        raise SystemExit(f"The benchmark action is not valid: {result.errors}")

    def run() -> object:
        return run_action(config, EVENT, now=NOW)

    return run


def floor() -> Callable[[], object]:
    options = jmespath.Options(custom_functions=FUNCTIONS)
    trigger = jmespath.compile(TRIGGER)
    expressions = [jmespath.compile(expression) for expression in MAPPINGS.values()]
    validate = ATTENTIVE.action("custom_event").fast_validator
    body = run_action(ActionConfig.of("attentive", "custom_event", TRIGGER, MAPPINGS, 1), EVENT, now=NOW).request.body
    possible = phonenumbers.ValidationResult.IS_POSSIBLE
    e164 = phonenumbers.PhoneNumberFormat.E164

    def run() -> object:
        trigger.search(EVENT, options)
        values = [expression.search(EVENT, options) for expression in expressions]
        number = phonenumbers.parse(values[1], "US")
        if phonenumbers.is_possible_number_with_reason(number) == possible:
            phonenumbers.format_number(number, e164)
        return validate(body)

    return run


def events_per_second(run: Callable[[], object], events: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(events):
            run()
        best = min(best, time.perf_counter() - started)
    return events / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    engine_run, floor_run = route_step(), floor()
    # Interleave the two so that machine noise hits both alike.
    engine_rates, floor_rates = [], []
    for _ in range(args.repeats):
        engine_rates.append(events_per_second(engine_run, args.events, 1))
        floor_rates.append(events_per_second(floor_run, args.events, 1))
    engine_rate, floor_rate = max(engine_rates), max(floor_rates)
    print(f"route step (pipeline.run_action): {engine_rate:10,.0f} events/s  goal >= 18,000")
    print(f"raw floor (same searches, phone, validator): {floor_rate:10,.0f} events/s")
    print(f"ratio to floor: {engine_rate / floor_rate:.2f}  goal >= 0.70")


if __name__ == "__main__":
    main()

"""Route-step throughput on one core, next to the raw floor measured in the same run.

    .venv/bin/python bench/engine.py [--events N] [--repeats R] [--baseline-tree DIR]

Whole route step: trigger, 10 mapped fields, phone normalisation, clean-up, schema validation, the
destination's default privacy rules and the request body, through mapper.pipeline.run_action.
Floor: the same 11 expressions searched with JMESPath's own compiled expressions, the same
phonenumbers calls and the same compiled validator, with nothing around them.

1. One clean event, again and again (goal >= 18,000 events/s, >= 0.7 of the floor).
2. Messy traffic: 5,000 generated, seeded events (tests.events.messy_events): international
   phones, nested properties, and at least a quarter with an error or a warning (goal >= 46,000
   events/s). They repeat a dozen phone spellings and a few emails far more than real traffic
   repeats a person, so beside it, in the same run: the same events with every phone and email a
   different person's (tests.events.with_distinct_people). Were anything remembered from one
   event's phone or email to the next, the two figures would part.
3. An e-commerce purchase with 5 products through the Order Completed preset (goal >= 15,000
   events/s); its floor is the same expressions searched by JMESPath and the same validator.

With --baseline-tree DIR (another checkout, e.g. `git worktree add --detach /tmp/old ff6bf41`), the
three workloads also run on that tree's code, in alternating child processes, and the CPU time per
event of each is printed beside this tree's with their ratio: what a change cost, with machine noise
hitting both alike.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jmespath
import phonenumbers

from destinations.attentive import ATTENTIVE
from destinations.privacy import PrivacyPolicy
from mapper.engine.functions import FUNCTIONS
from mapper.pipeline import ActionConfig, run_action
from tests.events import BENCH_EVENT as EVENT
from tests.events import BENCH_MAPPINGS as MAPPINGS
from tests.events import BENCH_TRIGGER as TRIGGER
from tests.events import messy_events, with_distinct_people

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


CONFIG = ActionConfig.of("attentive", "custom_event", TRIGGER, MAPPINGS, 1)
POLICY = PrivacyPolicy()  # a new destination's defaults, as routing applies them


def route_step() -> Callable[[], object]:
    result = run_action(CONFIG, EVENT, now=NOW, policy=POLICY)
    if not result.ok or len(result.fields) != 10:
        raise SystemExit(f"The benchmark action is not valid: {result.errors}")

    def run() -> object:
        return run_action(CONFIG, EVENT, now=NOW, policy=POLICY)

    return run


def messy_route_step(events: list[dict]) -> Callable[[], object]:
    def run() -> object:
        for event in events:
            run_action(CONFIG, event, now=NOW, policy=POLICY)

    return run


def messy_floor(events: list[dict]) -> Callable[[], object]:
    options = jmespath.Options(custom_functions=FUNCTIONS)
    trigger = jmespath.compile(TRIGGER)
    expressions = [jmespath.compile(expression) for expression in MAPPINGS.values()]
    validate = ATTENTIVE.action("custom_event").is_valid
    bodies = [run_action(CONFIG, event, now=NOW).request.body for event in events]
    possible = phonenumbers.ValidationResult.IS_POSSIBLE
    e164 = phonenumbers.PhoneNumberFormat.E164

    def run() -> object:
        for event, body in zip(events, bodies, strict=True):
            trigger.search(event, options)
            values = [expression.search(event, options) for expression in expressions]
            if isinstance(values[1], str):
                try:
                    number = phonenumbers.parse(values[1], "US")
                    if phonenumbers.is_possible_number_with_reason(number) == possible:
                        phonenumbers.format_number(number, e164)
                except phonenumbers.NumberParseException:
                    pass
            validate(body)

    return run


def share_with_problems(events: list[dict]) -> float:
    return sum(bool(run_action(CONFIG, event, now=NOW, policy=POLICY).errors) for event in events) / len(events)


def floor() -> Callable[[], object]:
    options = jmespath.Options(custom_functions=FUNCTIONS)
    trigger = jmespath.compile(TRIGGER)
    expressions = [jmespath.compile(expression) for expression in MAPPINGS.values()]
    validate = ATTENTIVE.action("custom_event").is_valid
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


def purchase_event() -> dict:
    products = [
        {
            "product_id": f"p-{index}",
            "sku": f"SKU-{index}",
            "name": f"Product {index}",
            "price": 10 + index * 2.5,
            "quantity": index + 1,
            "url": f"https://shop.example.com/p/{index}",
            "image_url": f"https://shop.example.com/i/{index}.jpg",
        }
        for index in range(5)
    ]
    return {
        **EVENT,
        "event": "Order Completed",
        "properties": {"order_id": "o-1", "currency": "USD", "products": products},
    }


def purchase_step() -> tuple[Callable[[], object], Callable[[], object]]:
    action = ATTENTIVE.action("purchase")
    preset = action.presets[0]
    config = ActionConfig.of("attentive", "purchase", preset.trigger, dict(preset.mappings), 1)
    event = purchase_event()
    result = run_action(config, event, now=NOW, policy=POLICY)
    if not result.ok or len(result.request.body["items"]) != 5:
        raise SystemExit(f"The purchase benchmark is not valid: {result.errors}")
    options = jmespath.Options(custom_functions=FUNCTIONS)
    trigger = jmespath.compile(preset.trigger)
    expressions = [jmespath.compile(expression) for expression in preset.mappings.values()]
    body = result.request.body

    def run() -> object:
        return run_action(config, event, now=NOW, policy=POLICY)

    def floor_run() -> object:
        trigger.search(event, options)
        for expression in expressions:
            expression.search(event, options)
        return action.is_valid(body)

    return run, floor_run


def events_per_second(run: Callable[[], object], events: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(events):
            run()
        best = min(best, time.perf_counter() - started)
    return events / best


# Run in a child process whose working directory is a checkout: the CPU microseconds per event of
# each workload, best of seven rounds, on that checkout's code.
_CPU_PER_EVENT = """
import json, os, sys, time
sys.path.insert(0, os.getcwd())
sys.argv = sys.argv[:1]
import bench.engine as bench
events = bench.messy_events(int(os.environ["BENCH_MESSY"]))
workloads = {"clean": (bench.route_step(), 2000, 1), "messy": (bench.messy_route_step(events), 1, len(events)),
             "e-commerce": (bench.purchase_step()[0], 1000, 1)}
# The distinct-people events come from this tree (a file), so both trees run the very same ones.
with open(os.environ["BENCH_DISTINCT"]) as file:
    workloads["distinct"] = (bench.messy_route_step(json.load(file)), 1, len(events))
best = {}
for name, (run, calls, per_call) in workloads.items():
    for _ in range(7):
        started = time.process_time()
        for _ in range(calls):
            run()
        spent = (time.process_time() - started) / (calls * per_call) * 1e6
        best[name] = min(best.get(name, spent), spent)
print(json.dumps(best))
"""


def cpu_per_event(tree: Path, messy: int, distinct: Path) -> dict[str, float]:
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _CPU_PER_EVENT],
        cwd=tree,
        env={**os.environ, "BENCH_MESSY": str(messy), "BENCH_DISTINCT": str(distinct), "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare_with(baseline: Path, rounds: int, messy: int) -> None:
    here = Path(__file__).resolve().parent.parent
    ours: dict[str, float] = {}
    theirs: dict[str, float] = {}
    with tempfile.NamedTemporaryFile("w", suffix=".json") as distinct:
        json.dump(with_distinct_people(messy_events(messy)), distinct)
        distinct.flush()
        for _ in range(rounds):
            for tree, best in ((baseline, theirs), (here, ours)):
                for name, spent in cpu_per_event(tree, messy, Path(distinct.name)).items():
                    best[name] = min(best.get(name, spent), spent)
    print(f"CPU per event, this tree vs {baseline} (best of {rounds} alternating rounds):")
    for name in ours:
        print(f"  {name:11} {ours[name]:7.1f} µs vs {theirs[name]:7.1f} µs  ratio {ours[name] / theirs[name]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--messy", type=int, default=5_000, help="Events in the messy workload.")
    parser.add_argument("--baseline-tree", type=Path, help="Another checkout to compare CPU per event with.")
    args = parser.parse_args()
    if args.baseline_tree:
        compare_with(args.baseline_tree.resolve(), args.repeats, args.messy)
        return
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

    events = messy_events(args.messy)
    distinct = with_distinct_people(events)
    messy_run, messy_floor_run = messy_route_step(events), messy_floor(events)
    distinct_run = messy_route_step(distinct)
    messy_rates, messy_floor_rates, distinct_rates = [], [], []
    for _ in range(args.repeats):
        messy_rates.append(events_per_second(messy_run, 1, 1) * len(events))
        distinct_rates.append(events_per_second(distinct_run, 1, 1) * len(events))
        messy_floor_rates.append(events_per_second(messy_floor_run, 1, 1) * len(events))
    messy_rate, messy_floor_rate, distinct_rate = max(messy_rates), max(messy_floor_rates), max(distinct_rates)
    print(
        f"route step on messy traffic ({len(events):,} events, {share_with_problems(events):.0%} with an error or "
        f"warning): {messy_rate:10,.0f} events/s  goal >= 46,000"
    )
    print(
        f"the same events, every phone and email a different person's ({share_with_problems(distinct):.0%} with an "
        f"error or warning): {distinct_rate:10,.0f} events/s  ratio {distinct_rate / messy_rate:.2f}"
    )
    print(
        f"raw floor on the same events: {messy_floor_rate:10,.0f} events/s  ratio {messy_rate / messy_floor_rate:.2f}"
    )

    purchase_run, purchase_floor_run = purchase_step()
    purchase_rates, purchase_floor_rates = [], []
    for _ in range(args.repeats):
        purchase_rates.append(events_per_second(purchase_run, args.events // 4, 1))
        purchase_floor_rates.append(events_per_second(purchase_floor_run, args.events // 4, 1))
    purchase_rate, purchase_floor_rate = max(purchase_rates), max(purchase_floor_rates)
    print(f"e-commerce purchase, 5 products: {purchase_rate:10,.0f} events/s  goal >= 15,000")
    print(
        f"raw floor (same searches, validator): {purchase_floor_rate:10,.0f} events/s  ratio {purchase_rate / purchase_floor_rate:.2f}"
    )


if __name__ == "__main__":
    main()

"""Server time of the live preview for a 10-field action, through Django's full request stack.

    .venv/bin/python bench/preview.py [--requests N]

Posts the editor's form to the preview endpoint with Django's test client (URL routing, every
middleware, session auth, CSRF, form handling, template rendering) and prints p50 and p95, next to
the bare route step (mapper.pipeline) for the same action and sample measured in the same run.
The database holds 100 received events, so each preview also judges the trigger on them (the
"matches N of the last 100 events" line). Goal: p95 <= 30 ms. Runs on a throwaway SQLite database
in a temporary directory.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["RELAY_DATA_DIR"] = tempfile.mkdtemp(prefix="relay-bench-")
os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.roles import set_role  # noqa: E402
from destinations.models import Destination  # noqa: E402
from executor.models import InboundEvent  # noqa: E402
from mapper.pipeline import ActionConfig, run_action  # noqa: E402
from tests.events import BENCH_EVENT as SAMPLE  # noqa: E402
from tests.events import BENCH_MAPPINGS as MAPPINGS  # noqa: E402
from tests.events import BENCH_TRIGGER as TRIGGER  # noqa: E402

FIELDS = {f"map__{key}": value for key, value in MAPPINGS.items() if not key.startswith("properties.")}
ROWS = {key.removeprefix("properties."): value for key, value in MAPPINGS.items() if key.startswith("properties.")}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    destination = Destination.objects.create(name="Bench", test_mode=True)
    user = get_user_model().objects.create_user("bench")  # force_login needs no password
    set_role(user, "marketer")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    url = f"/destinations/{destination.pk}/actions/preview/custom_event/"
    form = {
        "name": "Order Shipped",
        "trigger": TRIGGER,
        **FIELDS,
        "rows__properties__name": list(ROWS),
        "rows__properties__expr": list(ROWS.values()),
        "sample_event": json.dumps(SAMPLE),
    }
    config = ActionConfig.of("attentive", "custom_event", TRIGGER, MAPPINGS, "")
    InboundEvent.objects.bulk_create(
        InboundEvent(source="api", event_type="track", body={**SAMPLE, "messageId": f"m-{i}"}) for i in range(100)
    )

    first = client.post(url, form)
    if first.status_code != 200 or b"Matches 100 of the last 100 events" not in first.content:
        raise SystemExit(f"The preview did not work: {first.status_code}")
    request_ms, engine_ms = [], []
    for _ in range(args.requests):
        started = time.perf_counter()
        client.post(url, form)
        request_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        run_action(config, json.loads(form["sample_event"]), region="US", evaluate_unmatched=True)
        engine_ms.append((time.perf_counter() - started) * 1000)
    p50, p95 = statistics.median(request_ms), percentile(request_ms, 0.95)
    e50, e95 = statistics.median(engine_ms), percentile(engine_ms, 0.95)
    print(
        f"preview request, 10-field action ({args.requests} requests): p50 {p50:.2f} ms  p95 {p95:.2f} ms  goal p95 <= 30 ms"
    )
    print(f"bare route step, same action and sample:               p50 {e50:.3f} ms  p95 {e95:.3f} ms")
    print(f"request / bare ratio at p50: {p50 / e50:.0f}x")


if __name__ == "__main__":
    main()

"""CPU per ingest request, in process: what the web process spends on one single-event request and
on one event of a 100-event batch, and on a request refused at the door (no write key), through the whole Django stack (middleware included), on a file
SQLite database with production settings.

CPU time (all threads of this process: the group committer's too), not wall-clock: other programs
sharing the machine barely move it, so two code trees can be compared on a busy machine.

    .venv/bin/python bench/ingest_cpu.py                      # this tree
    .venv/bin/python bench/ingest_cpu.py --against ../main    # alternate runs of this tree and another
    .venv/bin/python bench/ingest_cpu.py --profile single     # cProfile of the single-event path
    .venv/bin/python bench/ingest_cpu.py --only refused       # one path only (under py-spy, say)
"""

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _measure(requests: int, profile: str | None, only: str | None = None) -> dict[str, float]:
    """Run inside the tree to measure (its root on sys.path, cwd): µs of CPU per request and per event."""
    from cryptography.fernet import Fernet

    data_dir = tempfile.mkdtemp(prefix="relay-ingest-cpu-")
    os.makedirs(f"{data_dir}/static")  # whitenoise warns without it
    os.environ.update(
        {
            "DATABASE_URL": f"sqlite:///{data_dir}/relay.sqlite3",
            "RELAY_DATA_DIR": data_dir,
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "SECRET_KEY": "bench-" + "x" * 50,
            "RELAY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from executor.models import WriteKey

    raw_key = WriteKey.issue("bench")[1]
    from config.wsgi import application

    def event(index: int, run: str) -> dict:
        return {
            "type": "track",
            "event": "Order Shipped",
            "userId": f"user-{index}",
            "messageId": f"{run}-{index}",
            "properties": {"order_id": str(index), "carrier": "UPS"},
            "context": {"traits": {"email": f"person{index}@example.com", "phone": "(415) 555-2671"}},
        }

    def post(body: bytes, key: str | None = raw_key, expect: str = "202") -> None:
        # Straight to the WSGI application, as the web server calls it (Django's test client
        # would add as much CPU again of its own).
        status = []
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/events",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000",
            **({"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}),
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        answer = b"".join(application(environ, lambda line, headers: status.append(line)))
        if not status[0].startswith(expect):
            raise RuntimeError(f"{status[0]}: {answer[:300]!r}")

    singles = [json.dumps(event(i, "s")).encode() for i in range(requests)]
    batches = [json.dumps([event(i * 100 + j, "b") for j in range(100)]).encode() for i in range(requests // 20)]
    for body in singles[:20]:  # warm up: imports, compiled queries, the committer thread
        post(body)
    # And a refusal: its log line resolves the path against the whole site's URLconf (the log filter),
    # which the ingest handler never loads; `manage.py serve` imports it at startup.
    post(singles[0], None, "401")
    for body in batches[:2]:
        post(body)

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    figures = {}
    for name, bodies, per, key, expect in (
        ("single", singles[20:], 1, raw_key, "202"),
        # The floor: the same requests refused at the door (no write key), through the same stack.
        ("refused", singles[20:], 1, None, "401"),
        ("batch", batches[2:], 100, raw_key, "202"),
    ):
        if only and name != only:
            continue
        if profiler and name == profile:
            profiler.enable()
        started = time.process_time()
        for body in bodies:
            post(body, key, expect)
        figures[name] = (time.process_time() - started) * 1e6 / (len(bodies) * per)
        if profiler and name == profile:
            profiler.disable()
    if profiler:
        import pstats

        pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(
            int(os.environ.get("LINES", "60"))
        )
    return figures


PATHS = ["single", "refused", "batch"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="Single-event requests per run (batches: 1/20).")
    parser.add_argument("--against", help="Another tree (its root): alternate runs of both, print both.")
    parser.add_argument("--rounds", type=int, default=3, help="Runs of each tree with --against.")
    parser.add_argument("--profile", choices=PATHS, help="Print a cProfile of one path.")
    parser.add_argument("--only", choices=PATHS, help="Measure one path only (to sample it with py-spy, say).")
    parser.add_argument("--tree", help=argparse.SUPPRESS)
    args = parser.parse_args()
    here = Path(__file__).resolve().parent.parent
    if args.tree is not None or not args.against:
        tree = Path(args.tree or here).resolve()
        os.chdir(tree)
        sys.path.insert(0, str(tree))
        figures = _measure(args.requests, args.profile, args.only)
        print(json.dumps(figures) if args.tree else _line("this tree", [figures]))
        return
    trees = {"this tree": here, "other": Path(args.against).resolve()}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            out = subprocess.run(  # noqa: S603
                [sys.executable, __file__, "--tree", str(tree), "--requests", str(args.requests)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            runs[name].append(json.loads(out.strip().splitlines()[-1]))
    for name in trees:
        print(_line(f"{name} ({trees[name]})", runs[name]))


def _line(label: str, runs: list[dict[str, float]]) -> str:
    median = {name: statistics.median(run[name] for run in runs) if name in runs[0] else float("nan") for name in PATHS}
    return (
        f"{label}: CPU per single-event request {median['single']:6.0f} µs (refused at the door"
        f" {median['refused']:6.0f} µs), per event of a 100-event batch {median['batch']:5.0f} µs"
    )


if __name__ == "__main__":
    main()

"""End-to-end delivery benchmark: real web + worker processes, a local fake Attentive (50 ms latency,
150 requests/s limit), SQLite as in the default run setup. Each figure is printed with its floor or
ceiling measured in the same run.

    .venv/bin/python bench/pipeline.py [--seconds S]

1. Sustained deliveries/s for one destination with the default settings (adaptive pacing): against
   Attentive's 150/s (goal >= 140/s, < 0.5% answered 429; ceiling 150/s) and against an account
   limited to 20/s that says so in x-ratelimit-limit (goal < 2% answered 429; ceiling 20/s).
2. p50/p99 ingest-to-delivered latency when offered 100 events/s (goal p99 < 200 ms); floor: the
   fake's own latency. With --busy: on SQLite (1 worker) and PostgreSQL (2 workers, when it runs on
   127.0.0.1:5432), each quiet and then with a process keeping one core busy, in the same run, with
   the split by stage (goal p99 < 200 ms busy too).
3. Ingest: single-event requests/s (goal >= 1,200/s) and batch events/s (goal >= 10,000/s); floor: the
   same requests refused at the door (no write key), through the same server. With one web process,
   then with as many as the machine has cores (manage.py serve --web-processes), in the same run.
   Beside each, the web processes' CPU per request (per event of a batch), which a busy machine barely
   moves (bench/ingest_cpu.py compares it in process between two code trees).
4. Many keys: 10 destinations with their own API keys, one action each (the Order Shipped preset,
   which every event of the run matches), N events each routed to all ten, through serve as
   `make run` starts it. Deliveries/s aggregate beside the ideal of keys x 142.5/s (the pacer's aim
   under Attentive's 150/s per key), deliveries per CPU-second of Relay's processes (web and
   workers, ingest and routing included: the figure that survives a loaded machine) and the peak
   memory of web + workers + the spare worker serve keeps waiting (goals >= 1,300/s, >= 2,000 per
   CPU-second, <= 300 MB on SQLite), on SQLite with one worker and PostgreSQL with two. --profile DIR
   runs the workers on their own under py-spy instead (no spare).
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.events import shipped_event  # noqa: E402
from tests.executor.workers import (  # noqa: E402
    RelayProcesses,
    create_postgres_database,
    drop_postgres_database,
    postgres_available,
    wait_until,
)
from tests.fake_attentive import GOOD_KEY, FakeAttentive  # noqa: E402

WRK = shutil.which("wrk")

LATENCY_SCRIPT = """
import json
from core.crypto import lookup_hash
from executor.models import Delivery
rows = Delivery.objects.filter(status="delivered").exclude(event__message_id_hash=lookup_hash("msg--1")).values_list(
    "event__received_at", "event__routed_at", "attempts__started_at", "attempts__latency_ms", "delivered_at"
)
print(json.dumps([
    [(d - r).total_seconds(), (routed - r).total_seconds(), (sent - routed).total_seconds(), ms / 1000,
     (d - sent).total_seconds() - ms / 1000]
    for r, routed, sent, ms, d in rows
]))
"""


def install(fake: FakeAttentive, database_url: str = "", web_processes: int = 1, **settings: object) -> RelayProcesses:
    data_dir = Path(tempfile.mkdtemp(prefix="relay-bench-"))
    relay = RelayProcesses(data_dir, database_url or f"sqlite:///{data_dir / 'relay.sqlite3'}", fake.url, **settings)
    relay.set_up(GOOD_KEY)
    relay.start_web(web_processes=web_processes)
    return relay


def sustained_rate(limit: int, events: int) -> tuple[float, float]:
    fake = FakeAttentive(latency=0.05, rate_limit=limit).start()
    relay = install(fake)
    try:
        relay.send_events([shipped_event(i) for i in range(events)])
        relay.start_workers(1)
        # Measure the steady part: from the 10th to the last delivery.
        wait_until(lambda: len(fake.received) >= 10, timeout=60, interval=0.01)
        started, begin = time.monotonic(), len(fake.received)
        wait_until(lambda: len(fake.received) >= events, timeout=events / 50 + 60, interval=0.05)
        elapsed = time.monotonic() - started
        delivered = len(fake.received) - begin
        total = sum(fake.statuses.values())
        return delivered / elapsed, 100 * fake.statuses[429] / max(1, total)
    finally:
        relay.stop()
        fake.stop()


STAGES = ("stored to routed", "routed to sent", "request to answer", "answer to recorded")


@dataclass
class Latency:
    p50: float
    p99: float
    stages: dict[str, tuple[float, float]]  # stage: (p50, p99), seconds
    # CPU seconds per event of the web process and of the workers: unlike latency, barely moved by
    # what else the machine runs, so it compares runs on a loaded machine.
    cpu_web: float
    cpu_workers: float


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.99 * (len(ordered) - 1))]


def latency(offered_per_second: int, seconds: int, database_url: str = "", workers: int = 1) -> Latency:
    fake = FakeAttentive(latency=0.05, rate_limit=150).start()
    relay = install(fake, database_url)
    relay.start_workers(workers)
    try:
        with httpx.Client(headers={"Authorization": f"Bearer {relay.write_key}"}, timeout=30) as client:
            # Steady state: the worker has started and delivered a first event before the clock runs.
            client.post(f"{relay.url}/api/v1/events", json=shipped_event(-1)).raise_for_status()
            wait_until(lambda: len(fake.received) >= 1, timeout=60, interval=0.02)
            fake.received.clear()
            cpu_before = [_cpu_seconds(process.pid) for process in [relay.web, *relay.workers]]
            start = time.monotonic()
            for index in range(offered_per_second * seconds):
                due = start + index / offered_per_second
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                client.post(f"{relay.url}/api/v1/events", json=shipped_event(index)).raise_for_status()
        wait_until(lambda: len(fake.received) >= offered_per_second * seconds, timeout=120)
        cpu = [
            _cpu_seconds(process.pid) - before
            for process, before in zip([relay.web, *relay.workers], cpu_before, strict=True)
        ]
        rows = json.loads(relay.manage("shell", "-c", LATENCY_SCRIPT).strip().splitlines()[-1])
        stages = {
            step: (statistics.median(row[index] for row in rows), _p99([row[index] for row in rows]))
            for index, step in enumerate(STAGES, start=1)
        }
        delays = [row[0] for row in rows]
        events = offered_per_second * seconds
        return Latency(statistics.median(delays), _p99(delays), stages, cpu[0] / events, sum(cpu[1:]) / events)
    finally:
        relay.stop()
        fake.stop()


@contextlib.contextmanager
def one_core_busy() -> Iterator[None]:
    """A process spinning on one core for as long as the block runs (a machine doing something else)."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


def hammer(url: str, headers: dict[str, str], body: bytes, seconds: float, threads: int) -> int:
    """Send the same request from `threads` clients for `seconds`; return how many got a 2xx."""
    done = [0] * threads
    deadline = time.monotonic() + seconds

    def run(slot: int) -> None:
        with httpx.Client(headers={**headers, "Content-Type": "application/json"}, timeout=30) as client:
            while time.monotonic() < deadline:
                response = client.post(url, content=body)
                if response.status_code < 300 or "Authorization" not in headers:
                    done[slot] += 1

    workers = [threading.Thread(target=run, args=(slot,)) for slot in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done)


def wrk(url: str, headers: dict[str, str], body: bytes, seconds: float, connections: int, work_dir: Path) -> float:
    """Requests/s answered 2xx (or any status, without credentials) by wrk, a C load generator that
    leaves the CPU to the server; a Python client would take a core of this 2-core machine itself."""
    script = work_dir / f"post-{len(body)}-{len(headers)}.lua"
    lines = [
        'wrk.method = "POST"',
        f"wrk.body = {json.dumps(body.decode())}",
        'wrk.headers["Content-Type"] = "application/json"',
    ]
    lines += [f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}" for name, value in headers.items()]
    script.write_text("\n".join(lines) + "\n")
    result = subprocess.run(  # noqa: S603
        [WRK, "-t1", f"-c{connections}", f"-d{int(seconds)}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    total = float(re.search(r"(\d+) requests in", result.stdout).group(1))
    if headers and errors:
        rate *= 1 - int(errors.group(1)) / total
    return rate


def _without_message_id(event: dict) -> dict:
    return {key: value for key, value in event.items() if key != "messageId"}


def ingest(seconds: float, web_processes: int = 1) -> dict[str, float]:
    fake = FakeAttentive().start()
    relay = install(fake, web_processes=web_processes)
    try:
        url = f"{relay.url}/api/v1/events"
        auth = {"Authorization": f"Bearer {relay.write_key}"}
        # Without messageIds: the same body is sent again and again, and ingest is idempotent per
        # messageId, so with them every request after the first would store nothing.
        single = json.dumps(_without_message_id(shipped_event(1))).encode()
        batch = json.dumps([_without_message_id(shipped_event(i)) for i in range(100)]).encode()
        if WRK:
            load = lambda headers, body, clients: wrk(url, headers, body, seconds, clients, relay.data_dir)  # noqa: E731
        else:
            load = lambda headers, body, clients: hammer(url, headers, body, seconds, clients) / seconds  # noqa: E731
        if not wait_until(lambda: len(relay.web_processes()) == web_processes, timeout=60):
            raise RuntimeError(f"{web_processes} web processes did not start")
        time.sleep(2 if web_processes > 1 else 0)  # the others import the application
        pids = relay.web_processes()
        figures = {}
        for name, headers, body, clients, per in (
            ("single", auth, single, 16, 1),
            ("single_floor", {}, single, 16, 1),
            ("batch", auth, batch, 4, 100),
            ("batch_floor", {}, batch, 4, 100),
        ):
            # CPU of the web processes per request (per event of a batch): unlike the rate, barely
            # moved by what else the machine runs.
            before = [_cpu_seconds(pid) for pid in pids]
            rate = load(headers, body, clients)
            spent = [_cpu_seconds(pid) - cpu for pid, cpu in zip(pids, before, strict=True)]
            figures[name] = per * rate
            figures[f"{name}_cpu"] = sum(spent) / max(1.0, rate * seconds * per)
            # How much of the machine the web processes got, and how evenly the connections spread.
            figures[f"{name}_cores"] = sum(spent) / seconds
            figures[f"{name}_split"] = [cpu / max(1e-9, sum(spent)) for cpu in spent]
        figures["load"] = os.getloadavg()[0]
        return figures
    finally:
        relay.stop()
        fake.stop()


IDEAL_PER_KEY = 142.5  # the pacer aims at 95% of Attentive's 150/s per key and endpoint


@dataclass
class ManyKeys:
    deliveries: int
    per_second: float
    cpu_seconds: float
    cpu_web: float
    peak_mb: float
    start_mb: float
    # Of the memory figures: the spare worker serve keeps waiting (none under --profile).
    spare_mb: float
    share_429: float
    duplicates: int
    load: float
    # The workers' own: user and system CPU-seconds, and their threads' context switches (voluntary:
    # a thread that waited; involuntary: one the scheduler took the core from), over the run.
    worker_user: float = 0.0
    worker_system: float = 0.0
    switches: tuple[int, int] = (0, 0)
    worker_threads: int = 0
    # The workers' read and write system calls over the run (/proc/PID/io): SQLite reads a page per
    # call, so these count the pages its connections did not find in their own caches.
    worker_io_calls: tuple[int, int] = (0, 0)


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (a supervisor's workers, py-spy's target)."""
    pids, index = [pid], 0
    while index < len(pids):
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pids[index]}/task").iterdir():
                pids += [int(child) for child in (task / "children").read_text().split()]
        index += 1
    return pids


def _python_pids(roots: list[int]) -> list[int]:
    pids = []
    for root in roots:
        for pid in _tree(root):
            with contextlib.suppress(OSError):
                if "python" in Path(f"/proc/{pid}/comm").read_text():
                    pids.append(pid)
    return pids


def _cpu_split(pid: int) -> tuple[float, float]:
    """User and system CPU-seconds of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / os.sysconf("SC_CLK_TCK"), int(fields[12]) / os.sysconf("SC_CLK_TCK")


def _io_calls(pid: int) -> tuple[int, int]:
    """The read and write system calls a process made (all its threads)."""
    fields = dict(line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines())
    return int(fields["syscr"]), int(fields["syscw"])


def _context_switches(pid: int) -> tuple[int, int]:
    """Voluntary and involuntary context switches of all the threads of a process."""
    voluntary = involuntary = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    voluntary += int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches:"):
                    involuntary += int(line.split()[1])
    return voluntary, involuntary


def _threads(pid: int) -> int:
    with contextlib.suppress(OSError):
        return len(list(Path(f"/proc/{pid}/task").iterdir()))
    return 0


def _rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def many_keys(
    keys: int, events: int, database_url: str = "", workers: int = 1, profile: Path | None = None
) -> ManyKeys:
    api_keys = tuple(f"fake-attentive-key-{index:04d}" for index in range(keys))
    fake = FakeAttentive(latency=0.05, api_keys=api_keys).start()
    data_dir = Path(tempfile.mkdtemp(prefix="relay-bench-"))
    relay = RelayProcesses(data_dir, database_url or f"sqlite:///{data_dir / 'relay.sqlite3'}", fake.url)
    relay.set_up(*api_keys)
    if profile is None:
        # As `make run` starts them: serve supervises the workers and keeps a spare one waiting, whose
        # memory counts too.
        relay.start_web(workers=workers)
        if not wait_until(
            lambda: len(relay.supervised_workers()) == workers and len(relay.spare_workers()) == 1, timeout=60
        ):
            relay.stop()
            raise RuntimeError(f"serve did not start {workers} workers and a spare: see the logs in {data_dir}")
    else:
        relay.start_web()
        profile.mkdir(parents=True, exist_ok=True)
        for index in range(workers):
            log = (data_dir / f"worker-{index}.log").open("w")
            relay.workers.append(
                subprocess.Popen(  # noqa: S603
                    [
                        *(
                            str(Path(sys.executable).parent / "py-spy"),
                            "record",
                            "--rate",
                            "100",
                            "--nonblocking",
                            # Such as --gil (only the thread holding the GIL: where Python's CPU goes).
                            *os.environ.get("BENCH_PY_SPY_OPTIONS", "").split(),
                            "--format",
                            "raw",
                        ),
                        *("--output", str(profile / f"worker-{index}.txt"), "--"),
                        *(sys.executable, str(ROOT / "manage.py"), "worker"),
                    ],
                    env=relay.env,
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    peak = [0.0]
    done = threading.Event()
    try:
        # The workers are up and idle before the clock runs.
        time.sleep(3)
        pids = _python_pids([relay.web.pid, *(worker.pid for worker in relay.workers)])
        start_mb = sum(_rss_mb(pid) for pid in pids)
        spares = relay.spare_workers() if profile is None else []

        def watch_memory() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], sum(_rss_mb(pid) for pid in pids))
                time.sleep(0.1)

        watcher = threading.Thread(target=watch_memory, daemon=True)
        watcher.start()
        load = os.getloadavg()[0]
        cpu_before = sum(_cpu_seconds(pid) for pid in pids)
        web_before = _cpu_seconds(relay.web.pid)
        worker_pids = _python_pids([worker.pid for worker in relay.workers]) or relay.supervised_workers()
        split_before = [_cpu_split(pid) for pid in worker_pids]
        switches_before = [_context_switches(pid) for pid in worker_pids]
        io_before = [_io_calls(pid) for pid in worker_pids]
        most_threads = [0]

        def count_threads() -> None:
            while not done.is_set():
                most_threads[0] = max(most_threads[0], sum(_threads(pid) for pid in worker_pids))
                time.sleep(0.2)

        threading.Thread(target=count_threads, daemon=True).start()
        relay.send_events([shipped_event(index) for index in range(events)])
        total = keys * events
        if not wait_until(lambda: len(fake.received) >= total, timeout=total / 40 + 60, interval=0.05):
            raise RuntimeError(f"{len(fake.received)} of {total} delivered: see the logs in {data_dir}")
        cpu = sum(_cpu_seconds(pid) for pid in pids) - cpu_before
        cpu_web = _cpu_seconds(relay.web.pid) - web_before
        split = [
            (user - user0, system - system0)
            for (user, system), (user0, system0) in zip(
                [_cpu_split(pid) for pid in worker_pids], split_before, strict=True
            )
        ]
        switches = [
            (voluntary - voluntary0, involuntary - involuntary0)
            for (voluntary, involuntary), (voluntary0, involuntary0) in zip(
                [_context_switches(pid) for pid in worker_pids], switches_before, strict=True
            )
        ]
        io_calls = [
            (reads - reads0, writes - writes0)
            for (reads, writes), (reads0, writes0) in zip(
                [_io_calls(pid) for pid in worker_pids], io_before, strict=True
            )
        ]
        spare_mb = sum(_rss_mb(pid) for pid in spares)
        done.set()
        watcher.join()
        arrivals = sorted(at for at, _ in fake.arrivals)
        # The steady part: from the 10th delivery to the last.
        per_second = (len(arrivals) - 10) / (arrivals[-1] - arrivals[9])
        duplicates = sum(count - 1 for count in fake.event_ids().values())
        answered = sum(fake.statuses.values())
        return ManyKeys(
            len(arrivals),
            per_second,
            cpu,
            cpu_web,
            peak[0],
            start_mb,
            spare_mb,
            100 * fake.statuses[429] / max(1, answered),
            duplicates,
            load,
            sum(user for user, _ in split),
            sum(system for _, system in split),
            (sum(voluntary for voluntary, _ in switches), sum(involuntary for _, involuntary in switches)),
            most_threads[0],
            (sum(reads for reads, _ in io_calls), sum(writes for _, writes in io_calls)),
        )
    finally:
        done.set()
        if profile is not None:
            # py-spy writes its samples when interrupted; its worker is stopped after it.
            targets = _python_pids([worker.pid for worker in relay.workers])
            for worker in relay.workers:
                worker.send_signal(signal.SIGINT)
                worker.wait(timeout=30)
            for pid in targets:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
        relay.stop()
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=20, help="Length of the latency run.")
    parser.add_argument("--events", type=int, default=3000, help="Events for the 150/s throughput run.")
    parser.add_argument("--only", choices=["ingest", "delivery", "latency", "many-keys"], help="Run one part only.")
    parser.add_argument("--keys", type=int, default=10, help="Destinations (API keys) of the many-keys run.")
    parser.add_argument("--key-events", type=int, default=2000, help="Events of the many-keys run, each to every key.")
    parser.add_argument("--profile", type=Path, help="Many-keys run: write py-spy samples of the worker(s) here.")
    parser.add_argument("--sqlite-only", action="store_true", help="Many-keys run: SQLite only.")
    parser.add_argument("--postgres-only", action="store_true", help="Many-keys run: PostgreSQL only.")
    parser.add_argument(
        "--busy",
        action="store_true",
        help="Latency also with one core kept busy, on SQLite and PostgreSQL (2 workers), beside the quiet runs.",
    )
    args = parser.parse_args()

    if args.only in (None, "ingest"):
        ingest_figures(args)
    if args.only in (None, "delivery"):
        delivery_figures(args)
    if args.only in (None, "latency"):
        latency_figures(args)
    if args.only in (None, "many-keys"):
        many_keys_figures(args)


def many_keys_figures(args: argparse.Namespace) -> None:
    setups = [] if args.postgres_only else [("SQLite, 1 worker", "", 1)]
    if args.sqlite_only:
        pass
    elif postgres_available():
        setups.append(("PostgreSQL, 2 workers", "postgres", 2))
    else:
        print("(PostgreSQL is not running on 127.0.0.1:5432: SQLite only)")
    ideal = args.keys * IDEAL_PER_KEY
    for label, database, workers in setups:
        name, database_url = create_postgres_database() if database else ("", "")
        try:
            profile = args.profile / database if args.profile and database else args.profile
            figures = many_keys(args.keys, args.key_events, database_url, workers, profile)
        finally:
            if name:
                drop_postgres_database(name)
        # The memory goal is the embedded default's (SQLite, one worker and its spare).
        memory_goal = "goal: none (300 MB is the embedded default's)" if database else "goal <= 300 MB"
        print(
            f"{label}, {args.keys} keys x {args.key_events} events (load {figures.load:.1f}):"
            f" {figures.per_second:6.0f} deliveries/s aggregate  ideal {ideal:.0f}/s ({figures.per_second / ideal:.0%})"
            "  goal >= 1,300/s"
        )
        print(
            f"  {figures.deliveries / figures.cpu_seconds:6.0f} deliveries per CPU-second of web + workers"
            f" ({figures.cpu_seconds:.1f} CPU-s for {figures.deliveries}, of which serve's web process"
            f" {figures.cpu_web:.1f})  goal >= 2,000"
        )
        print(
            f"  memory of web + workers{' + spare' if figures.spare_mb else ''}: {figures.start_mb:.0f} MB idle,"
            f" peak {figures.peak_mb:.0f} MB{f' (the spare {figures.spare_mb:.0f})' if figures.spare_mb else ''}"
            f"  {memory_goal};"
            f"  429s {figures.share_429:.2f}%, sent twice: {figures.duplicates}"
        )
        print(
            f"  workers: {figures.worker_user:.1f} CPU-s user + {figures.worker_system:.1f} system,"
            f" {figures.switches[0]:,} voluntary + {figures.switches[1]:,} involuntary context switches,"
            f" at most {figures.worker_threads} threads;"
            f" {figures.worker_io_calls[0] / figures.deliveries:.1f} read and"
            f" {figures.worker_io_calls[1] / figures.deliveries:.1f} write calls per delivery"
        )


def ingest_figures(args: argparse.Namespace) -> None:
    if not WRK:
        print(
            "(wrk not found: ingest measured with a Python client, which takes CPU from the server; `make bench` installs wrk)"
        )
    # One web process, then as many as the machine has cores (manage.py serve --web-processes), in this run.
    for web_processes in dict.fromkeys((1, os.cpu_count() or 1)):
        figures = ingest(6, web_processes)
        label = f"{web_processes} web process{'es' if web_processes > 1 else ''}"
        print(
            f"ingest, single events, {label}: {figures['single']:7.0f} requests/s"
            f"  floor (refused at the door) {figures['single_floor']:7.0f}/s"
            f"  ratio {figures['single'] / figures['single_floor']:.2f}  goal >= 1,200/s"
            f"  web CPU {figures['single_cpu'] * 1e6:.0f} µs/request (floor {figures['single_floor_cpu'] * 1e6:.0f} µs)"
        )
        print(
            f"ingest, 100-event batches, {label}: {figures['batch']:7.0f} events/s"
            f"  floor (refused at the door) {figures['batch_floor']:7.0f}/s"
            f"  ratio {figures['batch'] / figures['batch_floor']:.2f}  goal >= 10,000/s"
            f"  web CPU {figures['batch_cpu'] * 1e6:.0f} µs/event (floor {figures['batch_floor_cpu'] * 1e6:.0f} µs)"
        )
        split = "/".join(f"{share:.0%}" for share in figures["single_split"])
        print(
            f"  (load average {figures['load']:.1f} on {os.cpu_count()} cores: rates are wall-clock, CPU is not;"
            f" the web processes used {figures['single_cores']:.2f} cores for single events ({split} each),"
            f" {figures['batch_cores']:.2f} for batches)"
        )


def delivery_figures(args: argparse.Namespace) -> None:
    per_second, share_429 = sustained_rate(150, args.events)
    print(
        f"deliveries/s, default settings, account limit 150/s: {per_second:6.1f}/s  ({per_second / 150:.0%} of the "
        f"150/s ceiling)  429s: {share_429:.2f}%   goal >= 140/s, < 0.5%"
    )
    per_second, share_429 = sustained_rate(20, max(400, args.events // 5))
    print(
        f"deliveries/s, default settings, account limit 20/s: {per_second:6.1f}/s  ({per_second / 20:.0%} of the "
        f"20/s ceiling)  429s: {share_429:.2f}%   goal < 2%"
    )


def latency_figures(args: argparse.Namespace) -> None:
    if not args.busy:
        _print_latency("ingest-to-delivered at 100 events/s", latency(100, args.seconds))
        return
    setups = [("SQLite, 1 worker", "", 1)]
    if postgres_available():
        setups.append(("PostgreSQL, 2 workers", "postgres", 2))
    else:
        print("(PostgreSQL is not running on 127.0.0.1:5432: SQLite only)")
    for label, database, workers in setups:
        for busy in (False, True):
            name = ""
            if database:
                name, database_url = create_postgres_database()
            else:
                database_url = ""
            try:
                with one_core_busy() if busy else contextlib.nullcontext():
                    figures = latency(100, args.seconds, database_url, workers)
            finally:
                if name:
                    drop_postgres_database(name)
            _print_latency(f"{label}, {'one core busy' if busy else 'quiet'}", figures)


def _print_latency(label: str, figures: Latency) -> None:
    print(
        f"{label}: ingest-to-delivered at 100 events/s: p50 {figures.p50 * 1000:.0f} ms  p99 {figures.p99 * 1000:.0f} ms"
        f"  floor 50 ms (fake latency)  ratio p99/floor {figures.p99 / 0.05:.1f}  goal p99 < 200 ms"
    )
    for step, (p50, p99) in figures.stages.items():
        print(f"  {step}: p50 {p50 * 1000:.0f} ms  p99 {p99 * 1000:.0f} ms")
    print(f"  CPU per event: web {figures.cpu_web * 1000:.2f} ms, workers {figures.cpu_workers * 1000:.2f} ms")


if __name__ == "__main__":
    main()

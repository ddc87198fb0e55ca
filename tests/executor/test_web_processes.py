"""Real processes: `manage.py serve --web-processes N` serves one port from N processes. One that dies is
replaced while the port keeps answering; SIGTERM stops them all; every accepted event is stored once
whichever process took it; /metrics and the browser sources' limits are the run's, not one process's."""

import http.client
import json
import os
import signal
import socket
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from prometheus_client.mmap_dict import MmapedDict

from config import web_server
from tests.events import shipped_event
from tests.executor import workers
from tests.executor.workers import RelayProcesses, wait_until
from tests.fake_attentive import GOOD_KEY, FakeAttentive

fake = workers.fake

METRICS_TOKEN = "scrape-secret-123"

STORED_SCRIPT = """
import http.client
import json
from executor.models import InboundEvent
print(json.dumps([InboundEvent.objects.count(), InboundEvent.objects.values("dedup_key").distinct().count()]))
"""

BROWSER_KEY_SCRIPT = """
from executor.models import WriteKey
print(WriteKey.issue("shop", kind="browser", allowed_origins=["https://shop.example.com"])[1])
"""


def _serve(tmp_path: Path, fake: FakeAttentive, web_processes: int = 2, **settings: object) -> RelayProcesses:
    relay = RelayProcesses(
        tmp_path, f"sqlite:///{tmp_path / 'relay.sqlite3'}", fake.url, RELAY_METRICS_TOKEN=METRICS_TOKEN, **settings
    )
    relay.set_up(GOOD_KEY)
    relay.start_web(web_processes=web_processes)
    if not wait_until(
        lambda: len(relay.web_processes()) == web_processes and _all_listening(relay) and _all_turning(relay),
        timeout=60,
    ):
        relay.stop()
        raise RuntimeError("the web processes did not start")
    return relay


def _all_listening(relay: RelayProcesses) -> bool:
    """Every web process has imported the application and serves (its loop and request threads run)."""
    return all(workers._threads(pid) > 2 for pid in relay.web_processes())


def _all_turning(relay: RelayProcesses) -> bool:
    """Every web process's loop has turned (each turn writes its time to the run's table of
    connections): one stopped before its first turn is taken for one still starting, which serve
    gives a minute, not RELAY_WEB_STALL_SECONDS (a fresh-clone CI run stopped one in that moment)."""
    processes = relay.web_processes()
    table = _environment(processes[-1]).get("RELAY_RUN_DIRECTORY", "")
    if not table or len(processes) < 2:
        return True  # one process: no table
    shares = web_server.ConnectionShares(str(Path(table) / "connections"), 0, len(processes))
    return all(shares.last_turn(slot) > 0 for slot in range(len(processes)))


def _environment(pid: int) -> dict[str, str]:
    return dict(line.split("=", 1) for line in Path(f"/proc/{pid}/environ").read_text().split("\0") if "=" in line)


def _answered_by(relay: RelayProcesses) -> dict[int, float]:
    """Ingest requests answered by each web process, from the run's prometheus-client files."""
    directory = Path(_environment(relay.web_processes()[-1])["PROMETHEUS_MULTIPROC_DIR"])
    answered: dict[int, float] = {}
    for path in directory.glob("counter_*.db"):
        pid = int(path.stem.split("_")[1])
        answered[pid] = sum(
            value
            for key, value, _, _ in MmapedDict.read_all_values_from_file(str(path))
            if json.loads(key)[1] == "relay_ingest_requests_total"
        )
    return answered


def _post(url: str, body: object, headers: dict[str, str]) -> httpx.Response:
    # A new connection each time: the kernel gives each to whichever process accepts it first.
    return httpx.post(url, json=body, headers={**headers, "Connection": "close"}, timeout=60)


def test_a_killed_web_process_is_replaced_while_the_port_keeps_answering(tmp_path: Path, fake: FakeAttentive) -> None:
    relay = _serve(tmp_path, fake)
    try:
        _, child = relay.web_processes()
        os.kill(child, signal.SIGKILL)
        assert [httpx.get(f"{relay.url}/login/", timeout=30).status_code for _ in range(10)] == [200] * 10
        assert wait_until(lambda: len(relay.web_processes()) == 2 and child not in relay.web_processes(), timeout=30)
        assert wait_until(lambda: _all_listening(relay), timeout=60)
    finally:
        relay.stop()


def test_a_web_process_whose_loop_stopped_is_killed_and_replaced(tmp_path: Path, fake: FakeAttentive) -> None:
    relay = _serve(tmp_path, fake, RELAY_WEB_STALL_SECONDS=2)
    try:
        _, child = relay.web_processes()
        os.kill(child, signal.SIGSTOP)  # alive, but its loop turns no more (as if hung)
        assert [httpx.get(f"{relay.url}/login/", timeout=30).status_code for _ in range(10)] == [200] * 10
        assert wait_until(lambda: len(relay.web_processes()) == 2 and child not in relay.web_processes(), timeout=30)
        assert wait_until(lambda: _all_listening(relay), timeout=60)
        assert not Path(f"/proc/{child}").exists() or _zombie(child)
    finally:
        relay.stop()


def test_an_idle_web_process_is_not_taken_for_hung(tmp_path: Path, fake: FakeAttentive) -> None:
    # An idle loop turns once a second: a stall limit of 2 s must not replace it.
    relay = _serve(tmp_path, fake, RELAY_WEB_STALL_SECONDS=2)
    try:
        before = relay.web_processes()
        time.sleep(6)
        assert relay.web_processes() == before
    finally:
        relay.stop()


def test_sigterm_stops_every_web_process(tmp_path: Path, fake: FakeAttentive) -> None:
    relay = _serve(tmp_path, fake, web_processes=3)
    processes = relay.web_processes()
    relay.web.terminate()
    assert relay.web.wait(timeout=30) == 0
    assert wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in processes), timeout=15)


def test_ctrl_c_stops_serve_even_when_it_was_started_with_sigint_ignored(tmp_path: Path, fake: FakeAttentive) -> None:
    # Outside test: started from a shell's background job (SIGINT ignored), serve let Ctrl-C do nothing.
    relay = RelayProcesses(tmp_path, f"sqlite:///{tmp_path / 'relay.sqlite3'}", fake.url)
    relay.set_up(GOOD_KEY)
    relay.start_web(workers=1, own_group=True, sigint_ignored=True)
    try:
        assert wait_until(lambda: len(relay.supervised_workers()) == 1, timeout=30)
        os.killpg(relay.web.pid, signal.SIGINT)
        relay.web.wait(timeout=30)
    finally:
        relay.stop()


def test_the_web_processes_end_when_serve_is_killed(tmp_path: Path, fake: FakeAttentive) -> None:
    relay = _serve(tmp_path, fake)
    _, child = relay.web_processes()
    relay.web.kill()
    relay.web.wait()
    # Its lifeline pipe has no writer left: it stops, instead of serving the port on its own for ever.
    assert wait_until(lambda: not Path(f"/proc/{child}").exists() or _zombie(child), timeout=30)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_every_accepted_event_is_stored_exactly_once_whichever_process_took_it(
    tmp_path: Path, fake: FakeAttentive
) -> None:
    relay = _serve(tmp_path, fake)
    url, auth = f"{relay.url}/api/v1/events", {"Authorization": f"Bearer {relay.write_key}"}
    singles = [shipped_event(index) for index in range(200)]
    batches = [[shipped_event(200 + 10 * batch + index) for index in range(10)] for batch in range(20)]
    # Each body twice, one after the other: twins run side by side, often in different processes.
    bodies = [body for body in [*singles, *batches] for _ in range(2)]
    try:
        with ThreadPoolExecutor(16) as pool:
            responses = list(pool.map(lambda body: _post(url, body, auth), bodies))
        assert {response.status_code for response in responses} == {202}
        statuses: dict[str, list[str]] = {}
        for response in responses:
            answer = response.json()
            for row in answer.get("results", [answer]):
                statuses.setdefault(row["messageId"], []).append(row["status"])
        assert len(statuses) == 400
        assert all(sorted(each) == ["accepted", "duplicate"] for each in statuses.values())
        assert json.loads(relay.manage("shell", "-c", STORED_SCRIPT).strip().splitlines()[-1]) == [400, 400]
        assert len([pid for pid, count in _answered_by(relay).items() if count]) == 2, "both processes answered"
    finally:
        relay.stop()


def test_a_scrape_of_any_web_process_counts_the_requests_of_all(tmp_path: Path, fake: FakeAttentive) -> None:
    relay = _serve(tmp_path, fake)
    url, auth = f"{relay.url}/api/v1/events", {"Authorization": f"Bearer {relay.write_key}"}
    try:
        with ThreadPoolExecutor(8) as pool:
            sent = list(pool.map(lambda index: _post(url, shipped_event(index), auth).status_code, range(120)))
        assert sent == [202] * 120
        assert len([pid for pid, count in _answered_by(relay).items() if count]) == 2, "both processes answered"
        scrapes = [
            httpx.get(
                f"{relay.url}/metrics",
                headers={"Authorization": f"Bearer {METRICS_TOKEN}", "Connection": "close"},
                timeout=30,
            ).text
            for _ in range(10)
        ]
        assert all('relay_ingest_requests_total{endpoint="api",status="202"} 120.0' in text for text in scrapes)
    finally:
        relay.stop()


def test_a_browser_sources_limit_holds_whichever_web_process_serves_it(tmp_path: Path, fake: FakeAttentive) -> None:
    # 0.5 requests a second, bursts of 1: the first request passes, the next only two seconds later.
    relay = _serve(tmp_path, fake, RELAY_BROWSER_RATE_PER_KEY="0.5", RELAY_BROWSER_RATE_PER_IP="1000")
    browser_key = relay.manage("shell", "-c", BROWSER_KEY_SCRIPT).strip().splitlines()[-1]
    url, auth = f"{relay.url}/api/v1/events", {"Authorization": f"Bearer {browser_key}"}
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            codes = Counter(pool.map(lambda index: _post(url, shipped_event(index), auth).status_code, range(40)))
        elapsed = time.monotonic() - started
        assert set(codes) == {202, 429}
        assert len([pid for pid, count in _answered_by(relay).items() if count]) == 2, "both processes answered"
        assert codes[202] <= 1 + int(0.5 * elapsed), f"{codes[202]} accepted in {elapsed:.1f} s"
    finally:
        relay.stop()


def _open_sockets(pid: int) -> int:
    return sum(1 for fd in Path(f"/proc/{pid}/fd").iterdir() if os.readlink(fd).startswith("socket:"))


def test_connections_opened_at_once_are_shared_between_the_web_processes(tmp_path: Path, fake: FakeAttentive) -> None:
    relay = _serve(tmp_path, fake)
    try:
        before = {pid: _open_sockets(pid) for pid in relay.web_processes()}
        # 16 connections opened at once, as a proxy's pool or a load generator opens them, then kept.
        connections = [socket.create_connection(("127.0.0.1", relay.port), timeout=30) for _ in range(16)]
        for connection in connections:
            connection.sendall(b"GET /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        for connection in connections:
            assert connection.recv(100).startswith(b"HTTP/1.1 200")
        held = [_open_sockets(pid) - before[pid] for pid in relay.web_processes()]
        for connection in connections:
            connection.close()
        assert sum(held) == 16
        assert min(held) >= 6, held
    finally:
        relay.stop()


def _healthz(connection: http.client.HTTPConnection) -> None:
    # http.client opens a new connection for the next request once an answer said Connection: close.
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    assert response.status == 200


def test_connections_that_all_went_to_one_web_process_are_handed_over_until_shared(
    tmp_path: Path, fake: FakeAttentive
) -> None:
    relay = _serve(tmp_path, fake)
    try:
        first, second = relay.web_processes()
        before = {pid: _open_sockets(pid) for pid in (first, second)}
        held = lambda pid: _open_sockets(pid) - before[pid]  # noqa: E731
        clients = [http.client.HTTPConnection("127.0.0.1", relay.port, timeout=30) for _ in range(4)]
        os.kill(second, signal.SIGSTOP)  # the first takes every connection (once the second is stale)
        try:
            for client in clients:
                _healthz(client)
            assert held(first) == 4
            assert held(second) == 0
        finally:
            os.kill(second, signal.SIGCONT)

        def shared() -> bool:
            for client in clients:
                _healthz(client)
            return held(first) == held(second) == 2

        assert wait_until(shared, timeout=20), (held(first), held(second))
        for client in clients:
            client.close()
    finally:
        relay.stop()

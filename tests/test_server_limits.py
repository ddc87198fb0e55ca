"""The web server (`manage.py serve`, and each web process it starts) refuses over-long request lines
(414) and headers (431) before Django sees them, with an answer the client can read to its end (never
a connection reset)."""

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.executor import workers
from tests.executor.workers import RelayProcesses, wait_until


@pytest.fixture(scope="module", params=["serve", "a web process serve started"])
def relay(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcesses]:
    """serve on its own, or one more web process of serve's (--web-processes 2) with serve itself
    stopped (SIGSTOP), so that only the process serve started accepts connections."""
    data_dir: Path = tmp_path_factory.mktemp("relay")
    processes = RelayProcesses(data_dir, f"sqlite:///{data_dir / 'relay.sqlite3'}", "http://127.0.0.1:9")
    processes.manage("migrate", "--no-input")
    started = request.param != "serve"
    processes.start_web(web_processes=2 if started else 1)
    if started:
        assert wait_until(lambda: len(processes.web_processes()) == 2, timeout=60)
        # Serving: its loop and request threads run.
        assert wait_until(lambda: workers._threads(processes.web_processes()[1]) > 2, timeout=60)
        os.kill(processes.web.pid, signal.SIGSTOP)
    yield processes
    if started:
        os.kill(processes.web.pid, signal.SIGCONT)
    processes.stop()


def _raw_request(port: int, path: str) -> tuple[bytes, float]:
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        # The server may answer and close before it has read it all.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        answer = sock.recv(200)
    return answer, time.perf_counter() - started


# 200 KB fitted under waitress's default limit (256 KB) and reached Django's logging.
@pytest.mark.parametrize("path_bytes", [200 * 1024, 1024 * 1024])
def test_a_long_path_is_refused_in_under_a_second_while_another_request_is_served(
    relay: RelayProcesses, path_bytes: int
) -> None:
    outcome: dict[str, object] = {}

    def attack() -> None:
        outcome["answer"], outcome["seconds"] = _raw_request(relay.port, "/" + "a" * path_bytes)

    attacker = threading.Thread(target=attack)
    attacker.start()
    started = time.perf_counter()
    normal = httpx.get(f"{relay.url}/login/", timeout=5)
    normal_seconds = time.perf_counter() - started
    attacker.join(timeout=10)

    assert normal.status_code == 200
    assert normal_seconds < 1.0
    assert outcome["answer"].split(b"\r\n")[0].endswith(b" 414 URI Too Long")
    assert outcome["seconds"] < 1.0


def test_an_oversized_header_is_refused_with_431(relay: RelayProcesses) -> None:
    response = httpx.get(f"{relay.url}/login/", headers={"X-Padding": "b" * 64 * 1024}, timeout=5)
    assert response.status_code == 431


def _whole_answer(port: int, request: bytes) -> bytes:
    """Send all of `request`, then read the answer to its end, as curl or a browser does."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("line_bytes", [33 * 1024, 4 * 1024 * 1024])
def test_a_request_line_over_32_kb_is_a_414_read_to_its_end_not_a_reset(relay: RelayProcesses, line_bytes: int) -> None:
    request = b"GET /" + b"a" * line_bytes + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    head, _, body = _whole_answer(relay.port, request).partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0].endswith(b" 414 URI Too Long")
    assert b"The request line is longer than 32768 bytes." in body
    assert len(body) < 200


@pytest.mark.parametrize("header_bytes", [33 * 1024, 4 * 1024 * 1024])
def test_headers_over_32_kb_are_a_431_read_to_its_end_not_a_reset(relay: RelayProcesses, header_bytes: int) -> None:
    request = b"GET /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"b" * header_bytes + b"\r\n\r\n"
    head, _, body = _whole_answer(relay.port, request).partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0].endswith(b" 431 Request Header Fields Too Large")
    assert b"The headers are longer than 32768 bytes." in body
    assert len(body) < 200


def test_a_request_under_the_limits_is_served_as_before(relay: RelayProcesses) -> None:
    request = b"GET /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    assert _whole_answer(relay.port, request).startswith(b"HTTP/1.1 200 OK")

"""The web server refuses over-long request lines and headers before Django sees them."""

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.executor.workers import RelayProcesses


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcesses]:
    data_dir: Path = tmp_path_factory.mktemp("relay")
    processes = RelayProcesses(data_dir, f"sqlite:///{data_dir / 'relay.sqlite3'}", "http://127.0.0.1:9")
    processes.manage("migrate", "--no-input")
    processes.start_web()
    yield processes
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
    assert outcome["answer"].split(b"\r\n")[0].endswith(b" 431 Request Header Fields Too Large")
    assert outcome["seconds"] < 1.0


def test_an_oversized_header_is_refused_with_431(relay: RelayProcesses) -> None:
    response = httpx.get(f"{relay.url}/login/", headers={"X-Padding": "b" * 64 * 1024}, timeout=5)
    assert response.status_code == 431

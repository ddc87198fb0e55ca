"""README, Benchmarks: RELAY_TEST_PORTS keeps the tests' and benchmarks' servers within a range."""

import socket

import pytest

from tests import ports


def test_without_a_range_the_system_gives_any_free_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RELAY_TEST_PORTS", raising=False)
    assert ports.port_to_bind() == 0
    assert ports.free_port() > 0


def _taken_beside_a_free_one() -> socket.socket:
    """A listening socket on a port whose next one is free."""
    while True:
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", taken.getsockname()[1] + 1))
            except OSError:
                taken.close()
                continue
        taken.listen()
        return taken


def test_with_a_range_every_port_is_within_it_and_free(monkeypatch: pytest.MonkeyPatch) -> None:
    with _taken_beside_a_free_one() as taken:
        port = taken.getsockname()[1]
        monkeypatch.setenv("RELAY_TEST_PORTS", f"{port}-{port + 1}")
        chosen = {ports.free_port() for _ in range(10)} | {ports.port_to_bind() for _ in range(10)}
    assert chosen == {port + 1}


def test_a_range_whose_ports_are_all_taken_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        taken.listen()
        monkeypatch.setenv("RELAY_TEST_PORTS", f"{port}-{port}")
        with pytest.raises(OSError, match="every port of RELAY_TEST_PORTS is taken"):
            ports.free_port()

"""config/web_server.py: an over-long request line is a 414 and over-long headers a 431, and a refused
client that goes on sending is cut off after a bounded amount (tests/test_server_limits.py drives the
real `manage.py serve`)."""

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.task import ThreadedTaskDispatcher

from config import web_server
from config.web_server import RequestParser


def _parsed(data: bytes, limit: int = 100) -> RequestParser:
    parser = RequestParser(Adjustments(max_request_header_size=limit))
    while data and not parser.completed:
        data = data[parser.received(data[:7]) :]  # a few bytes at a time, as a socket delivers them
    return parser


def test_a_request_line_over_the_limit_is_a_414() -> None:
    assert _parsed(b"GET /" + b"a" * 200 + b" HTTP/1.1\r\n\r\n").error.code == 414


def test_headers_over_the_limit_with_a_short_request_line_are_a_431() -> None:
    assert _parsed(b"GET / HTTP/1.1\r\nX-Pad: " + b"b" * 200 + b"\r\n\r\n").error.code == 431


def test_a_request_within_the_limit_is_no_error() -> None:
    parser = _parsed(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
    assert parser.error is None
    assert parser.path == "/ok"


def _app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


@contextlib.contextmanager
def _running(**adjustments: object) -> Iterator[object]:
    running = web_server.create(_app, host="127.0.0.1", port=0, threads=1, **adjustments)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.task_dispatcher.shutdown()
        # Closed from the loop's own thread: closing its sockets under its select() fails it (EBADF).
        running.trigger.pull_trigger(lambda: wasyncore.close_all(running._map))
        thread.join(timeout=5)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setattr(web_server, "LINGER_BYTES", 256 * 1024)
    monkeypatch.setattr(web_server, "LINGER_SECONDS", 0.5)
    with _running() as running:
        yield running


def _refused_then_keep_sending(port: int, chunk: bytes, pause: float, limit_bytes: int) -> tuple[bytes, int]:
    """Send an over-long request line, then go on sending `chunk`s; return the answer's first bytes and
    how much was sent before the server cut the connection."""
    sent, give_up = 0, time.monotonic() + 10
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /" + b"a" * 40_000)
        answer = sock.recv(200)
        try:
            while sent < limit_bytes and time.monotonic() < give_up:
                sock.sendall(chunk)
                sent += len(chunk)
                time.sleep(pause)
        except OSError:
            return answer, sent
    return answer, -1


def test_the_refusal_is_answered_while_the_client_is_still_sending(server) -> None:
    answer, _ = _refused_then_keep_sending(server.effective_port, b"a", 0, 0)
    assert answer.startswith(b"HTTP/1.0 414 URI Too Long")


def test_a_refused_client_that_goes_on_sending_is_cut_off_after_a_bounded_amount(server) -> None:
    answer, sent = _refused_then_keep_sending(server.effective_port, b"a" * 65536, 0, 256 * 1024 * 1024)
    assert answer.startswith(b"HTTP/1.0 414")
    assert 0 <= sent < 64 * 1024 * 1024  # the linger budget, plus what the kernel's buffers hold


def test_a_refused_client_that_trickles_is_cut_off_after_a_bounded_time(server) -> None:
    started = time.monotonic()
    answer, sent = _refused_then_keep_sending(server.effective_port, b"a" * 100, 0.05, 10 * 1024 * 1024)
    assert answer.startswith(b"HTTP/1.0 414")
    assert sent >= 0
    assert time.monotonic() - started < 5


def test_a_request_waiting_for_a_free_thread_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    # Waitress warns for each one ("Task queue depth is 1"); under steady load that was a scrubbed
    # log line for nearly every request.
    dispatcher = ThreadedTaskDispatcher()  # no threads started: the task waits in the queue
    with caplog.at_level(logging.WARNING):
        dispatcher.add_task(object())
    assert caplog.records == []


def test_a_web_process_holding_its_share_of_the_connections_leaves_the_next_one_to_the_others(tmp_path) -> None:
    table = str(tmp_path / "connections")
    first, second = web_server.ConnectionShares(table, 0, 2), web_server.ConnectionShares(table, 1, 2)
    assert second.may_accept(7, now=100.0)
    assert not first.may_accept(8, now=100.0)  # 15 open: its share of the 16th is 8
    assert second.may_accept(7, now=100.0)
    assert first.may_accept(7, now=100.0)


def test_a_web_process_whose_loop_stopped_turning_takes_no_share(tmp_path) -> None:
    table = str(tmp_path / "connections")
    first, second = web_server.ConnectionShares(table, 0, 2), web_server.ConnectionShares(table, 1, 2)
    second.may_accept(0, now=100.0)
    assert not first.may_accept(8, now=100.0)
    assert first.may_accept(8, now=100.0 + web_server.STALE_SECONDS)  # the second has not turned since


def test_a_lingering_connection_is_not_counted_in_a_web_processs_share() -> None:
    class _Dispatcher:
        active_channels: dict[int, object]

    dispatcher = _Dispatcher()
    lingering = object.__new__(web_server._LingeringChannel)
    serving = object.__new__(web_server.LingeringChannel)
    dispatcher.active_channels = {3: serving, 4: lingering, 5: object.__new__(web_server._LingeringChannel)}
    assert web_server.open_connections(dispatcher) == 1


def test_a_web_process_over_its_share_while_another_is_live_hands_a_connection_over(tmp_path) -> None:
    table = str(tmp_path / "connections")
    first, second = web_server.ConnectionShares(table, 0, 2), web_server.ConnectionShares(table, 1, 2)
    second.may_accept(0, now=100.0)
    first.may_accept(4, now=100.0)
    assert first.should_hand_over(now=100.1)  # 4 of 4: its share is 2
    assert not second.should_hand_over(now=100.1)


def test_a_web_process_within_its_share_keeps_its_connections(tmp_path) -> None:
    table = str(tmp_path / "connections")
    first, second = web_server.ConnectionShares(table, 0, 2), web_server.ConnectionShares(table, 1, 2)
    second.may_accept(1, now=100.0)
    first.may_accept(2, now=100.0)
    assert not first.should_hand_over(now=100.1)  # 2 of 3: its share is 2


def test_a_web_process_alone_or_beside_a_stopped_one_keeps_its_connections(tmp_path) -> None:
    table = str(tmp_path / "connections")
    first, second = web_server.ConnectionShares(table, 0, 2), web_server.ConnectionShares(table, 1, 2)
    second.may_accept(0, now=100.0)
    first.may_accept(4, now=100.0 + web_server.STALE_SECONDS)  # the second has not turned since
    assert not first.should_hand_over(now=100.0 + web_server.STALE_SECONDS)


def test_a_web_process_hands_over_one_connection_per_interval(tmp_path) -> None:
    table = str(tmp_path / "connections")
    first, second = web_server.ConnectionShares(table, 0, 2), web_server.ConnectionShares(table, 1, 2)
    second.may_accept(0, now=100.0)
    first.may_accept(8, now=100.0)
    assert first.should_hand_over(now=100.0)
    assert not first.should_hand_over(now=100.0 + web_server.HAND_OVER_SECONDS / 2)
    assert first.should_hand_over(now=100.0 + web_server.HAND_OVER_SECONDS)


def _answer_on(connection: socket.socket) -> bytes:
    connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    answer = b""
    while not answer.endswith(b"ok"):
        answer += connection.recv(1000)
    return answer


def test_the_answer_of_a_process_over_its_share_closes_its_connection(tmp_path) -> None:
    table = str(tmp_path / "connections")
    shares, other = web_server.ConnectionShares(table, 0, 2), web_server.ConnectionShares(table, 1, 2)
    with _running(shares=shares) as running:
        connections = [socket.create_connection(("127.0.0.1", running.effective_port), timeout=10) for _ in range(4)]
        assert b"Connection: close" not in _answer_on(connections[0])  # alone so far: all 4 are its share
        other.may_accept(0)  # another process serves the port, holding none
        answers = [_answer_on(connection) for connection in connections]
        assert sum(b"Connection: close" in answer for answer in answers) == 1  # one per HAND_OVER_SECONDS
        for connection in connections:
            connection.close()


def test_a_process_over_its_share_answers_every_request_a_client_pipelined_before_closing(tmp_path) -> None:
    table = str(tmp_path / "connections")
    shares, other = web_server.ConnectionShares(table, 0, 2), web_server.ConnectionShares(table, 1, 2)
    with _running(shares=shares) as running:
        connections = [socket.create_connection(("127.0.0.1", running.effective_port), timeout=10) for _ in range(4)]
        _answer_on(connections[0])
        other.may_accept(0)
        request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        connections[1].sendall(request * 3)
        answers = b""
        while answers.count(b"ok") < 3:
            received = connections[1].recv(1000)
            assert received, answers  # closed before answering them all
            answers += received
        for connection in connections:
            connection.close()

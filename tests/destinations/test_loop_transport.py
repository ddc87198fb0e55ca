"""The transport a worker's sending loop sends through: HTTP/1.1 on kept-alive connections of an asyncio
event loop, with the blocking transport's guarantees (certificates, timeouts, limits, no redirects)."""

import asyncio
import socket
import ssl
import threading
import time

import httpx
import pytest

from destinations.loop_transport import LoopPool
from destinations.pooled_transport import PooledTransport
from tests.asyncio_run import run_in_its_own_thread

HEAD = b"POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer secret\r\nContent-Length: %d\r\n\r\n"


def _send(pool: LoopPool, server, path: str = "/", content: bytes = b'{"a":1}', read: float = 5.0, scheme="http"):
    host, port = server.server_address
    return pool.send_prepared(
        (scheme, host, port),
        "POST",
        HEAD % (path.encode(), len(content)),
        content,
        {
            "connect": 2.0,
            "read": read,
        },
    )


def _run(*coroutines):
    async def together():
        return await asyncio.gather(*coroutines)

    return run_in_its_own_thread(together())


def _pool(context: ssl.SSLContext | None = None, kept: int = 64) -> LoopPool:
    return LoopPool(ssl_context=context or PooledTransport().ssl_context, kept_connections=kept)


def test_a_prepared_request_arrives_whole_and_its_answer_names_its_headers_in_lower_case_on_the_loop(server):
    pool = _pool()

    async def two():
        return [await _send(pool, server, "/v1/events/custom"), await _send(pool, server, "/v1/events/custom")]

    (answers,) = _run(two())
    assert [(method, path, body, headers["Authorization"]) for method, path, headers, body, _ in server.seen] == [
        ("POST", "/v1/events/custom", b'{"a":1}', "Bearer secret")
    ] * 2
    assert len({port for *_, port in server.seen}) == 1  # one connection, kept alive
    assert (answers[0].status_code, answers[0].headers["x-ratelimit-limit"], answers[0].json()) == (
        202,
        "150",
        {"echo": {"a": 1}},
    )


def test_a_chunked_answer_is_read_whole_on_the_loop_and_its_connection_kept(server):
    pool = _pool()

    async def two():
        return [await _send(pool, server, "/chunked"), await _send(pool, server, "/")]

    ((chunked, plain),) = _run(two())
    assert (chunked.json(), plain.status_code) == ({"in": "parts"}, 202)
    assert len({port for *_, port in server.seen}) == 1


@pytest.mark.parametrize("path", ["/huge", "/huge-chunked"])
def test_an_answer_larger_than_the_body_limit_is_refused_on_the_loop_and_its_connection_dropped(server, path):
    pool = _pool()

    async def refused_then_sent():
        with pytest.raises(httpx.RemoteProtocolError, match="BodyTooLarge"):
            await _send(pool, server, path)
        return await _send(pool, server, "/")

    (after,) = _run(refused_then_sent())
    assert after.status_code == 202
    assert len({port for *_, port in server.seen}) == 2


def test_a_connection_the_server_closed_is_replaced_on_the_loop_by_a_new_one(server):
    pool = _pool()

    async def closed_then_sent():
        await _send(pool, server, "/close")
        await asyncio.sleep(0.1)
        return await _send(pool, server, "/")

    (after,) = _run(closed_then_sent())
    assert after.status_code == 202
    assert len({port for *_, port in server.seen}) == 2


def test_a_redirect_is_answered_on_the_loop_as_is_never_followed(server):
    (answer,) = _run(_send(_pool(), server, "/moved"))
    assert (answer.status_code, [path for _, path, *_ in server.seen]) == (301, ["/moved"])


def test_an_answer_slower_than_the_read_timeout_is_a_read_timeout_on_the_loop_naming_no_url(server):
    with pytest.raises(httpx.ReadTimeout) as raised:
        _run(_send(_pool(), server, "/slow", read=0.2))
    assert "127.0.0.1" not in str(raised.value)


def test_nobody_listening_is_a_connect_error_on_the_loop():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pool = _pool()
    with pytest.raises(httpx.ConnectError):
        _run(pool.send_prepared(("http", "127.0.0.1", port), "POST", HEAD % (b"/", 2), b"{}", {"connect": 2.0}))


def test_fifty_requests_at_once_on_one_loop_each_get_their_own_answer_without_a_thread_each(server):
    pool = _pool()
    # The server's own threads (one per connection) aside.
    ours = lambda: {  # noqa: E731
        thread
        for thread in threading.enumerate()
        if "process_request" not in thread.name and thread.name != "test-asyncio-run"
    }
    threads_before = ours()
    seen = set()

    async def numbered(number: int) -> int:
        seen.update(ours())
        answer = await _send(pool, server, "/", b'{"n":%d}' % number)
        return answer.json()["echo"]["n"]

    assert _run(*(numbered(number) for number in range(50))) == list(range(50))
    assert seen == threads_before


def test_https_is_verified_on_the_loop_an_untrusted_certificate_is_refused(tls_server):
    server, _ = tls_server
    with pytest.raises(httpx.ConnectError):
        _run(_send(_pool(), server, scheme="https"))
    assert server.seen == []


def test_https_to_a_trusted_certificate_delivers_on_the_loop(tls_server):
    server, cert = tls_server
    (answer,) = _run(_send(_pool(ssl.create_default_context(cafile=cert)), server, scheme="https"))
    assert answer.json() == {"echo": {"a": 1}}


def test_closing_a_pool_from_another_thread_closes_its_idle_connections_on_its_loop(server):
    pool = _pool()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(_send(pool, server), loop).result(5)
        origin = ("http", *server.server_address)
        (connection,) = pool._idle.to(origin)
        pool.close()
        deadline = time.monotonic() + 2
        while not connection._closed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert connection._closed
        assert pool._idle.to(origin) == ()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def test_a_burst_of_requests_opens_at_most_four_connections_to_an_origin_at_once(server, monkeypatch):
    from destinations import loop_transport

    pool = _pool()
    opening = []
    most = []
    real_open = LoopPool._open

    async def counted_open(self, origin, timeouts):
        opening.append(1)
        most.append(len(opening))
        try:
            return await real_open(self, origin, timeouts)
        finally:
            opening.pop()

    monkeypatch.setattr(LoopPool, "_open", counted_open)
    answers = _run(*(_send(pool, server, "/", b'{"n":%d}' % number) for number in range(40)))
    assert [answer.json()["echo"]["n"] for answer in answers] == list(range(40))
    assert max(most) <= loop_transport.OPENING_AT_ONCE


def test_a_burst_of_three_hundred_requests_from_ten_pools_is_answered_by_the_fake_within_the_read_timeout():
    from tests.fake_attentive import GOOD_KEY, FakeAttentive

    fake = FakeAttentive(latency=0.005).start()
    host, port = fake.server.server_address
    pools = [_pool() for _ in range(10)]

    async def one(number: int) -> int:
        body = b'{"type":"x","user":{"phone":"+14155550100"},"externalEventId":"e-%d"}' % number
        head = (
            b"POST /v1/events/custom HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (GOOD_KEY.encode(), len(body))
        )
        answer = await pools[number % 10].send_prepared(
            ("http", host, port), "POST", head, body, {"connect": 5.0, "read": 2.0}
        )
        return answer.status_code

    try:
        statuses = _run(*(one(number) for number in range(300)))
    finally:
        fake.stop()
    assert set(statuses) <= {200, 429}
    assert len(fake.event_ids()) == sum(status == 200 for status in statuses)


def test_bytes_a_server_sends_unasked_on_an_idle_connection_close_it_and_the_next_request_goes_on_a_new_one():
    listener = socket.create_server(("127.0.0.1", 0))
    connections: list[int] = []
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"

    def serve() -> None:
        for _ in range(2):
            conn, (_, port) = listener.accept()
            connections.append(port)
            conn.recv(65536)
            conn.sendall(answer)
            time.sleep(0.05)
            try:
                conn.sendall(b"unasked " * 1000)  # nobody asked: the client must not keep it, nor the connection
                conn.recv(65536)  # the second request would come here if the connection were reused
            except OSError:
                pass
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    pool = _pool()
    host, port = listener.getsockname()

    async def twice():
        first = await pool.send_prepared(
            ("http", host, port), "POST", HEAD % (b"/", 2), b"{}", {"connect": 2.0, "read": 5.0}
        )
        await asyncio.sleep(0.3)
        second = await pool.send_prepared(
            ("http", host, port), "POST", HEAD % (b"/", 2), b"{}", {"connect": 2.0, "read": 5.0}
        )
        return first, second

    ((first, second),) = _run(twice())
    listener.close()
    assert (first.status_code, second.status_code) == (200, 200)
    assert len(connections) == 2

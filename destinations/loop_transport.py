"""HTTP/1.1 over kept-alive connections on an asyncio event loop: what a worker's one sending thread
sends deliveries through (executor.sending), so a request waiting for its answer holds a socket and a
timer, not a thread.

It keeps what destinations.pooled_transport (the blocking transport every other caller uses) keeps:
certificates verified as httpx verifies them (the same context: certifi, hostname checked), the
client's connect and read timeouts (the read timeout here runs from the request written to the answer
read whole), at most `kept_connections` idle connections per origin, a connection the server closed
or wrote to unasked is never used again, answers larger than MAX_BODY_BYTES or heads larger than
MAX_HEAD_BYTES are refused (both read their answers with destinations.http11), redirects are answers
like any other (never followed) and nothing is retried here. It raises httpx's errors, naming their kind only, never the URL.

A pool belongs to the loop that first uses it; everything but close() is called on that loop.
"""

import asyncio
import ssl
from typing import Any

import httpx

from destinations.http11 import Answer, AnswerReader, Exchange, IdleConnections, Origin, check_scheme
from destinations.pooled_transport import KEPT_CONNECTIONS

# Connections being opened to one origin at once. A sender's first batch puts a hundred requests on
# the loop in a millisecond; opened all at once, a connection each, they would need a hundred handshakes
# and a server's accept queue as deep. A request waiting to connect takes a connection another request
# gave back meanwhile instead, so a burst opens fewer.
OPENING_AT_ONCE = 4


class LoopPool:
    """Idle connections per origin, for requests sent with `await pool.send_prepared(...)`."""

    def __init__(self, *, ssl_context: ssl.SSLContext, kept_connections: int = KEPT_CONNECTIONS) -> None:
        self._ssl_context = ssl_context
        self._idle: IdleConnections[_LoopConnection] = IdleConnections(kept_connections)
        self._opening: dict[Origin, asyncio.Semaphore] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    async def send_prepared(
        self, origin: Origin, method: str, head: bytes, content: bytes, timeouts: dict[str, Any]
    ) -> Answer:
        """Send a request whose request line and headers (`head`, ending with the blank line) the caller
        wrote, and return its answer (as PooledTransport.send_prepared does, without a thread)."""
        check_scheme(origin[0])
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        connection = self._idle.take(origin)
        if connection is None:
            opening = self._opening.get(origin)
            if opening is None:
                opening = self._opening[origin] = asyncio.Semaphore(OPENING_AT_ONCE)
            async with opening:
                connection = self._idle.take(origin) or await self._open(origin, timeouts)
        try:
            status, headers, body, reusable = await connection.exchange(head + content, method, timeouts.get("read"))
        except BaseException:
            connection.close()
            raise
        self._idle.give_back(origin, connection, reusable)
        return Answer.of(status, headers, body)

    async def _open(self, origin: tuple[str, str, int], timeouts: dict[str, Any]) -> "_LoopConnection":
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        tls = scheme == "https"
        try:
            # asyncio sets TCP_NODELAY on the socket itself: a request is written at once.
            _, connection = await asyncio.wait_for(
                loop.create_connection(
                    _LoopConnection,
                    host,
                    port,
                    ssl=self._ssl_context if tls else None,
                    server_hostname=host if tls else None,
                ),
                timeouts.get("connect"),
            )
        except TimeoutError as error:
            raise httpx.ConnectTimeout(type(error).__name__) from None
        except OSError as error:  # ssl.SSLError (an untrusted certificate) is one
            raise httpx.ConnectError(type(error).__name__) from None
        return connection

    def close(self) -> None:
        """Close every idle connection (from any thread: on the pool's loop, if it still runs)."""
        loop = self._loop
        if loop is None:
            return
        if loop.is_closed():
            # Its connections went with it (their sockets are closed as they are collected).
            self._idle = IdleConnections(self._idle.kept)
            return
        try:
            loop.call_soon_threadsafe(self._idle.close_all)
        except RuntimeError:  # closed meanwhile
            self._idle = IdleConnections(self._idle.kept)


class _LoopConnection(asyncio.Protocol):
    """One connection to one origin, reading one answer at a time as its bytes come in."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._reader = AnswerReader()
        self._closed = False
        self._waiter: asyncio.Future[Exchange] | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def is_usable(self) -> bool:
        """False once the server closed its end (or sent something unasked): no request may go on it."""
        return (
            not self._closed
            and not self._reader.unread
            and self._transport is not None
            and not self._transport.is_closing()
        )

    def close(self) -> None:
        self._closed = True
        if self._transport is not None:
            self._transport.close()

    def exchange(self, message: bytes, method: str, read_timeout: float | None) -> "asyncio.Future[Exchange]":
        """Write `message`; the future gets the answer's status, headers, body, and whether the
        connection may carry another request."""
        loop = asyncio.get_running_loop()
        self._waiter = waiter = loop.create_future()
        self._reader.expect(method)
        self._transport.write(message)  # type: ignore[union-attr]  # set as the connection was made
        if read_timeout is not None:
            self._timer = loop.call_later(read_timeout, self._timed_out)
        return waiter

    def data_received(self, data: bytes) -> None:
        if self._waiter is None or self._waiter.done():
            # Bytes no request asked for (on an idle connection): it is never used again, and nothing
            # more is kept of what the server sends on it.
            self.close()
            return
        try:
            answer = self._reader.feed(data)
        except httpx.TransportError as error:
            self._fail(error)
            return
        if answer is not None:
            self._finish(answer)

    def eof_received(self) -> bool:
        return False  # close: connection_lost ends a body that runs until the close

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        answer = self._reader.closed()
        if answer is not None:
            self._finish(answer)
        elif exc is None:
            self._fail(httpx.RemoteProtocolError("ServerDisconnected"))
        else:
            self._fail(httpx.ReadError(type(exc).__name__))

    def _timed_out(self) -> None:
        # The error is made only when it happens: one per request would cost more than the timer.
        self._fail(httpx.ReadTimeout("ReadTimeout"))

    def _fail(self, error: Exception) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)
        self._closed = True
        if self._transport is not None:
            self._transport.abort()

    def _finish(self, result: Exchange) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._waiter.set_result(result)  # type: ignore[union-attr]  # feed() answers while one waits

"""HTTP/1.1 over kept-alive connections on an asyncio event loop: what a worker's one sending thread
sends deliveries through (executor.sending), so a request waiting for its answer holds a socket and a
timer, not a thread.

It keeps what destinations.pooled_transport (the blocking transport every other caller uses) keeps:
certificates verified as httpx verifies them (the same context: certifi, hostname checked), the
client's connect and read timeouts (the read timeout here runs from the request written to the answer
read whole), at most `kept_connections` idle connections per origin, a connection the server closed
or wrote to unasked is never used again, answers larger than MAX_BODY_BYTES or heads larger than
MAX_HEAD_BYTES are refused, redirects are answers like any other (never followed) and nothing is
retried here. It raises httpx's errors, naming their kind only, never the URL.

A pool belongs to the loop that first uses it; everything but close() is called on that loop.
"""

import asyncio
import collections
import ssl
from typing import Any

import httpx

from destinations.pooled_transport import _DEFAULT_PORTS, KEPT_CONNECTIONS, MAX_BODY_BYTES, MAX_HEAD_BYTES, Answer

_Exchange = tuple[int, list[tuple[bytes, bytes]], bytes, bool]

# Connections being opened to one origin at once. A sender's first batch puts a hundred requests on
# the loop in a millisecond; opened all at once, a connection each, they would need a hundred handshakes
# and a server's accept queue as deep. A request waiting to connect takes a connection another request
# gave back meanwhile instead, so a burst opens fewer.
OPENING_AT_ONCE = 4


class LoopPool:
    """Idle connections per origin, for requests sent with `await pool.send_prepared(...)`."""

    def __init__(self, *, ssl_context: ssl.SSLContext, kept_connections: int = KEPT_CONNECTIONS) -> None:
        self._ssl_context = ssl_context
        self._kept_connections = kept_connections
        self._idle: dict[tuple[str, str, int], collections.deque[_LoopConnection]] = {}
        self._opening: dict[tuple[str, str, int], asyncio.Semaphore] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    async def send_prepared(
        self, origin: tuple[str, str, int], method: str, head: bytes, content: bytes, timeouts: dict[str, Any]
    ) -> Answer:
        """Send a request whose request line and headers (`head`, ending with the blank line) the caller
        wrote, and return its answer (as PooledTransport.send_prepared does, without a thread)."""
        if origin[0] not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"Unsupported URL scheme {origin[0]!r}.")
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        idle = self._idle.get(origin)
        if idle is None:
            idle = self._idle.setdefault(origin, collections.deque())
        connection = _take_live(idle)
        if connection is None:
            opening = self._opening.get(origin)
            if opening is None:
                opening = self._opening[origin] = asyncio.Semaphore(OPENING_AT_ONCE)
            async with opening:
                connection = _take_live(idle) or await self._open(origin, timeouts)
        try:
            status, headers, body, reusable = await connection.exchange(head + content, method, timeouts.get("read"))
        except BaseException:
            connection.close()
            raise
        if reusable and len(idle) < self._kept_connections:
            idle.append(connection)
        else:
            connection.close()
        return Answer(
            status, {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in headers}, body
        )

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
            self._idle = {}
            return
        try:
            loop.call_soon_threadsafe(self._close_idle)
        except RuntimeError:  # closed meanwhile
            self._idle = {}

    def _close_idle(self) -> None:
        pools, self._idle = list(self._idle.values()), {}
        for idle in pools:
            while idle:
                idle.pop().close()


def _take_live(idle: "collections.deque[_LoopConnection]") -> "_LoopConnection | None":
    """An idle connection the server has not closed meanwhile (the others are closed and dropped)."""
    while idle:
        connection = idle.pop()  # the most recently used: the least likely to have timed out
        if connection.is_usable():
            return connection
        connection.close()
    return None


class _LoopConnection(asyncio.Protocol):
    """One connection to one origin, reading one answer at a time as its bytes come in."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        # A bytearray: a large answer comes in many pieces, and bytes would be copied whole at each.
        self._buffer = bytearray()
        self._closed = False
        self._waiter: asyncio.Future[_Exchange] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._method = ""
        # The answer's head once read: version, status, headers, and how its body ends ("length",
        # "chunked" or "close") with its length.
        self._head: tuple[bytes, int, list[tuple[bytes, bytes]]] | None = None
        self._body_ends = ""
        self._length = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def is_usable(self) -> bool:
        """False once the server closed its end (or sent something unasked): no request may go on it."""
        return (
            not self._closed and not self._buffer and self._transport is not None and not self._transport.is_closing()
        )

    def close(self) -> None:
        self._closed = True
        if self._transport is not None:
            self._transport.close()

    def exchange(self, message: bytes, method: str, read_timeout: float | None) -> "asyncio.Future[_Exchange]":
        """Write `message`; the future gets the answer's status, headers, body, and whether the
        connection may carry another request."""
        loop = asyncio.get_running_loop()
        self._waiter = waiter = loop.create_future()
        self._method, self._head = method, None
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
        self._buffer += data
        if self._waiter is not None and not self._waiter.done():
            try:
                self._advance()
            except httpx.TransportError as error:
                self._fail(error)

    def eof_received(self) -> bool:
        return False  # close: connection_lost ends a body that runs until the close

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._head is not None and self._body_ends == "close":
            _, status, headers = self._head
            self._finish((status, headers, bytes(self._buffer), False))
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

    def _finish(self, result: _Exchange) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._waiter.set_result(result)  # type: ignore[union-attr]  # _advance runs while one waits

    def _advance(self) -> None:
        """Read as much of the answer as has come in; finish it once whole."""
        while self._head is None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_HEAD_BYTES:
                    raise httpx.RemoteProtocolError("HeadTooLarge")
                return
            head = bytes(self._buffer[:end])
            del self._buffer[: end + 4]
            version, status, headers = _parse_head(head)
            if 100 <= status < 200:
                continue  # an interim answer (100 Continue) is followed by the real one
            self._head = (version, status, headers)
            self._body_ends, self._length = _body_ends(self._method, status, headers)
        version, status, headers = self._head
        if self._body_ends == "length":
            if len(self._buffer) < self._length:
                return
            content = bytes(self._buffer[: self._length])
            del self._buffer[: self._length]
        elif self._body_ends == "chunked":
            read = _read_chunks(self._buffer)
            if read is None:
                return
            content, end = read
            del self._buffer[:end]
        else:
            if len(self._buffer) > MAX_BODY_BYTES:
                raise httpx.RemoteProtocolError("BodyTooLarge")
            return  # the server ends it by closing (connection_lost)
        closing = any(name.lower() == b"connection" and b"close" in value.lower() for name, value in headers)
        self._finish((status, headers, content, version == b"HTTP/1.1" and not closing and not self._buffer))


def _parse_head(head: bytes) -> tuple[bytes, int, list[tuple[bytes, bytes]]]:
    status_line, *lines = head.split(b"\r\n")
    version, _, rest = status_line.partition(b" ")
    try:
        status = int(rest[:3])
    except ValueError:
        raise httpx.RemoteProtocolError("MalformedStatusLine") from None
    headers = []
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise httpx.RemoteProtocolError("MalformedHeader")
        headers.append((name, value.strip()))
    return version, status, headers


def _body_ends(method: str, status: int, headers: list[tuple[bytes, bytes]]) -> tuple[str, int]:
    """How the answer's body ends: after "length" bytes, after its last chunk, or at "close"."""
    if method == "HEAD" or status in (204, 304):
        return "length", 0
    length = None
    chunked = False
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"content-length":
            try:
                length = int(value)
            except ValueError:
                raise httpx.RemoteProtocolError("MalformedContentLength") from None
        elif lowered == b"transfer-encoding":
            chunked = value.lower().endswith(b"chunked")
    if chunked:
        return "chunked", 0
    if length is None:
        return "close", 0
    if length < 0:
        raise httpx.RemoteProtocolError("MalformedContentLength")
    if length > MAX_BODY_BYTES:
        raise httpx.RemoteProtocolError("BodyTooLarge")
    return "length", length


def _read_chunks(buffer: bytearray) -> tuple[bytes, int] | None:
    """A chunked body and where it ends in `buffer`, or None while it is not all in (looked over again
    from the start as bytes come, copying nothing until it is whole)."""
    parts: list[tuple[int, int]] = []
    received = 0
    at = 0
    while True:
        end = buffer.find(b"\r\n", at)
        if end < 0:
            return None
        try:
            size = int(buffer[at:end].split(b";", 1)[0], 16)
        except ValueError:
            raise httpx.RemoteProtocolError("MalformedChunk") from None
        received += size
        if received > MAX_BODY_BYTES:
            raise httpx.RemoteProtocolError("BodyTooLarge")
        at = end + 2
        if size == 0:
            # Trailers, if any, up to the empty line that ends the body.
            while True:
                end = buffer.find(b"\r\n", at)
                if end < 0:
                    return None
                if end == at:
                    return b"".join(buffer[start:stop] for start, stop in parts), at + 2
                at = end + 2
        if len(buffer) < at + size + 2:
            return None
        parts.append((at, at + size))
        at += size + 2

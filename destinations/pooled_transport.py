"""An httpx transport that speaks HTTP/1.1 itself over kept-alive sockets, for a client that threads
may share (a worker's deliveries go through destinations.loop_transport, on its sending loop).

It replaces urllib3's connection pool (and, under it, http.client), which replaced httpx's own
(httpcore), for the same reason each time: CPU per request. httpcore takes one lock for every request
and, holding it, asks the operating system about every idle connection it keeps. urllib3 and
http.client build a header dict, parse the answer's headers with the email package, and switch the
socket's blocking mode at every request; under `bench/pipeline.py --only many-keys` they were most of
the worker's CPU spent in the HTTP client. Here a request is written with one send and its answer
is usually read with one receive, and parsed with a few splits.

What it keeps: certificates verified as httpx verifies them (its default context, certifi), the
client's connect and read timeouts, at most `kept_connections` idle connections per origin (a burst
may open more; those are closed after use), a connection the server closed is never used again (looked
at before each reuse), redirects are never followed and nothing is retried here (the delivery's own
retry policy decides). Requests and answers stay httpx's, so the clients' code and the errors they
raise are unchanged; an error names its kind only, never the URL.
"""

import collections
import json
import select
import socket
import ssl
from dataclasses import dataclass
from typing import Any

import httpx

# Connections kept open per host: up to RELAY_SEND_CONCURRENCY (16) requests of each endpoint of a key
# are on the wire at once, and a key's endpoints share its client (destinations.loop_transport, which
# a worker's sending loop sends through, keeps as many). More may be opened under a burst; those are
# closed after use.
KEPT_CONNECTIONS = 64
# An answer's head larger than this is not an answer from an HTTP API.
MAX_HEAD_BYTES = 64 * 1024
# An answer's body larger than this is refused before it is read whole: a destination's API answers
# with a few hundred bytes, and one sending thread must not hold a misbehaving server's gigabytes.
MAX_BODY_BYTES = 8 * 1024 * 1024
_RECEIVE_BYTES = 16 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}


class PooledTransport(httpx.BaseTransport):
    def __init__(self, *, kept_connections: int = KEPT_CONNECTIONS, ssl_context: ssl.SSLContext | None = None) -> None:
        self._kept_connections = kept_connections
        # The certificates httpx itself trusts (certifi), so switching transport trusts no one new.
        self._ssl_context = ssl_context or httpx.create_ssl_context()
        # Idle connections per origin. A deque's append and pop are atomic: no lock on the way of
        # every request. A client speaks to one origin; the dict stays small.
        self._idle: dict[tuple[str, str, int], collections.deque[_Connection]] = {}

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """The context its connections are verified with (destinations.loop_transport uses the same)."""
        return self._ssl_context

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"Unsupported URL scheme {url.scheme!r}.")
        origin = (url.scheme, url.host, url.port or _DEFAULT_PORTS[url.scheme])
        timeouts = request.extensions.get("timeout", {})
        for name, value in request.headers.raw:
            # A line break or NUL would end the header and start one the value made up.
            if any(character in name + value for character in (b"\r", b"\n", b"\0")):
                raise httpx.LocalProtocolError("IllegalHeader", request=request)
        message = b"".join(
            [
                request.method.encode("ascii"),
                b" ",
                url.raw_path,
                b" HTTP/1.1\r\n",
                *(name + b": " + value + b"\r\n" for name, value in request.headers.raw),
                b"\r\n",
                request.read(),
            ]
        )
        status, headers, content = self._exchange(origin, message, request.method, timeouts, request)
        return httpx.Response(
            status, headers=headers, content=content, request=request, extensions={"http_version": b"HTTP/1.1"}
        )

    def send_prepared(
        self, origin: tuple[str, str, int], method: str, head: bytes, content: bytes, timeouts: dict[str, Any]
    ) -> "Answer":
        """Send a request whose request line and headers (`head`, ending with the blank line) the caller
        wrote once, without building httpx's Request and Response: for a client sending thousands of
        alike requests a second (destinations.attentive.client). Raises httpx's errors, as
        handle_request does."""
        if origin[0] not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"Unsupported URL scheme {origin[0]!r}.")
        status, headers, body = self._exchange(origin, head + content, method, timeouts, None)
        return Answer(
            status, {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in headers}, body
        )

    def _exchange(
        self,
        origin: tuple[str, str, int],
        message: bytes,
        method: str,
        timeouts: dict[str, Any],
        request: httpx.Request | None,
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        idle = self._idle.get(origin)
        if idle is None:
            idle = self._idle.setdefault(origin, collections.deque())
        connection = _take_live(idle)
        if connection is None:
            connection = _Connection.open(origin, timeouts, self._ssl_context, request)
        try:
            status, headers, content, reusable = connection.exchange(message, method, request)
        except BaseException:
            connection.close()
            raise
        if reusable and len(idle) < self._kept_connections:
            idle.append(connection)
        else:
            connection.close()
        return status, headers, content

    def close(self) -> None:
        pools, self._idle = list(self._idle.values()), {}
        for idle in pools:
            while idle:
                idle.pop().close()


def _take_live(idle: "collections.deque[_Connection]") -> "_Connection | None":
    """An idle connection the server has not closed meanwhile (the others are closed and dropped)."""
    while True:
        try:
            connection = idle.pop()  # the most recently used: the least likely to have timed out
        except IndexError:
            return None
        if connection.is_usable():
            return connection
        connection.close()


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer as it came off the wire, for send_prepared: its header names in lower case (a
    repeated header's values joined by commas would be lost; the last one is kept)."""

    status_code: int
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class _Connection:
    """One socket to one origin, and what was received on it past the last answer (nothing, from a
    server that answers one request at a time)."""

    __slots__ = ("_buffer", "_poll", "_socket")

    def __init__(self, sock: socket.socket) -> None:
        self._socket = sock
        self._buffer = b""
        self._poll = select.poll()
        self._poll.register(sock.fileno(), select.POLLIN)

    @classmethod
    def open(
        cls,
        origin: tuple[str, str, int],
        timeouts: dict[str, Any],
        ssl_context: ssl.SSLContext,
        request: httpx.Request | None,
    ) -> "_Connection":
        scheme, host, port = origin
        try:
            sock = socket.create_connection((host, port), timeout=timeouts.get("connect"))
        except TimeoutError as error:
            raise httpx.ConnectTimeout(type(error).__name__, request=request) from None
        except OSError as error:
            raise httpx.ConnectError(type(error).__name__, request=request) from None
        try:
            # A request is written at once and waits for its answer: Nagle's delay would only add latency.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                sock = ssl_context.wrap_socket(sock, server_hostname=host)
            sock.settimeout(timeouts.get("read"))
        except TimeoutError as error:
            sock.close()
            raise httpx.ConnectTimeout(type(error).__name__, request=request) from None
        except OSError as error:  # ssl.SSLError (an untrusted certificate) is one
            sock.close()
            raise httpx.ConnectError(type(error).__name__, request=request) from None
        return cls(sock)

    def is_usable(self) -> bool:
        """False once the server closed its end (or sent something unasked): no request may go on it."""
        return not self._buffer and not self._poll.poll(0)

    def close(self) -> None:
        self._socket.close()

    def exchange(
        self, message: bytes, method: str, request: httpx.Request | None
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes, bool]:
        """Send `message` and read its answer: status, headers, body, and whether the connection may
        carry another request."""
        try:
            self._socket.sendall(message)
        except TimeoutError:
            raise httpx.WriteTimeout("WriteTimeout", request=request) from None
        except OSError as error:
            raise httpx.WriteError(type(error).__name__, request=request) from None
        try:
            while True:
                version, status, headers = self._read_head(request)
                if not 100 <= status < 200:
                    break  # an interim answer (100 Continue) is followed by the real one
            content, complete = self._read_body(method, status, headers, request)
        except TimeoutError:
            raise httpx.ReadTimeout("ReadTimeout", request=request) from None
        except OSError as error:
            raise httpx.ReadError(type(error).__name__, request=request) from None
        closing = any(name.lower() == b"connection" and b"close" in value.lower() for name, value in headers)
        return status, headers, content, complete and version == b"HTTP/1.1" and not closing and not self._buffer

    def _receive(self, request: httpx.Request | None) -> bytes:
        data = self._socket.recv(_RECEIVE_BYTES)
        if not data:
            raise httpx.RemoteProtocolError("ServerDisconnected", request=request)
        return data

    def _read_head(self, request: httpx.Request | None) -> tuple[bytes, int, list[tuple[bytes, bytes]]]:
        buffer = self._buffer
        while (end := buffer.find(b"\r\n\r\n")) < 0:
            if len(buffer) > MAX_HEAD_BYTES:
                raise httpx.RemoteProtocolError("HeadTooLarge", request=request)
            buffer += self._receive(request)
        head, self._buffer = buffer[:end], buffer[end + 4 :]
        status_line, *lines = head.split(b"\r\n")
        version, _, rest = status_line.partition(b" ")
        try:
            status = int(rest[:3])
        except ValueError:
            raise httpx.RemoteProtocolError("MalformedStatusLine", request=request) from None
        headers = []
        for line in lines:
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip():
                raise httpx.RemoteProtocolError("MalformedHeader", request=request)
            headers.append((name, value.strip()))
        return version, status, headers

    def _read_body(
        self, method: str, status: int, headers: list[tuple[bytes, bytes]], request: httpx.Request | None
    ) -> tuple[bytes, bool]:
        """The answer's body, and whether its end was known (else the server ends it by closing)."""
        if method == "HEAD" or status in (204, 304):
            return b"", True
        length = chunked = None
        for name, value in headers:
            lowered = name.lower()
            if lowered == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    raise httpx.RemoteProtocolError("MalformedContentLength", request=request) from None
            elif lowered == b"transfer-encoding":
                chunked = value.lower().endswith(b"chunked")
        if chunked:
            return self._read_chunks(request), True
        if length is not None:
            if length < 0:
                raise httpx.RemoteProtocolError("MalformedContentLength", request=request)
            if length > MAX_BODY_BYTES:
                raise httpx.RemoteProtocolError("BodyTooLarge", request=request)
            while len(self._buffer) < length:
                self._buffer += self._receive(request)
            content, self._buffer = self._buffer[:length], self._buffer[length:]
            return content, True
        # Neither: the body runs until the server closes the connection.
        parts = [self._buffer]
        received = len(self._buffer)
        while data := self._socket.recv(_RECEIVE_BYTES):
            parts.append(data)
            received += len(data)
            if received > MAX_BODY_BYTES:
                raise httpx.RemoteProtocolError("BodyTooLarge", request=request)
        self._buffer = b""
        return b"".join(parts), False

    def _read_chunks(self, request: httpx.Request | None) -> bytes:
        parts = []
        received = 0
        while True:
            while (end := self._buffer.find(b"\r\n")) < 0:
                self._buffer += self._receive(request)
            size_line, self._buffer = self._buffer[:end], self._buffer[end + 2 :]
            try:
                size = int(size_line.split(b";", 1)[0], 16)
            except ValueError:
                raise httpx.RemoteProtocolError("MalformedChunk", request=request) from None
            received += size
            if received > MAX_BODY_BYTES:
                raise httpx.RemoteProtocolError("BodyTooLarge", request=request)
            if size == 0:
                # Trailers, if any, up to the empty line that ends the body.
                while (end := self._buffer.find(b"\r\n")) != 0:
                    if end > 0:
                        self._buffer = self._buffer[end + 2 :]
                    else:
                        self._buffer += self._receive(request)
                self._buffer = self._buffer[2:]
                return b"".join(parts)
            while len(self._buffer) < size + 2:
                self._buffer += self._receive(request)
            parts.append(self._buffer[:size])
            self._buffer = self._buffer[size + 2 :]

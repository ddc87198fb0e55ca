"""An httpx transport that speaks HTTP/1.1 itself over kept-alive sockets, for a client that threads
may share (a worker's deliveries go through destinations.loop_transport, on its sending loop).

It replaces urllib3's connection pool (and, under it, http.client), which replaced httpx's own
(httpcore), for the same reason each time: CPU per request. httpcore takes one lock for every request
and, holding it, asks the operating system about every idle connection it keeps. urllib3 and
http.client build a header dict, parse the answer's headers with the email package, and switch the
socket's blocking mode at every request; under `bench/pipeline.py --only many-keys` they were most of
the worker's CPU spent in the HTTP client. Here a request is written with one send and its answer
is usually read with one receive, and parsed with a few splits (destinations.http11, which the
sending loop's transport reads its answers with too).

What it keeps: certificates verified as httpx verifies them (its default context, certifi), the
client's connect and read timeouts, at most `kept_connections` idle connections per origin (a burst
may open more; those are closed after use), a connection the server closed is never used again (looked
at before each reuse), redirects are never followed and nothing is retried here (the delivery's own
retry policy decides). Requests and answers stay httpx's, so the clients' code and the errors they
raise are unchanged; an error names its kind only, never the URL.
"""

import functools
import select
import socket
import ssl
from typing import Any

import httpx

from destinations.http11 import DEFAULT_PORTS, Answer, AnswerReader, Exchange, IdleConnections, Origin, check_scheme

# Connections kept open per host: up to RELAY_SEND_CONCURRENCY (16) requests of each endpoint of a key
# are on the wire at once, and a key's endpoints share its client (destinations.loop_transport, which
# a worker's sending loop sends through, keeps as many). More may be opened under a burst; those are
# closed after use.
KEPT_CONNECTIONS = 64
_RECEIVE_BYTES = 16 * 1024


@functools.cache
def trusted_ssl_context() -> ssl.SSLContext:
    """The certificates httpx itself trusts (certifi), so switching transport trusts no one new.

    One per process, shared by every client: a context holds its own copy of the certificates
    (0.9 MB, 18 ms of CPU to load), and a worker keeps a client per API key (ten keys were 9 MB
    of the same certificates). Nothing changes it once made; wrapping sockets with it is thread-safe."""
    return httpx.create_ssl_context()


class PooledTransport(httpx.BaseTransport):
    def __init__(self, *, kept_connections: int = KEPT_CONNECTIONS, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl_context = ssl_context or trusted_ssl_context()
        # A client speaks to one origin: the pool stays small.
        self._idle: IdleConnections[_Connection] = IdleConnections(kept_connections)

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """The context its connections are verified with (destinations.loop_transport uses the same)."""
        return self._ssl_context

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        check_scheme(url.scheme)
        origin = (url.scheme, url.host, url.port or DEFAULT_PORTS[url.scheme])
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
        self, origin: Origin, method: str, head: bytes, content: bytes, timeouts: dict[str, Any]
    ) -> Answer:
        """Send a request whose request line and headers (`head`, ending with the blank line) the caller
        wrote once, without building httpx's Request and Response: for a client sending thousands of
        alike requests a second (destinations.attentive.client). Raises httpx's errors, as
        handle_request does."""
        check_scheme(origin[0])
        return Answer.of(*self._exchange(origin, head + content, method, timeouts, None))

    def _exchange(
        self, origin: Origin, message: bytes, method: str, timeouts: dict[str, Any], request: httpx.Request | None
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        connection = self._idle.take(origin)
        if connection is None:
            connection = _Connection.open(origin, timeouts, self._ssl_context, request)
        try:
            status, headers, content, reusable = connection.exchange(message, method, request)
        except BaseException:
            connection.close()
            raise
        self._idle.give_back(origin, connection, reusable)
        return status, headers, content

    def close(self) -> None:
        self._idle.close_all()


class _Connection:
    """One socket to one origin, and the reader of its answers."""

    __slots__ = ("_poll", "_reader", "_socket")

    def __init__(self, sock: socket.socket) -> None:
        self._socket = sock
        self._reader = AnswerReader()
        self._poll = select.poll()
        self._poll.register(sock.fileno(), select.POLLIN)

    @classmethod
    def open(
        cls, origin: Origin, timeouts: dict[str, Any], ssl_context: ssl.SSLContext, request: httpx.Request | None
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
        return not self._reader.unread and not self._poll.poll(0)

    def close(self) -> None:
        self._socket.close()

    def exchange(self, message: bytes, method: str, request: httpx.Request | None) -> Exchange:
        """Send `message` and read its answer: status, headers, body, and whether the connection may
        carry another request."""
        try:
            self._socket.sendall(message)
        except TimeoutError:
            raise httpx.WriteTimeout("WriteTimeout", request=request) from None
        except OSError as error:
            raise httpx.WriteError(type(error).__name__, request=request) from None
        reader = self._reader
        reader.expect(method)
        try:
            while True:
                data = self._socket.recv(_RECEIVE_BYTES)
                answer = reader.feed(data) if data else reader.closed()
                if answer is not None:
                    return answer
                if not data:
                    raise httpx.RemoteProtocolError("ServerDisconnected")
        except TimeoutError:
            raise httpx.ReadTimeout("ReadTimeout", request=request) from None
        except httpx.RemoteProtocolError as error:
            if request is not None:
                error.request = request
            raise
        except OSError as error:
            raise httpx.ReadError(type(error).__name__, request=request) from None

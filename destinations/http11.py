"""HTTP/1.1 answers as both of Relay's transports read them: destinations.pooled_transport (blocking
sockets, for every caller but a worker's sending loop) and destinations.loop_transport (the loop's
non-blocking connections). Neither reads an answer itself: each hands what its socket received to an
AnswerReader, which knows nothing of sockets, and keeps its idle connections in IdleConnections.

What the reader holds both to: an answer's head larger than MAX_HEAD_BYTES, or a body larger than
MAX_BODY_BYTES (Content-Length, chunked or read to the close), is refused before it is read whole;
interim answers (100 Continue) are passed over; an answer says whether its connection may carry
another request (HTTP/1.1, no `Connection: close`, its end known, nothing received past it); an idle
connection the server closed or sent bytes to unasked is never used again (IdleConnections.take).
Errors are httpx's and name their kind only, never the URL.
"""

import collections
import json
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

# An answer's head larger than this is not an answer from an HTTP API.
MAX_HEAD_BYTES = 64 * 1024
# An answer's body larger than this is refused before it is read whole: a destination's API answers
# with a few hundred bytes, and a sender must not hold a misbehaving server's gigabytes.
MAX_BODY_BYTES = 8 * 1024 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}

type Headers = list[tuple[bytes, bytes]]
# An answer read whole: status, headers, body, and whether its connection may carry another request.
type Exchange = tuple[int, Headers, bytes, bool]
type Origin = tuple[str, str, int]


def check_scheme(scheme: str) -> None:
    if scheme not in DEFAULT_PORTS:
        raise httpx.UnsupportedProtocol(f"Unsupported URL scheme {scheme!r}.")


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer as it came off the wire, for a prepared request: its header names in lower case (a
    repeated header's values joined by commas would be lost; the last one is kept)."""

    status_code: int
    headers: dict[str, str]
    content: bytes

    @classmethod
    def of(cls, status: int, headers: Headers, content: bytes) -> "Answer":
        return cls(
            status, {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in headers}, content
        )

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class AnswerReader:
    """Reads the answers of one connection, one request at a time, from the bytes as they come in.

    `expect(method)` once the request is written, then `feed(data)` with each piece received until it
    returns the answer; `closed()` when the server closed the connection instead.
    """

    __slots__ = ("_buffer", "_ends", "_head", "_length", "_method")

    def __init__(self) -> None:
        # A bytearray: a large answer comes in many pieces, and bytes would be copied whole at each.
        self._buffer = bytearray()
        self._method = ""
        # The answer's head once read (version, status, headers), and how its body ends ("length",
        # "chunked" or "close") with its length.
        self._head: tuple[bytes, int, Headers] | None = None
        self._ends = ""
        self._length = 0

    @property
    def unread(self) -> bool:
        """Whether bytes came that no answer read (from an idle connection: sent unasked)."""
        return bool(self._buffer)

    def expect(self, method: str) -> None:
        """A request of `method` was written: what comes next is its answer."""
        self._method, self._head = method, None

    def feed(self, data: bytes) -> Exchange | None:
        """The answer, once `data` completes it; None while more is to come."""
        self._buffer += data
        return self._advance()

    def closed(self) -> Exchange | None:
        """The answer whose body ran to the server's close, or None: the server closed before its end."""
        if self._head is None or self._ends != "close":
            return None
        _, status, headers = self._head
        content = bytes(self._buffer)
        self._buffer.clear()
        return status, headers, content, False

    def _advance(self) -> Exchange | None:
        buffer = self._buffer
        while self._head is None:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > MAX_HEAD_BYTES:
                    raise httpx.RemoteProtocolError("HeadTooLarge")
                return None
            head = bytes(buffer[:end])
            del buffer[: end + 4]
            version, status, headers = parse_head(head)
            if 100 <= status < 200:
                continue  # an interim answer (100 Continue) is followed by the real one
            self._head = (version, status, headers)
            self._ends, self._length = body_ends(self._method, status, headers)
        version, status, headers = self._head
        if self._ends == "length":
            if len(buffer) < self._length:
                return None
            content = bytes(buffer[: self._length])
            del buffer[: self._length]
        elif self._ends == "chunked":
            read = read_chunks(buffer)
            if read is None:
                return None
            content, end = read
            del buffer[:end]
        else:
            if len(buffer) > MAX_BODY_BYTES:
                raise httpx.RemoteProtocolError("BodyTooLarge")
            return None  # the server ends it by closing: closed()
        self._head = None
        closing = any(name.lower() == b"connection" and b"close" in value.lower() for name, value in headers)
        return status, headers, content, version == b"HTTP/1.1" and not closing and not buffer


def parse_head(head: bytes) -> tuple[bytes, int, Headers]:
    """An answer's version, status and headers, from its head without the blank line that ends it."""
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


def body_ends(method: str, status: int, headers: Headers) -> tuple[str, int]:
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


def read_chunks(buffer: bytearray) -> tuple[bytes, int] | None:
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


class Connection(Protocol):
    def is_usable(self) -> bool:
        """False once the server closed its end or sent something unasked."""

    def close(self) -> None: ...


class IdleConnections[C: Connection]:
    """The idle connections of a pool, per origin: at most `kept` each, the most recently used first.

    A deque's append and pop are atomic: threads share it with no lock on the way of every request."""

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self._by_origin: dict[Origin, collections.deque[C]] = {}

    def take(self, origin: Origin) -> C | None:
        """An idle connection the server has not closed meanwhile (the others are closed and dropped)."""
        idle = self._by_origin.get(origin)
        while idle:
            try:
                connection = idle.pop()  # the most recently used: the least likely to have timed out
            except IndexError:  # another thread took the last one meanwhile
                return None
            if connection.is_usable():
                return connection
            connection.close()
        return None

    def to(self, origin: Origin) -> tuple[C, ...]:
        """The idle connections to `origin` now, the most recently used last."""
        return tuple(self._by_origin.get(origin, ()))

    def give_back(self, origin: Origin, connection: C, reusable: bool) -> None:
        """Keep `connection` for the next request to `origin` if it may carry one and room is left; else close it."""
        idle = self._by_origin.get(origin)
        if idle is None:
            idle = self._by_origin.setdefault(origin, collections.deque())
        if reusable and len(idle) < self.kept:
            idle.append(connection)
        else:
            connection.close()

    def close_all(self) -> None:
        """Close every idle connection, and forget them."""
        pools, self._by_origin = list(self._by_origin.values()), {}
        for idle in pools:
            while idle:
                idle.pop().close()

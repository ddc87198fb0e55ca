"""The web server: waitress, refusing over-long requests readably before Django (and its logging) sees them.

Waitress alone answers a request whose line and headers pass `max_request_header_size` with 431, then
closes the socket while the rest of the request is still arriving: the kernel answers those bytes with
a reset, which can destroy the answer before the client reads it (it sees "connection reset"). Here a
request line that long is a 414 (the address is what is too long), other headers stay a 431, and the
connection is closed gracefully: our side is shut for writing (the client reads the answer, then the
end of it) and what the client still sends is read and dropped for a short while, as Apache's
lingering close does.
"""

import socket
import time
from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer, create_server
from waitress.utilities import BadRequest, RequestHeaderFieldsTooLarge

# The request line and headers together: browsers and API clients send a few KB.
MAX_REQUEST_HEADER_BYTES = 32 * 1024
# How long, and how much, a refused client may go on sending before its connection is closed.
LINGER_SECONDS = 5.0
LINGER_BYTES = 16 * 1024 * 1024


class URITooLong(BadRequest):
    code = 414
    reason = "URI Too Long"


class RequestParser(HTTPRequestParser):
    """Waitress's parser, telling an over-long request line (414) from over-long headers (431)."""

    def received(self, data: bytes) -> int:
        before = self.header_plus
        consumed = super().received(data)
        if isinstance(self.error, RequestHeaderFieldsTooLarge):
            limit = self.adj.max_request_header_size
            line_end = (before + data).find(b"\n")
            if line_end < 0 or line_end >= limit:
                self.error = URITooLong(f"The request line is longer than {limit} bytes.")
            else:
                self.error = RequestHeaderFieldsTooLarge(f"The headers are longer than {limit} bytes.")
        return consumed


class LingeringChannel(HTTPChannel):
    """Waitress's connection, closed gracefully when the server ends it (see the module's docstring).

    Only its closing differs: the loop asks every connection whether it is readable and writable at
    every turn, so those stay waitress's own until the connection starts lingering, when it becomes a
    _LingeringChannel (an override here, however cheap, was paid by every connection at every turn).
    """

    parser_class = RequestParser

    def handle_close(self) -> None:
        if self.will_close and self.connected:
            try:
                self.socket.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            else:
                self.__class__ = _LingeringChannel
                self.will_close = False
                self.linger_deadline = time.monotonic() + LINGER_SECONDS
                self.linger_left = LINGER_BYTES
                return
        super().handle_close()


class _LingeringChannel(LingeringChannel):
    """A connection whose answer is sent and whose writing side is shut: what the client still sends is
    read and dropped until it stops, sends too much, or takes too long."""

    linger_deadline: float
    linger_left: int

    def handle_close(self) -> None:
        HTTPChannel.handle_close(self)

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        # There is nothing to write; the idle sweep may still ask for a close.
        return self.will_close

    def handle_write(self) -> None:
        if self.will_close:
            HTTPChannel.handle_close(self)

    def handle_read(self) -> None:
        try:
            data = self.recv(self.adj.recv_bytes)  # the end of input closes the channel (handle_close)
        except OSError:
            HTTPChannel.handle_close(self)
            return
        self.linger_left -= len(data)
        if data and (self.linger_left <= 0 or time.monotonic() > self.linger_deadline):
            HTTPChannel.handle_close(self)


def create(application: Any, **adjustments: Any) -> Any:
    """A waitress server for `application` (as waitress.create_server) whose connections are ours.

    Its listening sockets are in `server.listening`: another process given them (`sockets=[...]`)
    serves the same port, each connection accepted by whichever process takes it first."""
    sockets: dict[int, Any] = {}
    adjustments.setdefault("max_request_header_size", MAX_REQUEST_HEADER_BYTES)
    server = create_server(application, map=sockets, **adjustments)
    server.listening = []
    # One listening server per address (localhost may be two); each makes its connections of this class.
    for dispatcher in list(sockets.values()):
        if isinstance(dispatcher, BaseWSGIServer):
            dispatcher.channel_class = LingeringChannel
            server.listening.append(dispatcher.socket)
    return server

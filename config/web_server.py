"""The web server: waitress, refusing over-long requests readably before Django (and its logging) sees them.

Waitress alone answers a request whose line and headers pass `max_request_header_size` with 431, then
closes the socket while the rest of the request is still arriving: the kernel answers those bytes with
a reset, which can destroy the answer before the client reads it (it sees "connection reset"). Here a
request line that long is a 414 (the address is what is too long), other headers stay a 431, and the
connection is closed gracefully: our side is shut for writing (the client reads the answer, then the
end of it) and what the client still sends is read and dropped for a short while, as Apache's
lingering close does.
"""

import math
import mmap
import os
import socket
import struct
import threading
import time
from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer, create_server
from waitress.task import WSGITask
from waitress.utilities import BadRequest, RequestHeaderFieldsTooLarge

# The request line and headers together: browsers and API clients send a few KB.
MAX_REQUEST_HEADER_BYTES = 32 * 1024
# A web process whose loop has not turned for this long (dead, hung) takes no share of the connections:
# an idle loop turns every second (waitress's asyncore_loop_timeout).
STALE_SECONDS = 3.0
# A web process over its share hands one connection over to the others at most this often: the client
# reconnects in a moment, and until the others' counts show it, a second hand-over could overshoot.
HAND_OVER_SECONDS = 0.25
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


class SharingTask(WSGITask):
    """Waitress's request, whose answer closes its connection when this web process holds more than
    its share of the connections (ConnectionShares.should_hand_over): the client reconnects, and the
    new connection goes to a process under its share."""

    def build_response_header(self) -> bytes:
        shares = self.channel.server.connection_shares
        # Not while the client has more requests queued on it (pipelined): closing drops them unanswered.
        pipelined = len(self.channel.requests) > 1
        if shares is not None and not self.close_on_finish and not pipelined and shares.should_hand_over():
            self.set_close_on_finish()
        return super().build_response_header()


class LingeringChannel(HTTPChannel):
    """Waitress's connection, closed gracefully when the server ends it (see the module's docstring).

    Only its closing differs: the loop asks every connection whether it is readable and writable at
    every turn, so those stay waitress's own until the connection starts lingering, when it becomes a
    _LingeringChannel (an override here, however cheap, was paid by every connection at every turn).
    """

    parser_class = RequestParser
    task_class = SharingTask

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


class ConnectionShares:
    """The open connections of each web process serving one listening socket, in a file each maps: a
    process accepts a new connection only while it holds fewer than its share.

    Every process waiting on a shared socket is woken by a new connection and the first to call
    accept() gets it; a client that opens its connections at once (a proxy's pool, a load generator)
    found one process holding 15 of 16 of them, kept alive, while the other idled. Here each process
    writes its count and the time of its loop's turn to its slot at every turn, and a process
    holding its share or more leaves the socket to the others. A process whose loop stopped turning
    (dead, hung) counts for nothing, so the others take its share.

    The counts a process reads are the others' at their last turn: connections opened in the moment
    another process is still closing its old ones (a client that ends one pool and opens the next)
    all went to one process, which then kept them for as long as the client did. So a process
    found over its share later hands connections over: the answer of a request closes its
    connection (`Connection: close`), and the client's new one goes to a process under its share.
    """

    SLOT = struct.Struct("<qd")  # open connections, time.monotonic() of the loop's last turn

    def __init__(self, path: str, slot: int, processes: int) -> None:
        self._slot = slot
        size = processes * self.SLOT.size
        file = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(file).st_size < size:
                os.ftruncate(file, size)
            self._table = mmap.mmap(file, size)
        finally:
            os.close(file)
        self._processes = processes
        self._hand_over_lock = threading.Lock()
        self._handed_over_at = -math.inf

    def last_turn(self, slot: int) -> float:
        """time.monotonic() (the same clock in every process) of the last turn of `slot`'s loop."""
        return self.SLOT.unpack_from(self._table, slot * self.SLOT.size)[1]

    def may_accept(self, open_connections: int, now: float | None = None) -> bool:
        """Whether this process, holding `open_connections`, takes the next one (asked by its loop at
        every turn, which writes the count and the turn's time to its slot)."""
        now = time.monotonic() if now is None else now
        self.SLOT.pack_into(self._table, self._slot * self.SLOT.size, open_connections, now)
        others = self._others_live(now)
        # Its share once the next connection is in: the new one goes to a process under it.
        return open_connections < math.ceil((sum(others) + open_connections + 1) / (len(others) + 1))

    def should_hand_over(self, now: float | None = None) -> bool:
        """Whether the answer this process is about to send should close its connection: it holds
        more than its share (by its count at its loop's last turn) while another process is live.
        Once every HAND_OVER_SECONDS at most, so that the counts show the last hand-over first."""
        now = time.monotonic() if now is None else now
        others = self._others_live(now)
        if not others:
            return False
        held = self.SLOT.unpack_from(self._table, self._slot * self.SLOT.size)[0]
        if held <= math.ceil((sum(others) + held) / (len(others) + 1)):
            return False
        with self._hand_over_lock:  # request threads answer at once
            if now - self._handed_over_at < HAND_OVER_SECONDS:
                return False
            self._handed_over_at = now
        return True

    def _others_live(self, now: float) -> list[int]:
        """The open connections of every other process whose loop turned in the last STALE_SECONDS."""
        return [
            count
            for slot, (count, turned) in enumerate(
                self.SLOT.iter_unpack(self._table[: self._processes * self.SLOT.size])
            )
            if slot != self._slot and now - turned < STALE_SECONDS
        ]


def create(application: Any, shares: ConnectionShares | None = None, **adjustments: Any) -> Any:
    """A waitress server for `application` (as waitress.create_server) whose connections are ours.

    Its listening sockets are in `server.listening`: another process given them (`sockets=[...]`)
    serves the same port, each connection accepted by one of them; with `shares`, by one holding
    fewer than its share."""
    sockets: dict[int, Any] = {}
    adjustments.setdefault("max_request_header_size", MAX_REQUEST_HEADER_BYTES)
    server = create_server(application, map=sockets, **adjustments)
    server.listening = []
    # One listening server per address (localhost may be two); each makes its connections of this class.
    for dispatcher in list(sockets.values()):
        if isinstance(dispatcher, BaseWSGIServer):
            dispatcher.channel_class = LingeringChannel
            dispatcher.connection_shares = shares
            server.listening.append(dispatcher.socket)
            if shares is not None:
                dispatcher.readable = _sharing(dispatcher, shares)
    return server


def open_connections(dispatcher: BaseWSGIServer) -> int:
    """The connections a client may still send requests on, which the shares are of: a lingering one
    (its answer sent, its writing side shut, draining what the client still sends) is not one."""
    return sum(type(channel) is not _LingeringChannel for channel in dispatcher.active_channels.values())


def _sharing(dispatcher: BaseWSGIServer, shares: ConnectionShares) -> Any:
    """The listening server's readable() (asked at every turn of the loop), also asking for its share."""
    readable = dispatcher.readable

    def readable_within_share() -> bool:
        # The turn is written at every turn, even at waitress's connection limit: a process whose
        # loop turns is alive, and serve replaces one whose loop has stopped.
        within = shares.may_accept(open_connections(dispatcher))
        return readable() and within

    return readable_within_share

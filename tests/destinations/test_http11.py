"""How both transports read an answer and keep their idle connections (destinations.http11), without a socket."""

import httpx
import pytest

from destinations.http11 import MAX_BODY_BYTES, MAX_HEAD_BYTES, Answer, AnswerReader, IdleConnections


def _read(*pieces: bytes, method: str = "POST") -> tuple[AnswerReader, list]:
    """What the reader answered after each piece."""
    reader = AnswerReader()
    reader.expect(method)
    return reader, [reader.feed(piece) for piece in pieces]


def test_a_content_length_answer_in_pieces_is_read_once_whole_and_its_connection_may_carry_another():
    reader, answers = _read(b"HTTP/1.1 202 Accepted\r\nContent-Le", b'ngth: 7\r\nX-A:  b \r\n\r\n{"a"', b":1}")
    assert answers[:2] == [None, None]
    assert answers[2] == (202, [(b"Content-Length", b"7"), (b"X-A", b"b")], b'{"a":1}', True)
    assert not reader.unread


def test_a_chunked_answer_in_pieces_is_read_whole_past_its_trailers():
    _, answers = _read(
        b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n{"in": \r\n',
        b'8;ext=1\r\n"parts"}\r\n0\r\nTrailer: x\r\n',
        b"\r\n",
    )
    assert answers[:2] == [None, None]
    assert answers[2] == (200, [(b"Transfer-Encoding", b"chunked")], b'{"in": "parts"}', True)


def test_an_interim_answer_is_passed_over_for_the_real_one():
    _, answers = _read(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}")
    assert answers == [(201, [(b"Content-Length", b"2")], b"{}", True)]


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n",
    ],
)
def test_an_answer_that_closes_or_is_not_http_1_1_says_its_connection_may_carry_no_other(head):
    _, answers = _read(head + b"{}")
    assert answers[0][3] is False


def test_bytes_past_the_answer_say_its_connection_may_carry_no_other_and_stay_unread():
    reader, answers = _read(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}unasked")
    assert answers[0][2:] == (b"{}", False)
    assert reader.unread


def test_a_body_that_runs_to_the_close_is_the_answer_once_the_server_closes():
    reader, answers = _read(b'HTTP/1.1 200 OK\r\n\r\n{"a"', b":1}")
    assert answers == [None, None]
    assert reader.closed() == (200, [], b'{"a":1}', False)


@pytest.mark.parametrize(
    "received", [b"", b"HTTP/1.1 200 OK\r\nContent-Le", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{}"]
)
def test_a_close_before_the_answers_end_is_no_answer(received):
    reader, _ = _read(received)
    assert reader.closed() is None


def test_a_head_or_no_content_answer_has_no_body():
    _, answers = _read(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", method="HEAD")
    assert answers == [(200, [(b"Content-Length", b"9")], b"", True)]
    _, answers = _read(b"HTTP/1.1 204 No Content\r\n\r\n")
    assert answers == [(204, [], b"", True)]


def test_a_head_larger_than_the_head_limit_is_refused():
    reader = AnswerReader()
    reader.expect("POST")
    assert reader.feed(b"HTTP/1.1 200 OK\r\n") is None
    with pytest.raises(httpx.RemoteProtocolError, match="HeadTooLarge"):
        reader.feed(b"X-Big: " + b"x" * MAX_HEAD_BYTES)


@pytest.mark.parametrize(
    "pieces",
    [
        [b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY_BYTES + 1)],
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" % (MAX_BODY_BYTES + 1)],
        [b"HTTP/1.1 200 OK\r\n\r\n", b"x" * MAX_BODY_BYTES, b"x"],
    ],
    ids=["content-length", "chunked", "to-the-close"],
)
def test_a_body_larger_than_the_body_limit_is_refused_before_it_is_read_whole(pieces):
    reader = AnswerReader()
    reader.expect("POST")
    for piece in pieces[:-1]:
        assert reader.feed(piece) is None
    with pytest.raises(httpx.RemoteProtocolError, match="BodyTooLarge"):
        reader.feed(pieces[-1])


@pytest.mark.parametrize(
    ("received", "kind"),
    [
        (b"HTTP/1.1 abc\r\n\r\n", "MalformedStatusLine"),
        (b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "MalformedHeader"),
        (b"HTTP/1.1 200 OK\r\n Folded: x\r\n\r\n", "MalformedHeader"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "MalformedContentLength"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "MalformedContentLength"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "MalformedChunk"),
    ],
)
def test_a_malformed_answer_is_a_protocol_error_naming_its_kind(received, kind):
    reader = AnswerReader()
    reader.expect("POST")
    with pytest.raises(httpx.RemoteProtocolError, match=f"^{kind}$"):
        reader.feed(received)


def test_a_reader_reads_the_next_answer_after_the_last_one():
    reader, _ = _read(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
    reader.expect("POST")
    assert reader.feed(b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n") == (
        503,
        [(b"Content-Length", b"0")],
        b"",
        True,
    )


def test_an_answer_names_its_headers_in_lower_case():
    answer = Answer.of(200, [(b"X-RateLimit-Limit", b"150")], b'{"a": 1}')
    assert answer.headers == {"x-ratelimit-limit": "150"}
    assert answer.json() == {"a": 1}


class _Connection:
    def __init__(self, usable: bool = True) -> None:
        self.usable = usable
        self.closed = False

    def is_usable(self) -> bool:
        return self.usable

    def close(self) -> None:
        self.closed = True


ORIGIN = ("https", "api.example", 443)


def test_an_idle_connection_the_server_closed_or_wrote_to_is_closed_and_never_taken():
    idle = IdleConnections(kept=4)
    live, dead = _Connection(), _Connection()
    idle.give_back(ORIGIN, live, reusable=True)
    idle.give_back(ORIGIN, dead, reusable=True)
    dead.usable = False
    assert idle.take(ORIGIN) is live
    assert dead.closed
    assert idle.take(ORIGIN) is None


def test_a_connection_that_may_carry_no_other_request_or_finds_no_room_is_closed_not_kept():
    idle = IdleConnections(kept=1)
    done, kept, spare = _Connection(), _Connection(), _Connection()
    idle.give_back(ORIGIN, done, reusable=False)
    idle.give_back(ORIGIN, kept, reusable=True)
    idle.give_back(ORIGIN, spare, reusable=True)
    assert (done.closed, kept.closed, spare.closed) == (True, False, True)
    assert idle.to(ORIGIN) == (kept,)
    assert idle.take(("https", "elsewhere", 443)) is None


def test_closing_all_closes_every_idle_connection_and_forgets_it():
    idle = IdleConnections(kept=4)
    connections = [_Connection(), _Connection()]
    for connection in connections:
        idle.give_back(ORIGIN, connection, reusable=True)
    idle.close_all()
    assert all(connection.closed for connection in connections)
    assert idle.to(ORIGIN) == ()

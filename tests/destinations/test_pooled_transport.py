"""The transport the Attentive client sends through: HTTP/1.1 on kept-alive sockets, httpx's answers and errors."""

import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from destinations.pooled_transport import PooledTransport


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.seen.append((self.command, self.path, dict(self.headers), body, self.client_address[1]))
        if self.path == "/slow":
            time.sleep(1.0)
        if self.path == "/moved":
            self._answer(301, b"", {"Location": "/elsewhere"})
        elif self.path == "/gzip":
            self._answer(200, gzip.compress(b'{"zipped": true}'), {"Content-Encoding": "gzip"})
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b'{"in": ', b'"parts"}'):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/huge":
            self._answer(200, b"x" * (9 * 1024 * 1024), {})
        elif self.path == "/huge-chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            part = b"x" * (1024 * 1024)
            for _ in range(9):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/close":
            self._answer(200, b"{}", {"Connection": "close"})
            self.close_connection = True
        else:
            self._answer(202, json.dumps({"echo": json.loads(body or b"null")}).encode(), {"X-RateLimit-Limit": "150"})

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    # Twenty threads connect at once: the default backlog of 5 could refuse some on a busy machine.
    request_queue_size = 64


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _client(server: ThreadingHTTPServer, read: float = 5.0) -> httpx.Client:
    host, port = server.server_address
    return httpx.Client(
        base_url=f"http://{host}:{port}",
        headers={"Authorization": "Bearer secret"},
        timeout=httpx.Timeout(read, connect=2.0),
        follow_redirects=False,
        transport=PooledTransport(),
    )


def test_a_request_arrives_whole_and_its_answer_comes_back_as_httpx_gives_it(server):
    with _client(server) as client:
        response = client.post("/v1/events/custom", content=b'{"type": "Order Shipped"}')
    method, path, headers, body, _ = server.seen[0]
    assert (method, path, body, headers["Authorization"]) == (
        "POST",
        "/v1/events/custom",
        b'{"type": "Order Shipped"}',
        "Bearer secret",
    )
    assert (response.status_code, response.json(), response.headers["x-ratelimit-limit"]) == (
        202,
        {"echo": {"type": "Order Shipped"}},
        "150",
    )


def test_a_chunked_answer_is_read_whole_and_its_connection_kept(server):
    with _client(server) as client:
        assert client.post("/chunked", content=b"{}").json() == {"in": "parts"}
        assert client.post("/", content=b"{}").status_code == 202
    assert len({port for *_, port in server.seen}) == 1


def test_a_prepared_request_arrives_whole_and_its_answer_names_its_headers_in_lower_case(server):
    host, port = server.server_address
    head = b"POST /v1/events/custom HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer secret\r\nContent-Length: 7\r\n\r\n"
    transport = PooledTransport()
    try:
        answers = [
            transport.send_prepared(("http", host, port), "POST", head, b'{"a":1}', {"read": 5.0}) for _ in range(2)
        ]
    finally:
        transport.close()
    assert [(method, path, body, headers["Authorization"]) for method, path, headers, body, _ in server.seen] == [
        ("POST", "/v1/events/custom", b'{"a":1}', "Bearer secret")
    ] * 2
    assert len({port for *_, port in server.seen}) == 1
    assert (answers[0].status_code, answers[0].headers["x-ratelimit-limit"], answers[0].json()) == (
        202,
        "150",
        {"echo": {"a": 1}},
    )


@pytest.mark.parametrize("path", ["/huge", "/huge-chunked"])
def test_an_answer_larger_than_the_body_limit_is_refused_and_its_connection_dropped(server, path):
    with _client(server) as client:
        with pytest.raises(httpx.RemoteProtocolError, match="BodyTooLarge"):
            client.post(path, json={})
        assert client.post("/", json={"after": 1}).status_code == 202


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\x00b"])
def test_a_header_value_with_a_line_break_or_nul_is_refused_and_nothing_is_sent(server, value):
    with _client(server) as client, pytest.raises(httpx.LocalProtocolError, match="IllegalHeader"):
        client.post("/", json={}, headers={"X-Note": value})
    assert server.seen == []


def test_requests_one_after_another_share_one_connection(server):
    with _client(server) as client:
        for _ in range(5):
            client.post("/", content=b"{}")
    assert len({port for *_, port in server.seen}) == 1


def test_a_connection_the_server_closed_is_replaced_by_a_new_one(server):
    with _client(server) as client:
        client.post("/close", content=b"{}")
        time.sleep(0.1)
        assert client.post("/", content=b"{}").status_code == 202
    assert len({port for *_, port in server.seen}) == 2


def test_a_redirect_is_answered_as_is_never_followed(server):
    with _client(server) as client:
        response = client.post("/moved", content=b"{}")
    assert (response.status_code, [path for _, path, *_ in server.seen]) == (301, ["/moved"])


def test_a_compressed_answer_is_read_decompressed(server):
    with _client(server) as client:
        assert client.post("/gzip", content=b"{}").json() == {"zipped": True}


def test_an_answer_slower_than_the_read_timeout_is_a_read_timeout_naming_no_url(server):
    with _client(server, read=0.2) as client, pytest.raises(httpx.ReadTimeout) as raised:
        client.post("/slow", content=b"{}")
    assert "127.0.0.1" not in str(raised.value)


def test_nobody_listening_is_a_connect_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        httpx.Client(base_url=f"http://127.0.0.1:{port}", transport=PooledTransport()) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.post("/", content=b"{}")


def test_threads_sharing_one_client_each_get_their_own_answer(server):
    answers = {}
    with _client(server) as client:

        def send(number: int) -> None:
            answers[number] = client.post("/", content=json.dumps({"n": number}).encode()).json()["echo"]["n"]

        threads = [threading.Thread(target=send, args=(number,)) for number in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert answers == {number: number for number in range(20)}


def _self_signed(directory) -> tuple[str, str]:
    """A certificate for 127.0.0.1 that no certificate authority signed, and its key (PEM files)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_server(server: ThreadingHTTPServer, tmp_path) -> tuple[ThreadingHTTPServer, str]:
    import ssl

    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return server, cert


def test_https_is_verified_an_untrusted_certificate_is_refused(tls_server):
    server, _ = tls_server
    port = server.server_address[1]
    with (
        httpx.Client(base_url=f"https://127.0.0.1:{port}", transport=PooledTransport()) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.post("/", content=b"{}")
    assert server.seen == []


def test_the_transports_of_a_process_share_one_verifying_context():
    import ssl

    from destinations.attentive.client import AttentiveClient

    first, second = PooledTransport(), PooledTransport()
    assert first.ssl_context is second.ssl_context
    assert first.ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert first.ssl_context.check_hostname
    # A worker's clients, one per API key, hold no copy of the certificates each.
    with AttentiveClient("key-one") as one, AttentiveClient("key-two") as two:
        assert one._wire.ssl_context is two._wire.ssl_context is first.ssl_context


def test_https_to_a_trusted_certificate_delivers(tls_server):
    import ssl

    server, cert = tls_server
    port = server.server_address[1]
    trusting = ssl.create_default_context(cafile=cert)
    with httpx.Client(base_url=f"https://127.0.0.1:{port}", transport=PooledTransport(ssl_context=trusting)) as client:
        assert client.post("/", content=b'{"a": 1}').json() == {"echo": {"a": 1}}


def test_a_burst_beyond_the_kept_connections_logs_nothing(server, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    host, port = server.server_address
    with (
        caplog.at_level(logging.WARNING),
        httpx.Client(base_url=f"http://{host}:{port}", transport=PooledTransport(kept_connections=1)) as client,
    ):
        threads = [threading.Thread(target=client.post, args=("/slow",), kwargs={"content": b"{}"}) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(server.seen) == 3
    # A connection beyond those kept is closed after use, silently: expected under a burst.
    assert caplog.records == []

import json
import logging

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured

from destinations.attentive.client import EXCERPT_LENGTH, AttentiveClient, api_base_url, redact_excerpt
from destinations.errors import AuthenticationError, DestinationError, PermanentError, RetryableError
from tests.asyncio_run import run_in_its_own_thread

API_KEY = "ak_live_0123456789abcdefSECRET"


class Recorder:
    """An Attentive stand-in for httpx.MockTransport: answers with `status` and records requests."""

    def __init__(
        self,
        status: int = 200,
        body: object = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status, self.body, self.headers = status, body, headers or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(
            self.status,
            json=self.body if self.body is not None else {},
            headers=self.headers,
        )

    def client(self) -> AttentiveClient:
        return AttentiveClient(API_KEY, transport=httpx.MockTransport(self))


def test_verify_calls_me_with_the_bearer_key_and_returns_the_company() -> None:
    recorder = Recorder(body={"companyName": "Hudson & Ivy", "applicationName": "Relay"})
    assert recorder.client().verify() == "Hudson & Ivy"
    request = recorder.requests[0]
    assert (request.method, str(request.url)) == (
        "GET",
        "https://api.attentivemobile.com/v1/me",
    )
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"


def test_send_custom_event_posts_the_exact_json_body() -> None:
    recorder = Recorder(headers={"x-ratelimit-remaining": "149"})
    body = {
        "type": "Order Shipped",
        "externalEventId": "e-1",
        "user": {"phone": "+14155552671"},
    }
    result = recorder.client().send("POST", "/v1/events/custom", body)
    request = recorder.requests[0]
    assert (request.method, str(request.url)) == (
        "POST",
        "https://api.attentivemobile.com/v1/events/custom",
    )
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == body
    assert (result.status, result.rate_limit_remaining) == (200, 149)


def test_send_attributes_posts_to_the_attributes_endpoint() -> None:
    recorder = Recorder()
    body = {"properties": {"Tier": "Gold"}, "user": {"email": "a@b.co"}}
    recorder.client().send("POST", "/v1/attributes/custom", body)
    assert str(recorder.requests[0].url) == "https://api.attentivemobile.com/v1/attributes/custom"
    assert json.loads(recorder.requests[0].content) == body


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_any_2xx_is_success(status: int) -> None:
    assert Recorder(status=status).client().send("POST", "/v1/events/custom", {}).status == status


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses_raise_retryable_error(status: int) -> None:
    with pytest.raises(RetryableError) as caught:
        Recorder(status=status).client().send("POST", "/v1/events/custom", {})
    assert caught.value.retryable
    assert caught.value.status == status


def test_429_carries_retry_after_and_remaining_requests() -> None:
    recorder = Recorder(status=429, headers={"Retry-After": "3", "x-ratelimit-remaining": "0"})
    with pytest.raises(RetryableError) as caught:
        recorder.client().send("POST", "/v1/events/custom", {})
    assert (caught.value.retry_after, caught.value.rate_limit_remaining) == (3.0, 0)


def test_retry_after_as_an_http_date_is_read() -> None:
    recorder = Recorder(status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    with pytest.raises(RetryableError) as caught:
        recorder.client().send("POST", "/v1/events/custom", {})
    assert caught.value.retry_after == 0.0


def test_429_without_retry_after_leaves_the_delay_to_the_caller() -> None:
    with pytest.raises(RetryableError) as caught:
        Recorder(status=429).client().send("POST", "/v1/events/custom", {})
    assert caught.value.retry_after is None


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_are_authentication_problems(status: int) -> None:
    with pytest.raises(AuthenticationError) as caught:
        Recorder(status=status).client().verify()
    assert not caught.value.retryable


@pytest.mark.parametrize("status", [400, 404, 409, 413, 422, 501])
def test_other_client_errors_and_501_are_permanent(status: int) -> None:
    with pytest.raises(PermanentError) as caught:
        Recorder(status=status, body={"error": "bad"}).client().send("POST", "/v1/events/custom", {})
    assert not caught.value.retryable
    assert caught.value.status == status
    assert "bad" in caught.value.response_excerpt


def test_redirects_are_not_followed() -> None:
    recorder = Recorder(status=302, headers={"Location": "https://elsewhere.example/steal"})
    with pytest.raises(PermanentError):
        recorder.client().send("POST", "/v1/events/custom", {})
    assert len(recorder.requests) == 1


def test_timeout_is_retryable() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(RetryableError, match="in time"):
        AttentiveClient(API_KEY, transport=httpx.MockTransport(slow)).send("POST", "/v1/events/custom", {})


def test_dropped_connection_is_retryable() -> None:
    def dropped(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected", request=request)

    with pytest.raises(RetryableError, match="RemoteProtocolError"):
        AttentiveClient(API_KEY, transport=httpx.MockTransport(dropped)).send("POST", "/v1/events/custom", {})


def test_response_excerpt_masks_emails_and_phone_numbers() -> None:
    excerpt = redact_excerpt('{"error": "user jane@example.com / +1 (415) 555-2671 not found"}')
    assert "jane@example.com" not in excerpt
    assert "555" not in excerpt
    assert "not found" in excerpt


@pytest.mark.parametrize("echoed", [str, str.upper, str.lower])
@pytest.mark.parametrize("status", [200, 400, 401, 429, 500])
def test_an_answer_that_echoes_the_api_key_keeps_it_out_of_the_excerpt(status: int, echoed) -> None:
    # Stored with the attempt and shown on the delivery's page: the key is never shown again.
    echoing = Recorder(status=status, body={"error": f"bad request with key {echoed(API_KEY)} " + "x" * 300})
    try:
        excerpt = echoing.client().send("POST", "/v1/events/custom", {"type": "Order Shipped"}).response_excerpt
    except DestinationError as error:
        excerpt = error.response_excerpt
    assert API_KEY[:8].casefold() not in excerpt.casefold()
    assert "[API key]" in excerpt


def test_a_key_across_the_point_where_the_answer_is_cut_leaves_none_of_it() -> None:
    # Emails masked before the excerpt's final cut shorten it: what stood past the first cut moves in.
    emails = "a-rather-long-address-for-a-person@example.com " * ((EXCERPT_LENGTH * 2 - 10) // 47)
    text = emails + " " * (EXCERPT_LENGTH * 2 - 10 - len(emails)) + API_KEY
    assert API_KEY[:10] not in redact_excerpt(text, API_KEY)


def test_the_key_never_appears_in_repr_errors_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = Recorder(status=401).client()
    with pytest.raises(AuthenticationError) as caught:
        client.verify()
    assert API_KEY not in repr(client)
    assert API_KEY not in str(caught.value)
    assert API_KEY not in caplog.text


def test_base_url_must_be_https_unless_the_operator_allows_plain_http(settings) -> None:
    settings.ATTENTIVE_API_URL = "http://127.0.0.1:9999"
    settings.RELAY_ALLOW_PLAIN_HTTP_ATTENTIVE = False
    with pytest.raises(ImproperlyConfigured):
        api_base_url()
    settings.RELAY_ALLOW_PLAIN_HTTP_ATTENTIVE = True
    assert api_base_url() == "http://127.0.0.1:9999"


def test_debug_alone_does_not_allow_plain_http(settings) -> None:
    settings.ATTENTIVE_API_URL = "http://127.0.0.1:9999"
    settings.DEBUG, settings.RELAY_ALLOW_PLAIN_HTTP_ATTENTIVE = True, False
    with pytest.raises(ImproperlyConfigured):
        api_base_url()


def test_base_url_comes_from_the_setting(settings) -> None:
    settings.ATTENTIVE_API_URL = "https://attentive.internal.example/"
    recorder = Recorder()
    recorder.client().verify()
    assert str(recorder.requests[0].url) == "https://attentive.internal.example/v1/me"


def test_the_client_sends_through_the_pooled_transport_unless_given_another(monkeypatch) -> None:
    from destinations.pooled_transport import PooledTransport

    seen = []

    def refuse(transport, origin, method, head, content, timeouts):
        seen.append(head.split(b"\r\n")[0])
        raise httpx.ConnectError("ConnectionRefusedError")

    monkeypatch.setattr(PooledTransport, "send_prepared", refuse)
    with pytest.raises(RetryableError, match="Could not reach Attentive"):
        AttentiveClient(API_KEY, base_url="https://api.attentivemobile.com").send("POST", "/v1/events/custom", {})
    assert seen == [b"POST /v1/events/custom HTTP/1.1"]


@pytest.mark.parametrize("key", ["abc\r\nX-Injected: 1", "abc\ndef", "key with spaces"])
def test_a_key_that_is_not_one_header_token_is_refused_before_any_request(monkeypatch, key) -> None:
    from destinations.pooled_transport import PooledTransport

    written = []
    monkeypatch.setattr(PooledTransport, "send_prepared", lambda *args: written.append(args))
    monkeypatch.setattr(PooledTransport, "handle_request", lambda *args: written.append(args))
    client = AttentiveClient(key, base_url="https://api.attentivemobile.com")
    with pytest.raises(AuthenticationError, match="cannot carry") as refused:
        client.send("POST", "/v1/events/custom", {})
    with pytest.raises(AuthenticationError, match="cannot carry"):
        client.verify()
    assert written == []
    assert "abc" not in str(refused.value)


def test_send_async_posts_the_same_request_as_send_and_reads_the_same_answer(server) -> None:

    host, port = server.server_address
    client = AttentiveClient(API_KEY, base_url=f"http://{host}:{port}")
    body = {"type": "Order Shipped", "externalEventId": "e-1"}
    try:
        blocking = client.send("POST", "/v1/events/custom", body)
        on_the_loop = run_in_its_own_thread(client.send_async("POST", "/v1/events/custom", body))
    finally:
        client.close()
    (_, _, sent_headers, sent_body, _), (_, _, loop_headers, loop_body, _) = server.seen
    assert (sent_body, sent_headers) == (loop_body, loop_headers)
    assert (on_the_loop.status, on_the_loop.rate_limit_limit, on_the_loop.response_excerpt) == (
        blocking.status,
        blocking.rate_limit_limit,
        blocking.response_excerpt,
    )


def test_send_async_to_nobody_listening_is_retryable_naming_no_url() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = AttentiveClient(API_KEY, base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(RetryableError, match="Could not reach Attentive") as raised:
        run_in_its_own_thread(client.send_async("POST", "/v1/events/custom", {}))
    assert "127.0.0.1" not in str(raised.value)


def test_send_async_through_a_transport_of_its_own_sends_as_send_does() -> None:

    recorder = Recorder(status=429, headers={"Retry-After": "7"})
    with pytest.raises(RetryableError) as raised:
        run_in_its_own_thread(recorder.client().send_async("POST", "/v1/events/custom", {"a": 1}))
    assert (raised.value.status, raised.value.retry_after, json.loads(recorder.requests[0].content)) == (
        429,
        7.0,
        {"a": 1},
    )

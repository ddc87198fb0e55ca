"""The Attentive REST client: the only module that speaks HTTP to Attentive or reads an API key."""

import asyncio
import contextlib
import email.utils
import json
import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from destinations.errors import AuthenticationError, PermanentError, RetryableError
from destinations.http11 import DEFAULT_PORTS, Answer
from destinations.loop_transport import LoopPool
from destinations.pooled_transport import PooledTransport

if TYPE_CHECKING:
    pass

EXCERPT_LENGTH = 500
_JSON_HEADERS = {"Content-Type": "application/json"}
# json.dumps with any argument of its own makes a new encoder at every call; a request body is
# written by this one (compact, finite numbers only: JSON has no NaN).
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
_EMAILS = re.compile(r"[^\s\"'<>@,;:]+@[^\s\"'<>@,;:]+")
_DIGIT_RUNS = re.compile(r"\+?\d[\d\s().-]{5,}\d")
# A path send() may write into its request line as it is (every endpoint's is).
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9/_.~-]*")
# A key is written into the Authorization header as it is: visible ASCII only. Any other is refused
# before a request is made (a line break would end the header and start one of the key's making).
_HEADER_SAFE_KEY = re.compile(r"[\x21-\x7e]+")


def api_base_url() -> str:
    """Return ATTENTIVE_API_URL without a trailing slash; https is required unless the operator
    allowed plain http for a local fake (RELAY_ALLOW_PLAIN_HTTP_ATTENTIVE)."""
    url = settings.ATTENTIVE_API_URL.rstrip("/")
    scheme = httpx.URL(url).scheme
    if scheme != "https" and not (settings.RELAY_ALLOW_PLAIN_HTTP_ATTENTIVE and scheme == "http"):
        raise ImproperlyConfigured(
            "ATTENTIVE_API_URL must use https (plain http only with RELAY_ALLOW_PLAIN_HTTP_ATTENTIVE, for a local fake)."
        )
    return url


def redact_excerpt(text: str, api_key: str = "") -> str:
    """Return the start of a response body with the API key it was sent with (a server may echo it),
    and anything like an email or a phone number, masked."""
    if api_key and api_key.casefold() in text.casefold():  # in the whole text first: cut, a key's start would stay
        # In any case: a server may echo it upper-cased (an outside tester's fake did).
        text = re.sub(re.escape(api_key), "[API key]", text, flags=re.IGNORECASE)
    text = _EMAILS.sub("[email]", text[: EXCERPT_LENGTH * 2])
    return _DIGIT_RUNS.sub("[number]", text)[:EXCERPT_LENGTH]


def mask_key(last4: str) -> str:
    return f"Bearer ••••{last4}" if last4 else "Bearer ••••"


def auth_header(last4: str) -> dict[str, str]:
    """The request's headers as the preview shows them: the key masked to its last four characters."""
    return {"Authorization": mask_key(last4), "Content-Type": "application/json"}


@dataclass(frozen=True, slots=True)
class SendResult:
    """A successful answer: what a delivery attempt records."""

    status: int
    latency_ms: float
    response_excerpt: str
    rate_limit_remaining: int | None
    rate_limit_limit: int | None = None


class AttentiveClient:
    """Calls Attentive with one API key. Every call has explicit timeouts; redirects are refused."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        read_timeout = timeout if timeout is not None else settings.ATTENTIVE_TIMEOUT_SECONDS
        connect_timeout = min(read_timeout, settings.ATTENTIVE_CONNECT_TIMEOUT_SECONDS)
        transport = transport if transport is not None else PooledTransport()
        self._http = httpx.Client(
            base_url=base_url or api_base_url(),
            headers={
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            follow_redirects=False,
            # Many sending threads share one client: its transport costs them far less CPU than
            # httpx's own (destinations.pooled_transport).
            transport=transport,
        )
        # send(), which a worker calls thousands of times a second, hands the pooled transport its
        # request as bytes, its request line and headers written once per endpoint: httpx's Request,
        # Response and URL merging cost more CPU than the transport itself. Another transport (a
        # test's) gets httpx's Request as every other call does.
        self._wire = transport if isinstance(transport, PooledTransport) else None
        self._key_fits_a_header = _HEADER_SAFE_KEY.fullmatch(api_key) is not None
        base = self._http.base_url
        self._origin = (base.scheme, base.host, base.port or DEFAULT_PORTS.get(base.scheme, 0))
        self._base_path = base.raw_path.rstrip(b"/")
        self._timeouts = {"connect": connect_timeout, "read": read_timeout, "write": read_timeout}
        self._user_agent = self._http.headers["User-Agent"]
        self._api_key = api_key
        self._heads: dict[tuple[str, str], bytes] = {}
        # send_async's connections, made on the sending loop at its first request
        # (destinations.loop_transport): the same certificates as the blocking transport's.
        self._loop_pool: LoopPool | None = None

    def __repr__(self) -> str:
        return f"<AttentiveClient {self._http.base_url}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()
        if self._loop_pool is not None:
            self._loop_pool.close()

    def verify(self) -> str:
        """Check the key with GET /v1/me and return the company name Attentive reports."""
        response, _ = self._request("GET", "/v1/me", None)
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if isinstance(payload, dict) and isinstance(payload.get("companyName"), str):
            return payload["companyName"]
        return ""

    def send(self, method: str, path: str, body: dict[str, Any]) -> SendResult:
        """Send one prepared request; raise a DestinationError that carries the retry decision."""
        response, latency_ms = self._request(method, path, body, prepared=True)
        return _result(response, latency_ms, self._api_key)

    async def send_async(
        self, method: str, path: str, body: dict[str, Any], body_json: str | None = None
    ) -> SendResult:
        """send(), on the running event loop: waiting for the answer holds no thread (the worker's
        sending loop, executor.sending). Same request, same answer, same errors. A client with a
        transport of its own (a test's) sends through it on another thread.

        `body_json`, when given, is `body`'s JSON text as stored (compact, text as is): it is sent as
        it is, in UTF-8, instead of `body` being written as JSON again at every request."""
        if self._wire is None or not _PLAIN_PATH.fullmatch(path):
            return await asyncio.get_running_loop().run_in_executor(None, self.send, method, path, body)
        content = self._content(body, body_json) or b""
        self._check_key()
        pool = self._loop_pool
        if pool is None:
            pool = self._loop_pool = LoopPool(ssl_context=self._wire.ssl_context)
        started = time.perf_counter()
        with _transport_errors_retryable():
            response = await pool.send_prepared(
                self._origin, method, self._head(method, path, len(content)), content, self._timeouts
            )
        latency_ms = (time.perf_counter() - started) * 1000
        _raise_for_status(response, self._api_key)
        return _result(response, latency_ms, self._api_key)

    def fetch(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call an endpoint whose answer Relay reads (privacy requests): its JSON, or None."""
        response, _ = self._request(method, path, body)
        try:
            return response.json()
        except ValueError:
            return None

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None, *, prepared: bool = False
    ) -> tuple[httpx.Response | Answer, float]:
        content = self._content(body)
        self._check_key()
        started = time.perf_counter()
        with _transport_errors_retryable():
            if prepared and self._wire is not None and content is not None and _PLAIN_PATH.fullmatch(path):
                response = self._wire.send_prepared(
                    self._origin, method, self._head(method, path, len(content)), content, self._timeouts
                )
            else:
                response = self._http.request(method, path, content=content, headers=_JSON_HEADERS if content else None)
        latency_ms = (time.perf_counter() - started) * 1000
        _raise_for_status(response, self._api_key)
        return response, latency_ms

    @staticmethod
    def _content(body: dict[str, Any] | None, body_json: str | None = None) -> bytes | None:
        # Stored text holds NaN and the infinities as such (JSON has none): such a body goes through
        # the encoder below, which refuses it. A text that only names them is written again, as well.
        if body_json is not None and "NaN" not in body_json and "Infinity" not in body_json:
            with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate: the encoder escapes it
                return body_json.encode()
        try:
            return None if body is None else _ENCODER.encode(body).encode()
        except ValueError:
            # Stored before ingest refused them: a retry cannot make such a number sendable.
            raise PermanentError("The request holds a number that is not finite; it cannot be sent as JSON.") from None

    def _check_key(self) -> None:
        if not self._key_fits_a_header:
            raise AuthenticationError(
                "The API key holds a character an HTTP header cannot carry (a space or a line break): enter it again."
            )

    def _head(self, method: str, path: str, length: int) -> bytes:
        """The request line and headers of a send to `path` with a body of `length` bytes."""
        head = self._heads.get((method, path))
        if head is None:
            headers = {
                "Host": self._http.base_url.netloc.decode("ascii"),
                "Authorization": f"Bearer {self._api_key}",
                "Accept": "application/json",
                # Without it a server may compress as it likes; the answers are a few bytes.
                "Accept-Encoding": "identity",
                "Content-Type": "application/json",
                "User-Agent": self._user_agent,
            }
            head = self._heads[(method, path)] = b"".join(
                [
                    f"{method} ".encode("ascii") + self._base_path + f"{path} HTTP/1.1\r\n".encode("ascii"),
                    *(f"{name}: {value}\r\n".encode("latin-1") for name, value in headers.items()),
                ]
            )
        return head + b"Content-Length: %d\r\n\r\n" % length


@contextlib.contextmanager
def _transport_errors_retryable() -> Iterator[None]:
    """A timeout or a connection that failed is retryable, named by its kind only (never the URL)."""
    try:
        yield
    except httpx.TimeoutException:
        raise RetryableError("Attentive did not answer in time.") from None
    except httpx.TransportError as error:
        raise RetryableError(f"Could not reach Attentive ({type(error).__name__}).") from None


def _result(response: httpx.Response | Answer, latency_ms: float, api_key: str) -> SendResult:
    return SendResult(
        status=response.status_code,
        latency_ms=latency_ms,
        response_excerpt=redact_excerpt(response.text, api_key),
        rate_limit_remaining=_int_header(response, "x-ratelimit-remaining"),
        rate_limit_limit=_int_header(response, "x-ratelimit-limit"),
    )


def _raise_for_status(response: httpx.Response | Answer, api_key: str) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    excerpt = redact_excerpt(response.text, api_key)
    if status == 401:
        raise AuthenticationError(
            "Attentive rejected the API key (401).",
            status=status,
            response_excerpt=excerpt,
        )
    if status == 403:
        raise AuthenticationError(
            "Attentive refused access (403): give the app Write permission for Custom Events and Custom Attributes.",
            status=status,
            response_excerpt=excerpt,
        )
    if status in (408, 429) or (status >= 500 and status != 501):
        raise RetryableError(
            f"Attentive answered {status}; the request will be retried.",
            status=status,
            response_excerpt=excerpt,
            retry_after=_retry_after(response),
            rate_limit_remaining=_int_header(response, "x-ratelimit-remaining"),
            rate_limit_limit=_int_header(response, "x-ratelimit-limit"),
        )
    raise PermanentError(
        f"Attentive refused the request ({status}).",
        status=status,
        response_excerpt=excerpt,
    )


def _int_header(response: httpx.Response | Answer, name: str) -> int | None:
    try:
        return int(response.headers[name])
    except (KeyError, ValueError):
        return None


def _retry_after(response: httpx.Response | Answer) -> float | None:
    """Return the Retry-After header in seconds (it may be a number or an HTTP date)."""
    raw = response.headers.get("retry-after")
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        moment = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())

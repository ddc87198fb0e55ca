"""The webhook's client: POSTs a body with httpx to the base URL, the shared secret in a header."""

import time
from dataclasses import dataclass
from typing import Any, Self

import httpx

from destinations.errors import AuthenticationError, PermanentError, RetryableError

# Where the webhook listens: a test sets it to its local server's URL.
BASE_URL = {"url": "http://127.0.0.1:18900"}
SECRET_HEADER = "X-Webhook-Secret"


def base_url() -> str:
    return BASE_URL["url"]


def auth_header(last4: str) -> dict[str, str]:
    return {SECRET_HEADER: f"••••{last4}", "Content-Type": "application/json"}


@dataclass(frozen=True, slots=True)
class Sent:
    status: int
    latency_ms: float
    response_excerpt: str
    rate_limit_remaining: int | None = None
    rate_limit_limit: int | None = None


class WebhookClient:
    def __init__(self, secret: str, *, base_url: str | None = None, timeout: float = 2.0, **_: Any) -> None:
        self._http = httpx.Client(
            base_url=base_url or BASE_URL["url"], timeout=timeout, headers={SECRET_HEADER: secret}
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def verify(self) -> str:
        self.fetch("GET", "/hook")
        return "Webhook"

    def send(self, method: str, path: str, body: dict[str, Any]) -> Sent:
        started = time.monotonic()
        response = self._answer(method, path, body)
        return Sent(response.status_code, (time.monotonic() - started) * 1000, response.text[:200])

    def fetch(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._answer(method, path, body).json()

    def _answer(self, method: str, path: str, body: dict[str, Any] | None) -> httpx.Response:
        try:
            response = self._http.request(method, path, json=body)
        except httpx.TransportError as error:
            raise RetryableError(f"The webhook could not be reached ({type(error).__name__}).") from error
        status = response.status_code
        if status in (401, 403):
            raise AuthenticationError(f"The webhook refused the secret ({status}).", status=status)
        if status == 429 or status >= 500:
            raise RetryableError(f"The webhook answered {status}.", status=status)
        if status >= 400:
            raise PermanentError(f"The webhook refused the request ({status}).", status=status)
        return response

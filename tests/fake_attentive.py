"""A fake Attentive: a real HTTP server on 127.0.0.1 for tests and benchmarks.

It checks the bearer key, enforces a per-second rate limit with Attentive's headers, adds latency,
and can be told to answer the next requests with 429 (with or without Retry-After), 5xx, a
400, a slow answer or a dropped connection. It records every body it accepted, and the path it
was sent to. E-commerce, identity and unsubscribe bodies are checked as ../shared/attentive-api.md
§4.1-4.3 describe them (written from that text, not from Relay's own schemas): a body Attentive
would refuse gets a 400.
"""

import json
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.ports import port_to_bind

GOOD_KEY = "fake-attentive-good-key-0001"


class _Server(ThreadingHTTPServer):
    # A listen backlog as a real API's servers have: with socketserver's default of 5, a sender's
    # first burst of connections overflowed it, and the kernel left the requests on the connections it
    # dropped waiting for retransmitted handshakes, seconds, past the client's read timeout (the
    # requests then went again, and a test counted them twice).
    request_queue_size = 128


class FakeAttentive:
    def __init__(
        self,
        *,
        latency: float = 0.0,
        rate_limit: int | None = None,
        endpoint_limits: dict[str, int] | None = None,
        api_keys: tuple[str, ...] = (GOOD_KEY,),
        company: str = "Hudson & Ivy",
    ) -> None:
        self.latency = latency
        self.rate_limit = rate_limit
        # Requests per second per endpoint (path), as Attentive limits each endpoint on its own.
        self.endpoint_limits = endpoint_limits or {}
        self._endpoint_windows: dict[str, tuple[int, int]] = {}
        self.api_keys = set(api_keys)
        self.company = company
        self.lock = threading.RLock()
        # Notified as each answer goes out: tests wait on it (wait_until) rather than sleep.
        self.answered = threading.Condition(self.lock)
        self.script: deque[str] = deque()
        self.key_scripts: dict[str, deque[str]] = {}
        self.received: list[dict[str, Any]] = []
        # The bytes of each accepted body, as they came.
        self.raw_bodies: list[bytes] = []
        self.paths: list[str] = []  # the path of each accepted body, in the same order
        self.deletions: dict[str, dict[str, str]] = {}  # deletion requests by the id answered
        self.deletions_processed = False  # what GET /v1/privacy/delete-request/{id} says
        # Every accepted body and deletion request in the order they arrived: ("body", body) or ("deletion", subject).
        self.timeline: list[tuple[str, dict[str, Any]]] = []
        self.arrivals: list[tuple[float, str]] = []  # (time.monotonic(), path) of each accepted body
        self.statuses: Counter[int] = Counter()
        self._window = (0, 0)  # (second, count)
        self.server = _Server(("127.0.0.1", port_to_bind()), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="fake-attentive")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "FakeAttentive":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def then(self, *behaviours: str, api_key: str | None = None) -> None:
        """Queue behaviours for the next POSTs (of one API key, if given): "429", "429-retry-after"
        (7 s), "429-retry-after-10", "500", "503", "400", "slow", "drop"."""
        with self.lock:
            if api_key is None:
                self.script.extend(behaviours)
            else:
                self.key_scripts.setdefault(api_key, deque()).extend(behaviours)

    def wait_until(self, condition: Callable[["FakeAttentive"], bool], timeout: float) -> bool:
        """Wait until `condition(self)` holds, checked as each answer goes out; False if it still does not
        after `timeout` seconds."""
        with self.answered:
            return self.answered.wait_for(lambda: condition(self), timeout)

    def event_ids(self) -> Counter[str]:
        with self.lock:
            return Counter(body.get("externalEventId", "") for body in self.received)

    def _next_behaviour(self, api_key: str) -> str | None:
        with self.lock:
            own = self.key_scripts.get(api_key)
            if own:
                return own.popleft()
            return self.script.popleft() if self.script else None

    def _over_limit(self, path: str = "") -> tuple[bool, int]:
        if path in self.endpoint_limits:
            limit = self.endpoint_limits[path]
            with self.lock:
                second = int(time.monotonic())
                current, count = self._endpoint_windows.get(path, (0, 0))
                count = count + 1 if current == second else 1
                self._endpoint_windows[path] = (second, count)
                return count > limit, max(0, limit - count)
        if self.rate_limit is None:
            return False, 150
        with self.lock:
            second = int(time.monotonic())
            current, count = self._window
            count = count + 1 if current == second else 1
            self._window = (second, count)
            return count > self.rate_limit, max(0, self.rate_limit - count)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle's algorithm and the client's
            # delayed ACK the body waited 40 ms, which the benchmarks counted as our latency.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:
                return

            def _reply(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
                with fake.lock:
                    fake.statuses[status] += 1
                    fake.answered.notify_all()

            def _delete_request(self, body: Any) -> None:
                # attentive-api.md §4.4: email or phone, else clientUserId; answered {"id": ...}.
                subject = {k: body.get(k) for k in ("subjectEmail", "subjectPhone", "clientUserId") if body.get(k)}
                if not subject:
                    self._reply(400, {"error": "Must either specify subscriberPhone or subscriberEmail"})
                    return
                with fake.lock:
                    remote_id = f"del-{len(fake.deletions) + 1}"
                    fake.deletions[remote_id] = subject
                    fake.timeline.append(("deletion", subject))
                self._reply(200, {"id": remote_id})

            def _authorized(self) -> bool:
                scheme, _, key = self.headers.get("Authorization", "").partition(" ")
                if scheme == "Bearer" and key in fake.api_keys:
                    return True
                self._reply(401, {"error": "Unauthorized"})
                return False

            def do_GET(self) -> None:
                if self.path.startswith("/v1/privacy/delete-request/"):
                    if self._authorized():
                        remote_id = self.path.rsplit("/", 1)[1]
                        found = fake.deletions.get(remote_id)
                        if found is None:
                            self._reply(404, {"error": "Not found"})
                        else:
                            self._reply(200, {"id": remote_id, "processed": fake.deletions_processed, **found})
                elif self.path != "/v1/me":
                    self._reply(404, {"error": "Not found"})
                elif self._authorized():
                    self._reply(200, {"companyName": fake.company, "applicationName": "Relay"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                if self.path == "/v1/privacy/delete-request":
                    if self._authorized():
                        self._delete_request(json.loads(raw))
                    return
                if self.path not in ("/v1/events/custom", "/v1/attributes/custom", *ECOMMERCE_PATHS, *CHECKED):
                    self._reply(404, {"error": "Not found"})
                    return
                if not self._authorized():
                    return
                behaviour = fake._next_behaviour(self.headers.get("Authorization", "").removeprefix("Bearer "))
                if behaviour == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if behaviour == "slow":
                    time.sleep(2.0)
                if fake.latency:
                    time.sleep(fake.latency)
                over, remaining = fake._over_limit(self.path)
                limit_headers = {
                    "x-ratelimit-limit": str(fake.endpoint_limits.get(self.path) or fake.rate_limit or 150),
                    "x-ratelimit-remaining": str(remaining),
                }
                if over or behaviour == "429":
                    self._reply(429, {"error": "Too many requests"}, limit_headers)
                elif behaviour in ("429-retry-after", "429-retry-after-10"):
                    wait = "10" if behaviour.endswith("-10") else "7"
                    self._reply(429, {"error": "Too many requests"}, {**limit_headers, "Retry-After": wait})
                elif behaviour in ("500", "503"):
                    self._reply(int(behaviour), {"error": "Internal error"})
                elif behaviour == "400":
                    self._reply(400, {"error": {"id": 1, "message": "Invalid parameter for jane@example.com"}})
                elif (problem := body_problem(self.path, json.loads(raw))) is not None:
                    self._reply(400, {"error": {"id": 2, "message": problem}}, limit_headers)
                else:
                    with fake.lock:
                        fake.received.append(json.loads(raw))
                        fake.raw_bodies.append(raw)
                        fake.paths.append(self.path)
                        fake.timeline.append(("body", fake.received[-1]))
                        fake.arrivals.append((time.monotonic(), self.path))
                    self._reply(202 if self.path in ACCEPTED_LATER else 200, {}, limit_headers)

        return Handler


ECOMMERCE_PATHS = tuple(f"/v1/events/ecommerce/{kind}" for kind in ("product-view", "add-to-cart", "purchase"))
_CHANNELS = {"WEB", "IOS_APP", "ANDROID_APP", "IN_STORE", "PHONE", "OTHER"}


def ecommerce_problem(path: str, body: Any) -> str | None:
    """Why Attentive would answer 400 to this e-commerce body (attentive-api.md §4.2), or None."""
    if path not in ECOMMERCE_PATHS:
        return None
    if not isinstance(body, dict):
        return "The body must be an object."
    allowed = {"items", "occurredAt", "user"} | ({"orderId", "salesChannel"} if path.endswith("/purchase") else set())
    if set(body) - allowed:
        return f"Unknown fields: {sorted(set(body) - allowed)}."
    items = body.get("items")
    if not isinstance(items, list) or not items:
        return "items is required and must be a non-empty array."
    for item in items:
        if not isinstance(item, dict):
            return "Each item must be an object."
        if set(item) - {"productId", "productVariantId", "price", "productImage", "productUrl", "name", "quantity"}:
            return "An item has unknown fields."
        if not all(isinstance(item.get(key), str) and item[key] for key in ("productId", "productVariantId")):
            return "productId and productVariantId are required strings."
        price = item.get("price")
        if not isinstance(price, list) or not price:
            return "price is required: an array of {value, currency}."
        for entry in price:
            value = entry.get("value") if isinstance(entry, dict) else None
            if isinstance(value, bool) or not isinstance(value, int | float):
                return "price[].value must be a number."
            currency = entry.get("currency")
            if currency is not None and not (isinstance(currency, str) and len(currency) == 3 and currency.isupper()):
                return "price[].currency must be an ISO 4217 code."
        quantity = item.get("quantity")
        if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int)):
            return "quantity must be an integer."
    user = body.get("user")
    if not isinstance(user, dict) or not (user.get("phone") or user.get("email") or user.get("externalIdentifiers")):
        return "user is required, with a phone, an email or external identifiers."
    channel = body.get("salesChannel")
    if channel is not None and (not isinstance(channel, dict) or channel.get("channelType") not in _CHANNELS):
        return "salesChannel.channelType must be one of " + ", ".join(sorted(_CHANNELS)) + "."
    return None


IDENTITY_PATH = "/v1/identity-resolution/user-identifiers"
UNSUBSCRIBE_PATH = "/v1/subscriptions/unsubscribe"
SUBSCRIBE_PATH = "/v1/subscriptions"
CHECKED = (IDENTITY_PATH, UNSUBSCRIBE_PATH, SUBSCRIBE_PATH)
ACCEPTED_LATER = CHECKED  # Attentive answers these 202
_IDENTITY_FIELDS = {"phone", "email", "shopifyId", "klaviyoId", "clientUserId", "customIdentifiers"}


def body_problem(path: str, body: Any) -> str | None:
    """Why Attentive would answer 400 to this body (attentive-api.md §4.1-4.3), or None."""
    if path == IDENTITY_PATH:
        return identity_problem(body)
    if path == UNSUBSCRIBE_PATH:
        return unsubscribe_problem(body)
    if path == SUBSCRIBE_PATH:
        return subscribe_problem(body)
    return ecommerce_problem(path, body)


def identity_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or not body or set(body) - _IDENTITY_FIELDS:
        return "Only phone, email, shopifyId, klaviyoId, clientUserId and customIdentifiers."
    for key in ("phone", "email", "shopifyId", "klaviyoId", "clientUserId"):
        if key in body and (not isinstance(body[key], str) or not body[key] or len(body[key]) > 100):
            return f"{key} must be a non-empty string of at most 100 characters."
    custom = body.get("customIdentifiers")
    if custom is not None and not (
        isinstance(custom, list)
        and custom
        and all(isinstance(c, dict) and c.get("name") and c.get("value") for c in custom)
    ):
        return "customIdentifiers must be [{name, value}]."
    if ("clientUserId" in body or "customIdentifiers" in body) and not {
        "phone",
        "email",
        "shopifyId",
        "klaviyoId",
    } & set(body):
        return "A clientUserId or custom identifier must be accompanied by another identifier."
    return None


def unsubscribe_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or set(body) - {"user", "subscriptions", "notification"}:
        return "Only user, subscriptions and notification."
    user = body.get("user")
    if not isinstance(user, dict) or not (user.get("phone") or user.get("email")) or set(user) - {"phone", "email"}:
        return "user is required, with a phone or an email."
    for subscription in body.get("subscriptions", []):
        if subscription.get("type") not in ("MARKETING", "TRANSACTIONAL") or subscription.get("channel") not in (
            "TEXT",
            "EMAIL",
        ):
            return "subscriptions[] need a type (MARKETING, TRANSACTIONAL) and a channel (TEXT, EMAIL)."
    notification = body.get("notification", {})
    if notification.get("language", "en-US") not in ("en-US", "fr-CA") or not isinstance(
        notification.get("disabled", False), bool
    ):
        return "notification is {language: en-US|fr-CA, disabled: boolean}."
    return None


def subscribe_problem(body: Any) -> str | None:
    allowed = {"user", "signUpSourceId", "locale", "subscriptionType", "externalIdentifiers", "singleOptIn"}
    if not isinstance(body, dict) or set(body) - allowed:
        return "Only user, signUpSourceId, locale, subscriptionType, externalIdentifiers and singleOptIn."
    user = body.get("user")
    if not isinstance(user, dict) or not (user.get("phone") or user.get("email")) or set(user) - {"phone", "email"}:
        return "user is required, with a phone or an email."
    by_locale = "locale" in body or "subscriptionType" in body
    if ("signUpSourceId" in body) == by_locale:
        return "Either a signUpSourceId, or a locale and a subscriptionType."
    if by_locale:
        locale = body.get("locale")
        if not isinstance(locale, dict) or set(locale) != {"language", "country"}:
            return "locale is {language, country}."
        if body.get("subscriptionType") not in ("MARKETING", "TRANSACTIONAL"):
            return "subscriptionType is MARKETING or TRANSACTIONAL."
    if "singleOptIn" in body and not isinstance(body["singleOptIn"], bool):
        return "singleOptIn is a boolean."
    return None

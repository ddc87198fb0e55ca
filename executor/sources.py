"""Browser sources: which origins may send with a public write key, and how fast.

A browser source's key sits in every page of its website, so anyone can read it. What keeps it in its
place: it only ingests; a request carrying an `Origin` (every browser's cross-origin request does) is
accepted, and answered with CORS headers, only from the origins an admin listed; and each key, and each
client address sending with it, is held to a rate (answered 429 with Retry-After). Pure rules and one
in-process limiter; the HTTP side is in executor.ingest_views.
"""

import math
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from executor.models import WriteKey

MAX_ORIGINS = 50
# What the SDKs' preflights ask to send: RudderStack's Basic auth, its AnonymousId, SentAt and retry headers.
ALLOWED_REQUEST_HEADERS = ("Authorization", "Content-Type", "Content-Encoding", "AnonymousId", "SentAt")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")
# Headers a page's script may read on our answers (the SDKs read these to decide when to retry).
EXPOSED_HEADERS = "Retry-After, X-RateLimit-Reset"
PREFLIGHT_MAX_AGE = "600"


class OriginError(ValueError):
    """An allowed origin an admin typed is not one."""


def normalize_origin(text: str) -> str:
    """Return `text` as an origin (`https://shop.example.com`, `http://localhost:8080`), or raise OriginError.

    Browsers send the origin lower-cased, without a path or a default port: so is it kept, so a
    comparison is a string comparison.
    """
    value = text.strip()
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise OriginError("is not a web address") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OriginError("must start with https:// (or http://) and name a host")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise OriginError("must be an origin only: scheme, host and port, no path")
    if "*" in value:
        raise OriginError("must name one host: wildcards are not allowed")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default_port = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default_port else "")


def normalize_origins(lines: list[str]) -> list[str]:
    """Each non-empty line as an origin, once each, in the order given; raise OriginError naming the line."""
    origins: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            origin = normalize_origin(line)
        except OriginError as error:
            raise OriginError(f"Line {number} {error}.") from None
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        raise OriginError(f"List at most {MAX_ORIGINS} origins.")
    return origins


def allowed_request_headers(requested: str) -> str:
    """The headers a preflight of an allowed origin may send: the SDKs' own, and whatever else it asks for
    (SDK versions add headers, such as RudderStack's `RSA-Since-Last-Attempt`; a header name is no risk to
    a key that only ingests)."""
    names = list(ALLOWED_REQUEST_HEADERS)
    known = {name.lower() for name in names}
    for name in (part.strip() for part in requested.split(",")[:30]):
        if _HEADER_NAME.match(name) and name.lower() not in known:
            names.append(name)
            known.add(name.lower())
    return ", ".join(names)


def origin_allowed(key: WriteKey, origin: str) -> bool:
    """May a page of `origin` send with `key`? Only a browser source's own origins may; a server key
    (a secret) is never used from a page."""
    return key.is_browser and origin in key.allowed_origins


def any_source_allows(origin: str) -> bool:
    """A preflight carries no key (the browser asks before sending it): it is answered for an origin
    that some active browser source lists; the request itself is then judged against its own key."""
    return any(
        origin in origins
        for origins in WriteKey.objects.active()
        .filter(kind=WriteKey.Kind.BROWSER)
        .values_list("allowed_origins", flat=True)
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # whole seconds, when not allowed
    # Which limit refused: the source's own ("source") or one visitor's address ("address").
    limit: str = ""


class RateLimiter:
    """Token buckets by name: `rate` requests a second on average, bursts of `burst`.

    Kept in each web process's memory (a shared counter would cost a database write per request):
    with several web processes, each allows the rate.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float, float, float]] = {}  # name -> (tokens, when, rate, burst)

    def take(self, name: str, rate: float, burst: float, now: float | None = None) -> Verdict:
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, when, _, _ = self._buckets.get(name, (burst, now, rate, burst))
            tokens = min(burst, tokens + (now - when) * rate)
            if tokens >= 1:
                self._buckets[name] = (tokens - 1, now, rate, burst)
                if len(self._buckets) > 100_000:
                    self._forget_full(now)
                return Verdict(True)
            self._buckets[name] = (tokens, now, rate, burst)
            return Verdict(False, max(1, math.ceil((1 - tokens) / rate)))

    def _forget_full(self, now: float) -> None:
        # A bucket that has refilled is the same as none: forgetting it bounds the memory of many addresses.
        for name, (tokens, when, rate, burst) in list(self._buckets.items()):
            if tokens + (now - when) * rate >= burst:
                del self._buckets[name]

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


limiter = RateLimiter()


def client_address(meta: Mapping[str, Any]) -> str:
    """The address a request came from: the connection's, or behind a reverse proxy (RELAY_BEHIND_PROXY)
    the last address of X-Forwarded-For, the one the proxy itself added (those before it are whatever
    the client wrote, so never trusted)."""
    if settings.RELAY_BEHIND_PROXY:
        forwarded = [part.strip() for part in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
        if forwarded[-1]:
            return forwarded[-1]
    return str(meta.get("REMOTE_ADDR", ""))


def admit(key: WriteKey, client_ip: str) -> Verdict:
    """Take one request of a browser source from its key's bucket and its client address's bucket."""
    per_key = settings.RELAY_BROWSER_RATE_PER_KEY
    per_ip = settings.RELAY_BROWSER_RATE_PER_IP
    by_key = limiter.take(f"key:{key.pk}", per_key, per_key * 2)
    if not by_key.allowed:
        return replace(by_key, limit="source")
    by_address = limiter.take(f"ip:{key.pk}:{client_ip}", per_ip, per_ip * 2)
    return by_address if by_address.allowed else replace(by_address, limit="address")


def snippets(key_value: str, relay_url: str) -> dict[str, str]:
    """The code a website pastes to send to this Relay, for each SDK (from npm: no vendor CDN involved).

    analytics.js loads its settings from `cdnURL` (Relay answers them, pointing its API host here);
    RudderStack's SDK loads its source config from `configUrl` and sends to `dataPlaneUrl`, both Relay.
    The `/bundled` build carries RudderStack's plugins instead of fetching them from its CDN.
    """
    return {
        "analytics.js": (
            "// npm install @segment/analytics-next\n"
            "import { AnalyticsBrowser } from '@segment/analytics-next'\n\n"
            "export const analytics = AnalyticsBrowser.load({\n"
            f"  writeKey: '{key_value}',\n"
            f"  cdnURL: '{relay_url}', // settings from Relay: events go to {relay_url}/v1\n"
            "})\n\n"
            "analytics.page()\n"
            "analytics.identify('user-123', { email: 'jane@example.com' })\n"
            "analytics.track('Product Viewed', { product_id: 'sku-1' })\n"
        ),
        "RudderStack": (
            "// npm install @rudderstack/analytics-js\n"
            "import { RudderAnalytics } from '@rudderstack/analytics-js/bundled'\n\n"
            "export const analytics = new RudderAnalytics()\n"
            f"analytics.load('{key_value}', '{relay_url}', {{\n"
            f"  configUrl: '{relay_url}',\n"
            "})\n\n"
            "analytics.page()\n"
            "analytics.identify('user-123', { email: 'jane@example.com' })\n"
            "analytics.track('Product Viewed', { product_id: 'sku-1' })\n"
        ),
    }

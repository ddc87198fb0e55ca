"""Browser sources: which origins may send with a public write key, and how fast.

A browser source's key sits in every page of its website, so anyone can read it. What keeps it in its
place: it only ingests; a request carrying an `Origin` (every browser's cross-origin request does) is
accepted, and answered with CORS headers, only from the origins an admin listed; and each key, and each
client address sending with it, is held to a rate (answered 429 with Retry-After). Pure rules and one
limiter, shared by the web processes of a serve run; the HTTP side is in executor.ingest_views.
"""

import fcntl
import hashlib
import math
import mmap
import os
import re
import struct
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from executor import shared_state
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


# A bucket's slot: its name's hash (0: a free slot), tokens, when they were counted, when it is full again.
_SLOT = struct.Struct("<Qddd")
# Each name hashes to a group of slots; a table of GROUPS x WAYS buckets (4 MB).
WAYS = 8
GROUPS = 16_384
_GROUP = struct.Struct("<" + "Qddd" * WAYS)
TABLE_BYTES = GROUPS * _GROUP.size


class RateLimiter:
    """Token buckets by name: `rate` requests a second on average, bursts of `burst`.

    The buckets are kept in a table of fixed size. Under `manage.py serve` it is a file that every web
    process maps (executor.shared_state), locked while a bucket is taken: a client gets the limit
    configured whichever process serves it, not that limit once per process. Elsewhere (a test, a
    process on its own) the table is in this process's memory. A name new to a group whose slots are
    all taken gets the slot of a bucket that has refilled (the same as none), else of the one that
    refills soonest.
    """

    def __init__(self, path: str | None = None) -> None:
        self._path = path  # None: the run's table, if this process is one of a serve run's
        self._lock = threading.Lock()  # threads of one process (a file lock is held per process)
        self._table: mmap.mmap | None = None
        self._file = -1

    def take(self, name: str, rate: float, burst: float, now: float | None = None) -> Verdict:
        # CLOCK_MONOTONIC is the machine's: the same in every process sharing the table.
        now = time.monotonic() if now is None else now
        key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little") | 1
        offset = (key >> 1) % GROUPS * _GROUP.size
        with self._lock:
            table = self._table if self._table is not None else self._open()
            if self._file >= 0:
                fcntl.flock(self._file, fcntl.LOCK_EX)
            try:
                slots = _GROUP.unpack_from(table, offset)
                way = self._way(slots, key)
                if slots[4 * way] == key:
                    tokens = min(burst, slots[4 * way + 1] + (now - slots[4 * way + 2]) * rate)
                else:
                    tokens = burst
                allowed = tokens >= 1
                if allowed:
                    tokens -= 1
                full_at = now + (burst - tokens) / rate if rate > 0 else math.inf
                _SLOT.pack_into(table, offset + way * _SLOT.size, key, tokens, now, full_at)
            finally:
                if self._file >= 0:
                    fcntl.flock(self._file, fcntl.LOCK_UN)
        if allowed:
            return Verdict(True)
        return Verdict(False, max(1, math.ceil((1 - tokens) / rate)))

    @staticmethod
    def _way(slots: tuple, key: int) -> int:
        """The slot of `key`'s bucket in its group, else a free one, else the one full again soonest."""
        keys = slots[0::4]
        if key in keys:
            return keys.index(key)
        if 0 in keys:
            return keys.index(0)
        full_at = slots[3::4]
        return full_at.index(min(full_at))

    def _open(self) -> mmap.mmap:
        path = shared_state.run_file("rate-limits") if self._path is None else self._path
        if path:
            self._file = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            if os.fstat(self._file).st_size < TABLE_BYTES:
                os.ftruncate(self._file, TABLE_BYTES)  # zeros: free slots (two processes may both do it)
            self._table = mmap.mmap(self._file, TABLE_BYTES)
        else:
            self._table = mmap.mmap(-1, TABLE_BYTES)
        return self._table

    def reset(self) -> None:
        """Forget every bucket (of every process sharing the table)."""
        with self._lock:
            if self._table is not None:
                self._table[:] = bytes(TABLE_BYTES)


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

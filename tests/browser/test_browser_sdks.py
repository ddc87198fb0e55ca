"""Websites send straight to Relay: the real SDKs from npm (node_modules, installed by `make install` from
package-lock.json; nothing from a CDN), on a page served from another origin than Relay, in Chromium.

Each SDK identifies, tracks and views a page; the events arrive with the browser source's key, route and
deliver to the fake Attentive. A page of an origin the source does not list gets nothing in."""

import json
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.servers.basehttp import WSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread, _StaticFilesHandler
from playwright.sync_api import Page

from destinations.models import Destination
from executor import sending, sources
from executor.models import Delivery, InboundEvent, WriteKey
from executor.tasks import route_pending
from mapper.models import Action
from tests.fake_attentive import GOOD_KEY, FakeAttentive

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
SEGMENT_UMD = "/node_modules/@segment/analytics-next/dist/umd/index.js"
RUDDERSTACK_UMD = "/node_modules/@rudderstack/analytics-js/dist/npm/modern/bundled/umd/index.js"


class _SiteHandler(SimpleHTTPRequestHandler):
    """The website: its page (set per test) and the SDK files of the project's node_modules."""

    page_html = ""

    def do_GET(self) -> None:
        if self.path in ("/", "/index.html"):
            body = self.server.page_html.encode()  # type: ignore[attr-defined]
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if not self.path.startswith("/node_modules/"):
            self.send_error(404)
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


class _SerialWSGIServer(WSGIServer):
    """One request at a time: the SDKs post concurrently, and the tests' in-memory SQLite database is one
    connection shared with the server's thread (a file database in WAL mode, as Relay runs, has no such
    limit). Django answers each request with Connection: close when the server is not threaded."""

    def __init__(self, *args: object, connections_override: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)


class _SerialLiveServerThread(LiveServerThread):
    server_class = _SerialWSGIServer


class _Relay:
    def __init__(self, url: str) -> None:
        self.url = url


@pytest.fixture
def relay(transactional_db) -> Iterator[_Relay]:
    """Relay, served one request at a time (see _SerialWSGIServer), on a free port."""
    shared = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    for connection in shared.values():
        connection.inc_thread_sharing()
    thread = _SerialLiveServerThread("127.0.0.1", _StaticFilesHandler, connections_override=shared, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield _Relay(f"http://127.0.0.1:{thread.port}")
    thread.terminate()
    for connection in shared.values():
        connection.dec_thread_sharing()


@pytest.fixture
def website() -> Iterator[ThreadingHTTPServer]:
    if not (ROOT / SEGMENT_UMD.lstrip("/")).exists() or not (ROOT / RUDDERSTACK_UMD.lstrip("/")).exists():
        pytest.fail("The browser SDKs are missing: `make install` installs them (npm ci).")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_SiteHandler, directory=str(ROOT)))
    server.daemon_threads = True
    server.page_html = ""  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def origin_of(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def delivering(fake: FakeAttentive) -> Destination:
    """A destination with an action for each call: identify (identity), track and page (custom events)."""
    sources.limiter.reset()
    destination = Destination(name="Shop", default_region="US")
    destination.set_api_key(GOOD_KEY)
    destination.save()
    Action.objects.create(
        destination=destination,
        action_type="identify",
        name="Identify",
        trigger="type == 'identify'",
        mappings={"email": "traits.email || context.traits.email", "external_id": "userId"},
    )
    Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name="Tracked",
        trigger="type == 'track'",
        mappings={"event_name": "event", "external_id": "userId", "properties": "properties"},
    )
    Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name="Viewed",
        trigger="type == 'page'",
        mappings={"event_name": "'Page Viewed'", "external_id": "userId"},
    )
    return destination


def browser_source(*origins: str) -> tuple[WriteKey, str]:
    return WriteKey.issue("Storefront", kind=WriteKey.Kind.BROWSER, allowed_origins=list(origins))


def segment_page(key: str, relay: str, strategy: str, inline_settings: bool = False) -> str:
    """analytics.js loading its settings from Relay (`cdnURL`), or given them inline (as a site that
    fetched them itself would), so that it posts whatever Relay answers its settings request."""
    delivery = (
        "{deliveryStrategy: {strategy: 'batching', config: {size: 3, timeout: 300}}}"
        if strategy == "batching"
        else "{}"
    )
    host = relay.removeprefix("http://") + "/v1"
    settings = (
        f"cdnSettings: {{integrations: {{'Segment.io': {{apiKey: {json.dumps(key)}, apiHost: {json.dumps(host)}, "
        "protocol: 'http'}}, metrics: {sampleRate: 0}}"
        if inline_settings
        else f"cdnURL: {json.dumps(relay)}"
    )
    return f"""<!doctype html><html><head><title>shop</title>
<script src="{SEGMENT_UMD}"></script></head><body><script>
const analytics = AnalyticsNext.AnalyticsBrowser.load(
  {{writeKey: {json.dumps(key)}, {settings}}},
  {{integrations: {{'Segment.io': {delivery}}}}});
analytics.identify('user-1', {{email: 'jane@example.com'}});
analytics.track('Order Shipped', {{order_id: '1001'}});
analytics.page();
</script></body></html>"""


def rudderstack_page(key: str, relay: str, beacon: bool) -> str:
    return f"""<!doctype html><html><head><title>shop</title>
<script src="{RUDDERSTACK_UMD}"></script></head><body><script>
const analytics = new rudderanalytics.RudderAnalytics();
analytics.load({json.dumps(key)}, {json.dumps(relay)}, {{configUrl: {json.dumps(relay)},
  useBeacon: {json.dumps(beacon)}, beaconQueueOptions: {{flushQueueInterval: 300}}}});
analytics.identify('user-1', {{email: 'jane@example.com'}});
analytics.track('Order Shipped', {{order_id: '1001'}});
analytics.page();
</script></body></html>"""


def wait_for(page: Page, condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    """Wait for `condition`, letting the page run meanwhile (Playwright reports its events while it waits)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        page.wait_for_timeout(100)
    return condition()


def assert_delivered(page: Page, destination: Destination, fake: FakeAttentive, key: WriteKey) -> None:
    assert wait_for(page, lambda: InboundEvent.objects.filter(write_key=key).count() >= 3), list(
        InboundEvent.objects.values_list("event_type", flat=True)
    )
    stored = InboundEvent.objects.filter(write_key=key)
    assert sorted(stored.values_list("event_type", flat=True)) == ["identify", "page", "track"]
    route_pending.call()
    sending.drain(destination.sender_key)
    statuses = {d.action.name: (d.status, d.reason) for d in Delivery.objects.select_related("action")}
    assert statuses == dict.fromkeys(("Identify", "Tracked", "Viewed"), (Delivery.Status.DELIVERED, "")), statuses
    bodies = {body.get("type", "identify"): body for body in fake.received}
    assert bodies["Order Shipped"]["properties"] == {"order_id": "1001"}
    assert "Page Viewed" in bodies


def assert_posted(page: Page, posted: list[str], relay_url: str, paths: set[str]) -> None:
    """The page POSTed to exactly `paths` of Relay.

    The browser reports a request to Playwright on its own channel, so the event can reach the test after
    Relay has already stored what the request carried: wait for it rather than read the list once.
    """

    def posted_paths() -> set[str]:
        return {url.removeprefix(relay_url).split("?")[0] for url in posted if url.startswith(relay_url)}

    wait_for(page, lambda: posted_paths() == paths, seconds=5.0)
    assert posted_paths() == paths


@pytest.mark.parametrize("strategy", ["standard", "batching"])
def test_analytics_js_from_another_origin_identifies_tracks_and_views_a_page_delivered(
    page: Page, relay, website, delivering: Destination, fake: FakeAttentive, strategy: str
) -> None:
    key, raw = browser_source(origin_of(website))
    website.page_html = segment_page(raw, relay.url, strategy)
    posted: list[str] = []
    page.on("request", lambda request: posted.append(request.url) if request.method == "POST" else None)
    page.goto(origin_of(website) + "/")
    assert_delivered(page, delivering, fake, key)
    short = {"/v1/b"} if strategy == "batching" else {"/v1/i", "/v1/t", "/v1/p"}
    assert_posted(page, posted, relay.url, short)


@pytest.mark.parametrize("beacon", [False, True])
def test_rudderstack_from_another_origin_identifies_tracks_and_views_a_page_delivered(
    page: Page, relay, website, delivering: Destination, fake: FakeAttentive, beacon: bool
) -> None:
    key, raw = browser_source(origin_of(website))
    website.page_html = rudderstack_page(raw, relay.url, beacon)
    posted: list[str] = []
    page.on("request", lambda request: posted.append(request.url) if request.method == "POST" else None)
    page.goto(origin_of(website) + "/")
    assert_delivered(page, delivering, fake, key)
    assert_posted(
        page, posted, relay.url, {"/beacon/v1/batch"} if beacon else {"/v1/identify", "/v1/track", "/v1/page"}
    )


def test_a_page_of_an_origin_the_source_does_not_list_gets_nothing_in(
    page: Page, relay, website, delivering: Destination
) -> None:
    _, raw = browser_source("https://shop.example.com")
    website.page_html = segment_page(raw, relay.url, "standard", inline_settings=True)
    tried: list[str] = []
    page.on("request", lambda r: tried.append(r.url.removeprefix(relay.url)) if r.url.startswith(relay.url) else None)
    page.goto(origin_of(website) + "/")
    # analytics.js tries each call; the preflight of this origin gets no CORS answer, so the browser sends
    # nothing (and a request that skipped the preflight would get a 403: tests/executor/test_browser_sources.py).
    assert wait_for(page, lambda: set(tried) >= {"/v1/i", "/v1/t", "/v1/p"}), tried
    page.wait_for_timeout(1000)
    assert InboundEvent.objects.count() == 0


def test_the_settings_of_a_source_are_refused_to_a_page_of_another_origin(page: Page, relay, website) -> None:
    _, raw = browser_source("https://shop.example.com")
    website.page_html = segment_page(raw, relay.url, "standard")
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(origin_of(website) + "/")
    # No CORS answer for this origin: the browser refuses the settings, and the SDK sends nothing.
    assert wait_for(page, lambda: any("/settings" in url for url in failed), 10), failed
    page.wait_for_timeout(1000)
    assert InboundEvent.objects.count() == 0

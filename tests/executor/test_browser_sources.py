"""Browser sources over HTTP (executor/ingest_views.py, sources.py): analytics.js's short paths, RudderStack's
paths and beacon, CORS for the allowed origins only, rate limits, text/plain bodies and idempotency."""

import base64
import json

import pytest
from django.test import Client

from executor import sources
from executor.models import InboundEvent, WriteKey
from tests.events import shipped_event

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"
OTHER = "https://evil.example.net"


@pytest.fixture(autouse=True)
def fresh_limiter():
    sources.limiter.reset()
    yield
    sources.limiter.reset()


@pytest.fixture
def browser_key(db) -> str:
    _, raw = WriteKey.issue("Storefront", kind=WriteKey.Kind.BROWSER, allowed_origins=[SHOP])
    return raw


def text_post(client: Client, path: str, body: object, origin: str | None = SHOP, remote_addr: str = "127.0.0.1"):
    """As analytics.js posts: JSON sent as text/plain (no preflight), the key in the body."""
    headers = {"Origin": origin} if origin else {}
    return client.post(
        path, json.dumps(body).encode(), content_type="text/plain", headers=headers, REMOTE_ADDR=remote_addr
    )


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def test_analytics_js_track_on_the_short_path_is_stored_with_cors_for_its_origin(client, browser_key) -> None:
    response = text_post(client, "/v1/t", {**shipped_event(), "writeKey": browser_key})
    assert response.status_code == 200
    assert response.json()["success"] is True
    assert response["Access-Control-Allow-Origin"] == SHOP
    event = InboundEvent.objects.get()
    assert (event.event_type, event.event_name) == ("track", "Order Shipped")
    assert "writeKey" not in event.body  # the key is not kept with the event


@pytest.mark.parametrize(
    ("path", "event_type"),
    [("/v1/i", "identify"), ("/v1/p", "page"), ("/v1/s", "screen"), ("/v1/g", "group"), ("/v1/a", "alias")],
)
def test_every_short_path_names_its_call(client, browser_key, path: str, event_type: str) -> None:
    body = {"userId": "u1", "messageId": f"m-{event_type}", "writeKey": browser_key}
    assert text_post(client, path, body).status_code == 200
    assert InboundEvent.objects.get().event_type == event_type


def test_the_batch_short_path_takes_analytics_js_batches(client, browser_key) -> None:
    body = {"batch": [shipped_event(1), shipped_event(2)], "sentAt": "2026-12-06T05:00:00Z", "writeKey": browser_key}
    response = text_post(client, "/v1/b", body)
    assert response.status_code == 200
    assert response.json()["accepted"] == 2


def test_a_mobile_batch_with_basic_auth_and_no_origin_is_stored(client, browser_key) -> None:
    response = client.post(
        "/v1/b",
        json.dumps({"batch": [shipped_event(1)]}),
        content_type="application/json",
        headers={"Authorization": basic(browser_key)},
    )
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
    assert InboundEvent.objects.count() == 1


def test_a_request_from_another_origin_is_refused_without_cors_headers(client, browser_key) -> None:
    response = text_post(client, "/v1/t", {**shipped_event(), "writeKey": browser_key}, origin=OTHER)
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    assert InboundEvent.objects.count() == 0


def test_a_server_key_is_refused_from_a_page(client, write_key) -> None:
    response = text_post(client, "/v1/t", {**shipped_event(), "writeKey": write_key}, origin=SHOP)
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    assert InboundEvent.objects.count() == 0


def test_the_preflight_is_answered_for_an_allowed_origin_with_the_sdk_headers(client, browser_key) -> None:
    response = client.options(
        "/v1/track",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,anonymousid",
        },
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert "POST" in response["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "anonymousid"} <= allowed


def test_the_preflight_of_another_origin_gets_no_cors_headers(client, browser_key) -> None:
    response = client.options("/v1/track", headers={"Origin": OTHER, "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in response


def test_rudderstack_track_with_basic_auth_and_json_is_stored_with_cors(client, browser_key) -> None:
    response = client.post(
        "/v1/track",
        json.dumps(shipped_event()),
        content_type="application/json;charset=UTF-8",
        headers={"Authorization": basic(browser_key), "Origin": SHOP, "AnonymousId": "YW5vbg=="},
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert InboundEvent.objects.count() == 1


def test_a_beacon_batch_with_the_key_in_the_query_is_stored(client, browser_key) -> None:
    body = {"batch": [shipped_event(1), shipped_event(2)], "sentAt": "2026-12-06T05:00:00Z"}
    response = client.post(
        f"/beacon/v1/batch?writeKey={browser_key}",
        json.dumps(body),
        content_type="text/plain;charset=UTF-8",
        headers={"Origin": SHOP},
    )
    assert response.status_code == 200
    assert InboundEvent.objects.count() == 2


def test_a_beacon_without_a_valid_key_is_refused(client, browser_key) -> None:
    response = client.post(
        "/beacon/v1/batch?writeKey=nope", json.dumps({"batch": [shipped_event()]}), content_type="text/plain"
    )
    assert response.status_code == 401
    assert InboundEvent.objects.count() == 0


def test_the_same_message_id_on_the_short_paths_is_stored_once(client, browser_key) -> None:
    body = {**shipped_event(), "writeKey": browser_key}
    first = text_post(client, "/v1/t", body)
    again = text_post(client, "/v1/t", body)
    batch = text_post(client, "/v1/b", {"batch": [shipped_event()], "writeKey": browser_key})
    assert (first.status_code, again.status_code, batch.status_code) == (200, 200, 200)
    assert again.json()["duplicates"][0]["messageId"] == "msg-1"
    assert batch.json()["accepted"] == 0
    assert InboundEvent.objects.count() == 1


def test_text_plain_that_is_not_json_is_a_400_problem(client, browser_key) -> None:
    response = client.post("/v1/t", b"not json", content_type="text/plain", headers={"Origin": SHOP})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_other_content_types_are_still_refused(client, browser_key) -> None:
    response = client.post("/v1/t", b"a=b", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_a_source_over_its_rate_per_address_is_answered_429_with_retry_after(client, browser_key, settings) -> None:
    settings.RELAY_BROWSER_RATE_PER_IP = 1.0  # bursts of 2
    codes = [text_post(client, "/v1/t", {**shipped_event(i), "writeKey": browser_key}).status_code for i in range(3)]
    assert codes == [200, 200, 429]
    response = text_post(client, "/v1/t", {**shipped_event(9), "writeKey": browser_key})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert response["X-RateLimit-Reset"] == response["Retry-After"]
    assert response["Access-Control-Allow-Origin"] == SHOP  # the SDK can read it, and retries later
    assert "Retry-After" in response["Access-Control-Expose-Headers"]
    assert "this address sends more requests" in response.json()["detail"]
    assert InboundEvent.objects.count() == 2


def test_another_address_has_its_own_rate_but_the_key_has_one_too(client, browser_key, settings) -> None:
    settings.RELAY_BROWSER_RATE_PER_IP = 1.0
    settings.RELAY_BROWSER_RATE_PER_KEY = 2.0  # bursts of 4
    codes = [
        text_post(client, "/v1/t", {**shipped_event(i), "writeKey": browser_key}, remote_addr=f"10.0.0.{i}").status_code
        for i in range(5)
    ]
    assert codes == [200, 200, 200, 200, 429]
    over = text_post(client, "/v1/t", {**shipped_event(9), "writeKey": browser_key}, remote_addr="10.0.0.9")
    assert "from all its visitors together" in over.json()["detail"]


def test_behind_a_proxy_each_visitor_has_its_own_rate_and_a_forged_header_changes_nothing(
    client, browser_key, settings
) -> None:
    settings.RELAY_BEHIND_PROXY, settings.RELAY_BROWSER_RATE_PER_IP = True, 1.0  # bursts of 2

    def post(i: int, forwarded: str):
        body = json.dumps({**shipped_event(i), "writeKey": browser_key}).encode()
        headers = {"Origin": SHOP, "X-Forwarded-For": forwarded}
        return client.post(
            "/v1/t", body, content_type="text/plain", headers=headers, REMOTE_ADDR="10.9.9.9"
        ).status_code

    # Every request comes from the proxy (10.9.9.9); the visitors are the addresses it adds last.
    assert [post(i, f"203.0.113.{i}") for i in range(4)] == [200, 200, 200, 200]
    # One visitor writing other addresses before its own is still counted as itself.
    assert [post(10 + i, f"198.51.100.{i}, 203.0.113.50") for i in range(3)] == [200, 200, 429]


def test_server_keys_are_not_rate_limited(client, write_key, settings) -> None:
    settings.RELAY_BROWSER_RATE_PER_IP = 1.0
    codes = {
        text_post(client, "/v1/t", {**shipped_event(i), "writeKey": write_key}, origin=None).status_code
        for i in range(4)
    }
    assert codes == {200}


def test_the_same_size_limit_applies_to_text_plain_bodies(client, browser_key) -> None:
    from executor.envelope import MAX_BODY_BYTES

    body = json.dumps({"batch": [], "writeKey": browser_key, "pad": "x" * MAX_BODY_BYTES})
    response = client.post("/v1/b", body, content_type="text/plain", headers={"Origin": SHOP})
    assert response.status_code == 413


def test_a_revoked_browser_key_is_refused(client, browser_key) -> None:
    WriteKey.objects.get().revoke()
    assert text_post(client, "/v1/t", {**shipped_event(), "writeKey": browser_key}).status_code == 401


def test_rudderstack_source_config_names_the_source_with_no_destinations(client, browser_key) -> None:
    response = client.get(f"/sourceConfig/?p=npm&writeKey={browser_key}", headers={"Origin": SHOP})
    assert response.status_code == 200
    source = response.json()["source"]
    assert source["enabled"] is True
    assert source["destinations"] == []
    assert source["config"] == {}
    assert response["Access-Control-Allow-Origin"] == SHOP


def test_analytics_js_settings_point_its_api_host_at_relay(client, browser_key) -> None:
    response = client.get(f"/v1/projects/{browser_key}/settings", headers={"Origin": SHOP})
    assert response.status_code == 200
    segment = response.json()["integrations"]["Segment.io"]
    assert segment["apiHost"] == "testserver/v1"
    assert response["Access-Control-Allow-Origin"] == SHOP


def test_settings_are_never_answered_for_a_server_key(client, write_key) -> None:
    assert client.get(f"/v1/projects/{write_key}/settings").status_code == 404
    assert client.get(f"/sourceConfig/?writeKey={write_key}").status_code == 401


@pytest.mark.parametrize(
    ("typed", "origin"),
    [
        ("https://Shop.Example.com/", "https://shop.example.com"),
        ("https://shop.example.com:443", "https://shop.example.com"),
        ("http://localhost:8080", "http://localhost:8080"),
    ],
)
def test_origins_are_kept_as_browsers_send_them(typed: str, origin: str) -> None:
    assert sources.normalize_origin(typed) == origin


@pytest.mark.parametrize(
    "typed", ["shop.example.com", "https://shop.example.com/path", "ftp://x.example", "https://*.example.com"]
)
def test_what_is_not_an_origin_is_refused(typed: str) -> None:
    with pytest.raises(sources.OriginError):
        sources.normalize_origin(typed)


def test_the_limiter_refills_at_its_rate() -> None:
    limiter = sources.RateLimiter()
    assert [limiter.take("k", 1.0, 1.0, now=0.0).allowed, limiter.take("k", 1.0, 1.0, now=0.5).allowed] == [True, False]
    assert limiter.take("k", 1.0, 1.0, now=0.5).retry_after == 1
    assert limiter.take("k", 1.0, 1.0, now=1.6).allowed


def test_a_browser_key_on_relays_own_api_is_held_to_its_origins_and_rates(client, browser_key, settings) -> None:
    settings.RELAY_BROWSER_RATE_PER_IP = 1.0
    auth = {"Authorization": f"Bearer {browser_key}"}

    def post(origin: str | None = None) -> int:
        headers = {**auth, "Origin": origin} if origin else auth
        return client.post(
            "/api/v1/events", shipped_event(), content_type="application/json", headers=headers
        ).status_code

    assert post(OTHER) == 403
    assert [post(), post(), post()] == [202, 202, 429]


def test_a_name_new_to_a_full_group_takes_the_slot_of_a_refilled_bucket_and_the_others_keep_theirs(
    monkeypatch,
) -> None:
    monkeypatch.setattr(sources, "GROUPS", 1)  # every name in one group of WAYS slots
    limiter = sources.RateLimiter()
    limiter.take("fast", 100.0, 1.0, now=0.0)  # full again 10 ms later
    slow = [f"slow-{index}" for index in range(sources.WAYS - 1)]
    for name in slow:
        limiter.take(name, 0.001, 1.0, now=0.0)  # empty for a long time
    assert limiter.take("new", 1.0, 1.0, now=1.0).allowed
    assert not any(limiter.take(name, 0.001, 1.0, now=1.0).allowed for name in slow)


def test_limiters_on_one_table_share_its_buckets(tmp_path) -> None:
    table = str(tmp_path / "rate-limits")
    one, other = sources.RateLimiter(table), sources.RateLimiter(table)
    assert [
        one.take("k", 1.0, 2.0, now=0.0).allowed,
        other.take("k", 1.0, 2.0, now=0.0).allowed,
        one.take("k", 1.0, 2.0, now=0.0).allowed,
    ] == [True, True, False]
    assert other.take("k", 1.0, 2.0, now=0.0).retry_after == 1

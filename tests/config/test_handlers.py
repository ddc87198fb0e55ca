"""config/handlers.py: the ingest paths take a shorter way through Django, and answer exactly what the
whole stack answers."""

import io
import json
import sys
from typing import Any

import pytest
from django.conf import settings
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.urls import get_resolver, resolve

from accounts.middleware import is_ingest_path
from config.handlers import INGEST_URLCONF, SKIPPED_ON_INGEST, IngestHandler, RelayApplication, ingest_middleware
from executor.models import InboundEvent, WriteKey
from tests.events import shipped_event

INGEST_PATHS = [
    "/api/v1/events",
    "/v1/track",
    "/v1/identify",
    "/v1/batch",
    "/v1/t",
    "/v1/b",
    "/beacon/v1/batch",
    "/sourceConfig/",
    "/v1/projects/wk_abc/settings",
]


def call(app: Any, method: str, path: str, body: bytes = b"", **headers: str) -> tuple[str, dict[str, str], bytes]:
    """`app` called as the web server calls it: status line, headers, body."""
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        **{name if name == "CONTENT_TYPE" else f"HTTP_{name}": value for name, value in headers.items()},
    }
    answer: list[Any] = []
    # As Django's test client does: the test's database connection (its transaction) stays open.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        response = app(environ, lambda status, headers: answer.extend([status, headers]))
        content = b"".join(response)
        response.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return answer[0], dict(answer[1]), content


def test_every_ingest_pattern_is_an_ingest_path_and_resolves_to_the_same_view_through_the_site() -> None:
    for path in INGEST_PATHS:
        assert is_ingest_path(path)
        assert get_resolver(INGEST_URLCONF).resolve(path).func is resolve(path).func
    for pattern in get_resolver(INGEST_URLCONF).url_patterns:
        assert is_ingest_path("/" + str(pattern.pattern).lstrip("^").rstrip("$").split("(")[0].split("<")[0])


def test_no_other_page_of_the_site_is_behind_an_ingest_path() -> None:
    ingest_views = {pattern.callback for pattern in get_resolver(INGEST_URLCONF).url_patterns}
    for path in ["/v1/projects/", "/v1/", "/beacon/", "/sourceConfig/x", "/v1/tracks", "/beacon/v1/batch/"]:
        match = get_resolver().resolve(path) if _resolves(path) else None
        assert match is None or match.func in ingest_views, path


def _resolves(path: str) -> bool:
    from django.urls import Resolver404

    try:
        get_resolver().resolve(path)
    except Resolver404:
        return False
    return True


def test_the_ingest_views_need_no_csrf_check_the_ingest_handler_skips() -> None:
    for pattern in get_resolver(INGEST_URLCONF).url_patterns:
        assert getattr(pattern.callback, "csrf_exempt", False), pattern.name


def test_only_named_middleware_is_skipped_and_the_answer_shaping_ones_run() -> None:
    assert set(settings.MIDDLEWARE) >= SKIPPED_ON_INGEST
    assert ingest_middleware() == [
        "django.middleware.security.SecurityMiddleware",
        "core.problems.ProblemJsonMiddleware",
        "core.csp.ContentSecurityPolicyMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]


def test_a_middleware_added_to_the_settings_runs_on_the_ingest_paths_too(settings) -> None:
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"]
    assert ingest_middleware()[-1] == "django.middleware.gzip.GZipMiddleware"


def test_a_request_elsewhere_takes_the_whole_stack() -> None:
    app = RelayApplication()
    status, headers, _ = call(app, "GET", "/login/")
    assert status.startswith("200")
    assert "csrftoken" in headers.get("Set-Cookie", "")


@pytest.mark.django_db
def test_an_event_is_accepted_and_stored_through_the_ingest_handler() -> None:
    _, raw = WriteKey.issue("checkout")
    status, headers, body = call(
        RelayApplication(),
        "POST",
        "/api/v1/events",
        json.dumps(shipped_event()).encode(),
        CONTENT_TYPE="application/json",
        AUTHORIZATION=f"Bearer {raw}",
    )
    assert status.startswith("202")
    assert json.loads(body) == {"status": "accepted", "messageId": "msg-1"}
    assert InboundEvent.objects.get().write_key.label == "checkout"
    assert "Set-Cookie" not in headers


REQUESTS: list[tuple[str, str, bytes, dict[str, str]]] = [
    ("POST", "/api/v1/events", b"{}", {"CONTENT_TYPE": "application/json"}),  # no key: 401
    ("POST", "/api/v1/events", b"{}", {"CONTENT_TYPE": "application/json", "AUTHORIZATION": "Bearer wk_nope"}),
    ("GET", "/api/v1/events", b"", {}),  # 405, turned into problem+json
    ("POST", "/api/v1/events", b"x", {"CONTENT_TYPE": "text/csv", "AUTHORIZATION": "KEY"}),  # 415
    ("POST", "/api/v1/events", b"[nope", {"CONTENT_TYPE": "application/json", "AUTHORIZATION": "KEY"}),  # 400
    ("POST", "/api/v1/events", b'{"type": "track"}', {"CONTENT_TYPE": "application/json", "AUTHORIZATION": "KEY"}),
    ("POST", "/v1/track", b"{}", {"CONTENT_TYPE": "text/plain", "ORIGIN": "https://shop.example"}),
    ("OPTIONS", "/v1/t", b"", {"ORIGIN": "https://shop.example", "ACCESS_CONTROL_REQUEST_HEADERS": "content-type"}),
    ("OPTIONS", "/v1/t", b"", {"ORIGIN": "https://elsewhere.example"}),
    ("GET", "/v1/track", b"", {}),
    ("POST", "/v1/nothing-here", b"{}", {"CONTENT_TYPE": "application/json"}),  # 404 as problem+json
    ("POST", "/beacon/v1/batch?writeKey=wk_nope", b"{}", {"CONTENT_TYPE": "text/plain"}),
    ("GET", "/sourceConfig/?writeKey=BROWSER", b"", {"ORIGIN": "https://shop.example"}),
    ("GET", "/v1/projects/BROWSER/settings", b"", {}),
    ("GET", "/v1/projects/wk_nope/settings", b"", {}),
    ("POST", "/api/v1/events", b"{}", {"CONTENT_TYPE": "application/json", "HOST": "evil.example"}),  # 400
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "body", "headers"), REQUESTS)
def test_the_ingest_handler_answers_what_the_whole_stack_answers(
    method: str, path: str, body: bytes, headers: dict[str, str]
) -> None:
    _, server_key = WriteKey.issue("server")
    _, browser_key = WriteKey.issue("site", kind="browser", allowed_origins=["https://shop.example"])

    def with_keys(text: str) -> str:
        return text.replace("BROWSER", browser_key)

    path = with_keys(path)
    headers = {name: with_keys(value) for name, value in headers.items()}
    if headers.get("AUTHORIZATION") == "KEY":
        headers["AUTHORIZATION"] = f"Bearer {server_key}"
    whole = call(WSGIHandler(), method, path, body, **headers)
    short = call(IngestHandler(), method, path, body, **headers)
    assert short[0] == whole[0]
    assert short[1] == whole[1]
    assert short[2] == whole[2]
    assert short[1].get("X-Content-Type-Options") == "nosniff"
    assert not short[0].startswith("5")


@pytest.mark.django_db
def test_an_unknown_address_under_an_ingest_prefix_is_a_404_problem() -> None:
    # Its 404 page is rendered without a user (the ingest paths have none), then turned into problem+json.
    status, headers, body = call(RelayApplication(), "POST", "/v1/nothing-here", b"{}", CONTENT_TYPE="application/json")
    assert status.startswith("404")
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["title"] == "Not Found"

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory) -> None:
    """On SQLite, the test database is a file in WAL mode, as the product's is (config/settings.py sets WAL
    on every connection): threads and the test each get their own connection, readers never wait for the
    writer, and a second writer waits its turn (busy timeout) rather than failing at once as it would on
    Django's default in-memory shared-cache test database."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("database") / "test.sqlite3")


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def track_event() -> dict[str, Any]:
    """A typical Segment track call, as analytics libraries send it."""
    return {
        "type": "track",
        "event": "Order Shipped",
        "userId": "user-1042",
        "messageId": "msg-0001",
        "timestamp": "2026-11-27T09:30:00.000Z",
        "properties": {"order_id": "54321", "carrier": "UPS", "total": 86.4},
        "context": {"traits": {"email": " Jane.Doe@Example.com ", "phone": "(415) 555-2671"}},
    }


@pytest.fixture
def identify_event() -> dict[str, Any]:
    return {
        "type": "identify",
        "userId": "user-1042",
        "messageId": "msg-0002",
        "timestamp": "2026-11-27T09:30:00.000Z",
        "traits": {
            "email": "jane.doe@example.com",
            "firstName": "Jane",
            "lastName": "Doe",
        },
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # Tests create many users; the production hasher is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_runtime() -> None:
    # Each test gets a fresh database: forget what this process remembered of the last one
    # (known signal rows, clients, pacers, threads, stop flags: executor.runtime).
    from executor.runtime import runtime

    runtime.reset()


@pytest.fixture(autouse=True)
def _commit_ingest_in_the_request(settings) -> None:
    # Group commit uses its own thread and connection, outside the test's transaction; the
    # process-level tests (tests/executor/test_worker_processes.py) run it for real.
    settings.RELAY_INGEST_GROUP_COMMIT = False


@pytest.fixture(autouse=True)
def _route_in_the_task_only(settings) -> None:
    # A router thread would read and write on its own connection after the task returned, outside
    # the test's transaction; the process-level tests run it for real.
    settings.RELAY_ROUTER_IDLE_SECONDS = 0


@contextmanager
def fake_attentive(settings: Any, timeout: float = 1.0, **options: Any) -> Iterator[Any]:
    """A fake Attentive on 127.0.0.1 that the settings point at (its plain http allowed by the operator setting)."""
    from executor.runtime import runtime
    from tests.fake_attentive import FakeAttentive

    server = FakeAttentive(**options).start()
    settings.RELAY_ALLOW_PLAIN_HTTP_ATTENTIVE = True
    settings.ATTENTIVE_API_URL = server.url
    settings.ATTENTIVE_TIMEOUT_SECONDS = timeout
    runtime.close_clients()
    try:
        yield server
    finally:
        runtime.close_clients()
        server.stop()


@pytest.fixture
def fake(settings) -> Iterator[Any]:
    with fake_attentive(settings, company="Acme Health Inc.") as server:
        yield server


@pytest.fixture
def client() -> Any:
    """Django's test client, sending the ingest paths through the ingest handler as the web server does."""
    from tests.client import RelayClient

    return RelayClient()


@pytest.fixture
def api_as(db) -> Callable[[str], Any]:
    """A REST API client signed in with a personal token of a new user of this role."""
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from accounts.models import ApiToken
    from accounts.roles import set_role
    from tests.client import route_as_the_server_does

    def make(role: str) -> APIClient:
        user = get_user_model().objects.create_user(f"api-{role}-{get_user_model().objects.count()}")
        set_role(user, role)
        _, raw = ApiToken.issue(user, "tests")
        client = route_as_the_server_does(APIClient())
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture(autouse=True)
def _forward_erasures_at_once(settings) -> None:
    # The delay that waits out sends judged before a request (executor.erasure.forward_delay) is
    # tested on its own, and for real with separate processes.
    settings.RELAY_ERASURE_FORWARD_DELAY_SECONDS = 0

"""The ingest paths skip the session machinery (accounts.middleware); the pages keep it."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.middleware import is_ingest_path
from executor import ingest_views
from executor.models import WriteKey
from tests.events import shipped_event

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/events", "/v1/track", "/v1/b", "/beacon/v1/batch", "/sourceConfig/"])
def test_the_paths_that_take_events_are_ingest_paths(path: str) -> None:
    assert is_ingest_path(path)


@pytest.mark.parametrize("path", ["/", "/login/", "/api/v1/write-keys", "/api/v1/events/x", "/sources/"])
def test_pages_and_the_rest_of_the_api_are_not_ingest_paths(path: str) -> None:
    assert not is_ingest_path(path)


def test_an_ingest_request_is_answered_without_a_session_even_from_a_signed_in_browser(monkeypatch) -> None:
    seen = []
    refuse = ingest_views._refuse_from_browser

    def spy(request, write_key):
        seen.append((hasattr(request, "session"), hasattr(request, "user")))
        return refuse(request, write_key)

    monkeypatch.setattr(ingest_views, "_refuse_from_browser", spy)
    client = Client()
    client.force_login(get_user_model().objects.create_user("admin", password="x"))
    _, raw = WriteKey.issue("checkout")
    response = client.post(
        "/api/v1/events",
        json.dumps(shipped_event()),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 202
    assert seen == [(False, False)]
    assert not response.cookies


def test_a_page_still_sees_the_signed_in_user() -> None:
    client = Client()
    client.force_login(get_user_model().objects.create_user("admin", password="x"))
    response = client.get("/account/password/")
    assert response.status_code == 200
    assert response.wsgi_request.user.username == "admin"

"""The source pages (executor/source_views.py): every role reads them, admins manage; the snippet and the
live view, masked for everyone but admins."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.roles import set_role
from executor.ingest import ingest
from executor.models import InboundEvent, WriteKey
from tests.events import shipped_event

pytestmark = pytest.mark.django_db


def signed_in(role: str) -> Client:
    person = get_user_model().objects.create_user(f"u-{role}")
    set_role(person, role)
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def storefront() -> tuple[WriteKey, str]:
    key, raw = WriteKey.issue("Storefront", kind="browser", allowed_origins=["https://shop.example.com"])
    ingest([shipped_event()], source="segment", write_key=key)
    return key, raw


def test_an_admin_creates_a_browser_source_and_lands_on_its_page_with_the_snippet() -> None:
    client = signed_in("admin")
    response = client.post(
        "/sources/", {"label": "Storefront", "kind": "browser", "allowed_origins": "https://shop.example.com\n"}
    )
    key = WriteKey.objects.get()
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert key.public_key in page
    assert "@segment/analytics-next" in page
    assert "@rudderstack/analytics-js/bundled" in page
    assert "cdn.segment" not in page
    assert "cdnURL: &#x27;http://testserver&#x27;" in page


def test_a_bad_origin_is_shown_on_its_field_and_nothing_is_created() -> None:
    response = signed_in("admin").post("/sources/", {"label": "Shop", "kind": "browser", "allowed_origins": "shop"})
    assert response.status_code == 400
    assert 'id="allowed_origins_error"' in response.content.decode()
    assert WriteKey.objects.count() == 0


def test_a_server_key_is_shown_once_on_its_page() -> None:
    client = signed_in("admin")
    response = client.post("/sources/", {"label": "Checkout", "kind": "server"})
    first = client.get(response["Location"]).content.decode()
    again = client.get(response["Location"]).content.decode()
    assert 'data-testid="new-write-key"' in first
    assert 'data-testid="new-write-key"' not in again


@pytest.mark.parametrize("role", ["marketer", "engineer"])
def test_other_roles_read_the_page_without_the_key_or_values_and_cannot_change_it(role: str, storefront) -> None:
    key, raw = storefront
    client = signed_in(role)
    page = client.get(f"/sources/{key.pk}/").content.decode()
    assert raw not in page
    assert "person1@example.com" not in page
    assert "Order Shipped" in page  # the event name is shown (it is no health information)
    assert client.post(f"/sources/{key.pk}/", {"allowed_origins": "https://x.example.com"}).status_code == 403
    assert client.post("/sources/", {"label": "x", "kind": "server"}).status_code == 403


def test_the_admin_sees_the_live_events_with_their_values(storefront) -> None:
    key, _ = storefront
    fragment = signed_in("admin").get(f"/sources/{key.pk}/live/").content.decode()
    assert "person1@example.com" in fragment


def test_the_live_view_is_masked_for_non_admins(storefront) -> None:
    key, _ = storefront
    fragment = signed_in("engineer").get(f"/sources/{key.pk}/live/").content.decode()
    assert "Order Shipped" in fragment
    assert "person1@example.com" not in fragment
    assert "•••" in fragment


def test_the_admin_changes_the_origins_and_revokes(storefront) -> None:
    key, _raw = storefront
    client = signed_in("admin")
    client.post(f"/sources/{key.pk}/", {"allowed_origins": "https://shop.example.com\nhttps://m.shop.example.com"})
    key.refresh_from_db()
    assert key.allowed_origins == ["https://shop.example.com", "https://m.shop.example.com"]
    client.post(f"/sources/{key.pk}/", {"revoke": "1"})
    key.refresh_from_db()
    assert not key.is_active


def test_a_revoked_source_offers_no_snippet_to_paste(storefront) -> None:
    key, raw = storefront
    client = signed_in("admin")
    assert 'data-testid="snippet-1"' in client.get(f"/sources/{key.pk}/").content.decode()
    client.post(f"/sources/{key.pk}/", {"revoke": "1"})
    page = client.get(f"/sources/{key.pk}/").content.decode()
    assert 'data-testid="snippet-1"' not in page
    assert raw not in page
    assert "This source is revoked" in page


def test_revoking_asks_once_more_before_it_happens(storefront) -> None:
    key, _ = storefront
    page = signed_in("admin").get(f"/sources/{key.pk}/").content.decode()
    confirm = page.split("<summary>Revoke this source…</summary>")[1].split("</details>")[0]
    assert 'name="revoke"' in confirm


def test_anonymous_visitors_are_sent_to_sign_in(storefront) -> None:
    key, _ = storefront
    for url in ("/sources/", f"/sources/{key.pk}/", f"/sources/{key.pk}/live/"):
        assert Client().get(url).status_code == 302


def test_an_events_page_names_the_source_it_came_with(storefront) -> None:
    key, _ = storefront
    event = InboundEvent.objects.get()
    page = signed_in("engineer").get(f"/events/{event.pk}/").content.decode()
    assert f'href="/sources/{key.pk}/" data-testid="event-source">Storefront</a>' in page


def test_revoking_a_source_again_from_a_stale_page_says_it_is_already_revoked(storefront) -> None:
    key, _raw = storefront
    client = signed_in("admin")
    client.post(f"/sources/{key.pk}/", {"revoke": "1"})
    stale = client.post(f"/sources/{key.pk}/", {"revoke": "1"})
    assert stale.status_code == 400
    assert "This source is already revoked." in stale.content.decode()

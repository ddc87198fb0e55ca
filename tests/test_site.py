import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from destinations.models import Destination

pytestmark = pytest.mark.django_db

API_KEY = "ak_live_NEVER_SHOWN_7f3e"


def test_root_leads_to_the_sign_in_page(client: Client) -> None:
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert b"Sign in to Relay" in response.content


def test_admin_lists_destinations_without_their_keys(client: Client) -> None:
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "a-long-password-123")
    destination = Destination(name="Brand")
    destination.set_api_key(API_KEY)
    destination.save()
    client.force_login(admin)
    for url in ("/admin/destinations/destination/", f"/admin/destinations/destination/{destination.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200
        assert API_KEY.encode() not in response.content
        assert destination.api_key_encrypted.encode() not in response.content
        assert "••••7f3e" in response.content.decode()

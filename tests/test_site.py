import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

API_KEY = "ak_live_NEVER_SHOWN_7f3e"


def test_root_leads_to_the_sign_in_page(client: Client) -> None:
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert b"Sign in to Relay" in response.content


# Django's admin site signed admins in with the password alone (no second factor) and its changes
# escaped the audit log. Everything it managed has a page of the product, so it is gone.
@pytest.mark.parametrize("url", ["/admin/", "/admin/login/", "/admin/destinations/destination/"])
def test_there_is_no_admin_site(client: Client, url: str) -> None:
    assert client.get(url).status_code == 404


def test_an_admin_password_alone_signs_nobody_in_through_an_admin_login(client: Client) -> None:
    get_user_model().objects.create_superuser("root", "root@example.com", "a-long-password-123")
    response = client.post("/admin/login/", {"username": "root", "password": "a-long-password-123"})
    assert response.status_code == 404
    assert "_auth_user_id" not in client.session


def test_the_docs_are_served_to_signed_in_people_with_the_anchors_pages_link_to(client: Client) -> None:
    from accounts.roles import set_role

    assert client.get("/docs/privacy/").status_code == 302  # sign in first
    user = get_user_model().objects.create_user("eng")
    set_role(user, "engineer")
    client.force_login(user)
    html = client.get("/docs/privacy/").content.decode()
    assert 'id="forgetting-a-person-erasure"' in html
    assert client.get("/docs/nothing-here/").status_code == 404

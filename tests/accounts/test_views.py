"""The accounts pages: a new user chooses their own password first; everyone can change theirs."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import AuditEntry, PasswordChangeRequired
from accounts.roles import ROLES, set_role

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "my-own-long-password-9"


def _admin_adds(username: str) -> str:
    admin = get_user_model().objects.create_user("root")
    set_role(admin, "admin")
    client = Client()
    client.force_login(admin)
    page = client.post("/users/", {"username": username, "email": "", "role": "marketer"}).content.decode()
    return page.split('data-testid="new-password">')[1].split("<")[0]


def test_a_new_user_is_asked_to_change_the_password_an_admin_gave_them_at_first_sign_in() -> None:
    issued = _admin_adds("newbie")
    client = Client()
    client.post("/login/", {"username": "newbie", "password": issued})
    response = client.get("/destinations/")
    assert response["Location"] == "/account/password/"
    page = client.get("/account/password/").content.decode()
    assert "Your password was set by an admin: choose your own before going on." in page


def test_once_they_chose_their_own_they_go_where_they_want() -> None:
    issued = _admin_adds("newbie")
    client = Client()
    client.post("/login/", {"username": "newbie", "password": issued})
    client.post(
        "/account/password/", {"old_password": issued, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert client.get("/destinations/").status_code == 200
    assert not PasswordChangeRequired.objects.exists()
    entry = AuditEntry.objects.get(verb="password_changed", actor_name="newbie")
    assert (entry.target_type, entry.target_name) == ("user", "newbie")  # the user, not the request's lazy object


@pytest.mark.parametrize("role", [*ROLES, None])
def test_every_signed_in_user_has_a_change_my_password_link(role: str | None) -> None:
    user = get_user_model().objects.create_user(f"u-{role}", password="an-old-long-password-1")
    if role:
        set_role(user, role)
    client = Client()
    client.force_login(user)
    page = client.get("/account/password/")
    assert page.status_code == 200
    assert '<a href="/account/password/">Change my password</a>' in page.content.decode()


def test_a_user_changing_their_password_by_choice_is_not_told_an_admin_set_it() -> None:
    user = get_user_model().objects.create_user("eng", password="an-old-long-password-1")
    set_role(user, "engineer")
    client = Client()
    client.force_login(user)
    page = client.get("/account/password/").content.decode()
    assert "<h1>Change my password</h1>" in page
    assert "set by an admin" not in page


def test_a_user_switched_off_keeps_their_role_on_the_users_pages_and_gets_it_back_when_switched_on() -> None:
    admin = get_user_model().objects.create_user("root")
    set_role(admin, "admin")
    mary = get_user_model().objects.create_user("mary")
    set_role(mary, "marketer")
    client = Client()
    client.force_login(admin)
    client.post(f"/users/{mary.pk}/", {"role": "marketer"})  # the Active box unticked
    assert get_user_model().objects.get(pk=mary.pk).is_active is False
    assert "<td>marketer</td>" in client.get("/users/").content.decode()
    form = client.get(f"/users/{mary.pk}/").content.decode()
    assert 'value="marketer" selected' in form
    client.post(f"/users/{mary.pk}/", {"role": "marketer", "is_active": "on"})
    from accounts.roles import role_of

    assert role_of(get_user_model().objects.get(pk=mary.pk)) == "marketer"

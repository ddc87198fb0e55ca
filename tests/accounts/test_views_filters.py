"""The audit log page refuses a filter it cannot read: a 400 page naming it, never the whole log."""

import pytest
from django.test import Client

from accounts.audit import record
from accounts.roles import set_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client: Client, django_user_model) -> Client:
    user = django_user_model.objects.create_user("ada", password="a-long-password-1")
    set_role(user, "admin")
    client.force_login(user)
    record(user, "replay")
    return client


def _rows(html: str) -> int:
    return html.count("<tr><td>")


@pytest.mark.parametrize("query", [{"verb": "x" * 65}, {"actor": "y" * 151}, {"verbs": "replay"}])
def test_a_malformed_filter_of_the_audit_log_is_a_400_page_naming_it(admin: Client, query: dict) -> None:
    response = admin.get("/audit/", query)
    assert response.status_code == 400
    html = response.content.decode()
    assert f"<code>{next(iter(query))}</code>" in html
    assert _rows(html) == 0


def test_a_well_formed_filter_of_the_audit_log_still_filters(admin: Client) -> None:
    assert _rows(admin.get("/audit/", {"verb": "replay", "page": "1"}).content.decode()) == 1
    assert _rows(admin.get("/audit/", {"verb": "logout"}).content.decode()) == 0


def test_a_filter_that_matches_nothing_says_so_rather_than_nothing_recorded(admin: Client) -> None:
    page = admin.get("/audit/?verb=zzz").content.decode()
    assert "No entry matches these filters." in page
    assert "Nothing recorded yet." not in page

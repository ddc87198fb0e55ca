"""accounts.commands: issue and revoke API tokens, from the page and the command line; add and change users,
reset their password or their two-factor sign-in, from the users pages; each audited once."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client

from accounts import commands, two_factor
from accounts.models import ApiToken, PasswordChangeRequired, RecoveryCode
from accounts.roles import role_of
from core.commands import Refused
from tests.commands import entries, last_entry_id, page_client, person

pytestmark = pytest.mark.django_db


def test_issue_api_token_gives_ones_own_token_once_and_audits_it() -> None:
    engineer = person("engineer")
    token, raw = commands.issue_api_token(engineer, label="ci")
    assert token.user == engineer
    assert raw.startswith(token.prefix)
    assert entries() == [("api_token_created", "apitoken", str(token), {})]


def test_issue_api_token_needs_a_label() -> None:
    with pytest.raises(Refused) as refused:
        commands.issue_api_token(person("engineer"), label=" ")
    assert list(refused.value.errors) == ["label"]


def test_issue_api_token_for_someone_else_is_for_admins() -> None:
    engineer = person("engineer")
    with pytest.raises(PermissionDenied):
        commands.issue_api_token(person("marketer"), label="ci", user=engineer)
    token, _ = commands.issue_api_token(person("admin"), label="ci", user=engineer)
    assert token.user == engineer


def test_revoke_api_token_stops_ones_own_token_and_audits_it() -> None:
    engineer = person("engineer")
    token, _ = ApiToken.issue(engineer, "ci")
    with pytest.raises(PermissionDenied):
        commands.revoke_api_token(person("marketer"), token=token)
    commands.revoke_api_token(engineer, token=token)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert entries() == [("api_token_revoked", "apitoken", str(token), {})]


def test_a_token_made_on_the_command_line_is_audited_too() -> None:
    engineer = person("engineer")
    call_command("create_api_token", engineer.get_username(), stdout=io.StringIO())
    token = ApiToken.objects.get()
    assert entries() == [("api_token_created", "apitoken", str(token), {"user": engineer.get_username()})]


def test_the_tokens_page_issues_and_revokes_through_the_commands() -> None:
    client = page_client("engineer")
    since = last_entry_id()
    assert client.post("/api-tokens/", {"label": "ci"}).status_code == 200
    token = ApiToken.objects.get()
    assert client.post("/api-tokens/", {"revoke": str(token.pk)}).status_code == 302
    assert [verb for verb, *_ in entries(since=since)] == ["api_token_created", "api_token_revoked"]


def _with_two_factor(user) -> None:
    device, _ = two_factor.start_setup(user)
    device.confirmed_at = device.created_at
    device.save()
    two_factor.new_recovery_codes(user)


def _admin_page(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def _state(user) -> dict:
    """What the user commands leave on a user (besides the password, random each time)."""
    user.refresh_from_db()
    user.__dict__.pop("_relay_role", None)
    return {
        "role": role_of(user) if user.is_active else list(user.groups.values_list("name", flat=True)),
        "active": user.is_active,
        "superuser": user.is_superuser,
        "must_change_password": PasswordChangeRequired.objects.filter(user=user).exists(),
        "active_tokens": ApiToken.objects.filter(user=user, revoked_at__isnull=True).count(),
        "two_factor": two_factor.confirmed_device(user) is not None,
        "recovery_codes": RecoveryCode.objects.filter(user=user).count(),
    }


@pytest.mark.parametrize(
    ("command", "arguments"),
    [
        (commands.create_user, {"username": "new", "email": "", "role": "engineer"}),
        (commands.change_user, {"role": "engineer", "active": False}),
        (commands.reset_password, {}),
        (commands.reset_two_factor, {}),
    ],
)
def test_the_user_commands_are_for_admins(command, arguments: dict) -> None:
    subject = person("engineer")
    extra = {} if command is commands.create_user else {"user": subject}
    since = last_entry_id()
    with pytest.raises(PermissionDenied):
        command(person("marketer"), **arguments, **extra)
    assert entries(since=since) == []


def test_create_user_gives_a_role_and_a_password_to_change_at_first_sign_in_and_audits_it() -> None:
    since = last_entry_id()
    user, password = commands.create_user(person("admin"), username=" newbie ", email="", role="marketer")
    assert (user.get_username(), role_of(user)) == ("newbie", "marketer")
    assert user.check_password(password)
    assert PasswordChangeRequired.objects.filter(user=user).exists()
    assert entries(since=since) == [("user_created", "user", "newbie", {"role": "marketer"})]


def test_create_user_refuses_a_name_taken_whatever_its_case() -> None:
    person("engineer")
    taken = get_user_model().objects.get().get_username().upper()
    with pytest.raises(Refused) as refused:
        commands.create_user(person("admin"), username=taken, email="", role="engineer")
    assert list(refused.value.errors) == ["username"]


def test_change_user_sets_the_role_and_switches_the_user_off_and_audits_it() -> None:
    subject = person("marketer")
    since = last_entry_id()
    commands.change_user(person("admin"), user=subject, role="engineer", active=False)
    subject.refresh_from_db()
    assert (list(subject.groups.values_list("name", flat=True)), subject.is_active) == (["engineer"], False)
    assert entries(since=since) == [
        ("user_changed", "user", subject.get_username(), {"role": "engineer", "active": False})
    ]


def test_change_user_takes_a_superusers_powers_away_with_the_admin_role() -> None:
    root = get_user_model().objects.create_superuser("root", "", "x" * 20)
    commands.change_user(person("admin"), user=root, role="marketer", active=True)
    root.refresh_from_db()
    assert (root.is_superuser, root.is_staff, role_of(root)) == (False, False, "marketer")


@pytest.mark.parametrize(("role", "active"), [("marketer", True), ("admin", False)])
def test_an_admin_cannot_remove_their_own_admin_role_or_switch_themselves_off(role: str, active: bool) -> None:
    admin = person("admin")
    since = last_entry_id()
    with pytest.raises(Refused) as refused:
        commands.change_user(admin, user=admin, role=role, active=active)
    assert list(refused.value.errors) == ["role"]
    admin.refresh_from_db()
    assert (role_of(admin), admin.is_active) == ("admin", True)
    assert entries(since=since) == []


def test_reset_password_revokes_the_users_tokens_in_its_one_audit_entry() -> None:
    subject = person("engineer")
    ApiToken.issue(subject, "ci")
    ApiToken.issue(subject, "laptop")
    since = last_entry_id()
    password, revoked = commands.reset_password(person("admin"), user=subject)
    subject.refresh_from_db()
    assert subject.check_password(password)
    assert revoked == 2
    assert _state(subject)["active_tokens"] == 0
    assert PasswordChangeRequired.objects.filter(user=subject).exists()
    assert entries(since=since) == [("password_reset", "user", subject.get_username(), {"revoked_tokens": 2})]


def test_reset_two_factor_forgets_the_authenticator_and_recovery_codes_and_audits_it() -> None:
    subject = person("admin")
    _with_two_factor(subject)
    since = last_entry_id()
    commands.reset_two_factor(person("admin"), user=subject)
    assert (_state(subject)["two_factor"], _state(subject)["recovery_codes"]) == (False, 0)
    assert entries(since=since) == [("two_factor_reset", "user", subject.get_username(), {})]


def test_reset_two_factor_refuses_ones_own() -> None:
    admin = person("admin")
    _with_two_factor(admin)
    with pytest.raises(Refused):
        commands.reset_two_factor(admin, user=admin)
    assert two_factor.confirmed_device(admin) is not None


def test_reset_password_refuses_ones_own_which_would_sign_its_admin_out() -> None:
    admin = person("admin")
    admin.set_password("the admin's own password")
    admin.save()
    since = last_entry_id()
    with pytest.raises(Refused):
        commands.reset_password(admin, user=admin)
    admin.refresh_from_db()
    assert admin.check_password("the admin's own password")
    assert not PasswordChangeRequired.objects.filter(user=admin).exists()
    assert entries(since=since) == []


def test_an_admins_own_user_page_offers_their_change_password_page_in_place_of_a_reset() -> None:
    admin = person("admin")
    client = _admin_page(admin)
    own = client.get(f"/users/{admin.pk}/").content.decode()
    assert 'name="reset_password"' not in own
    assert 'href="/account/password/"' in own
    refused = client.post(f"/users/{admin.pk}/", {"reset_password": "1"}, follow=True).content.decode()
    assert "Change your own password on the Change my password page" in refused
    assert 'name="reset_password"' in client.get(f"/users/{person('marketer').pk}/").content.decode()


# The users pages call the commands: a page leaves what the command leaves, and the same entry.


def test_the_users_page_adds_a_user_as_the_command_does() -> None:
    admin = person("admin")
    client = _admin_page(admin)  # its sign-in is audited before
    since = last_entry_id()
    commands.create_user(admin, username="by-command", email="", role="marketer")
    by_command = entries(since=since)
    since = last_entry_id()
    page = client.post("/users/", {"username": "by-page", "email": "", "role": "marketer"})
    assert page.status_code == 200
    by_page = get_user_model().objects.get(username="by-page")
    assert _state(by_page) == _state(get_user_model().objects.get(username="by-command"))
    assert [entry[:2] + entry[3:] for entry in entries(since=since)] == [entry[:2] + entry[3:] for entry in by_command]


def test_the_users_page_refuses_a_taken_name_on_its_field() -> None:
    admin = person("admin")
    page = _admin_page(admin).post("/users/", {"username": admin.get_username(), "email": "", "role": "marketer"})
    assert "A user with this name exists already." in page.content.decode()
    assert get_user_model().objects.count() == 1


@pytest.mark.parametrize(
    ("post", "command", "arguments"),
    [
        ({"role": "engineer"}, commands.change_user, {"role": "engineer", "active": False}),
        ({"role": "admin", "is_active": "on"}, commands.change_user, {"role": "admin", "active": True}),
        ({"reset_password": "1"}, commands.reset_password, {}),
        ({"reset_two_factor": "1"}, commands.reset_two_factor, {}),
    ],
)
def test_the_user_page_leaves_the_rows_and_the_entry_the_command_leaves(post: dict, command, arguments: dict) -> None:
    admin = person("admin")
    client = _admin_page(admin)  # its sign-in is audited before
    by_page, by_command = person("marketer"), person("marketer")
    for subject in (by_page, by_command):
        ApiToken.issue(subject, "ci")
        _with_two_factor(subject)
    since = last_entry_id()
    command(admin, user=by_command, **arguments)
    commanded = entries(since=since)
    since = last_entry_id()
    assert client.post(f"/users/{by_page.pk}/", post).status_code in (200, 302)
    assert _state(by_page) == _state(by_command)
    assert [(verb, kind, details) for verb, kind, _name, details in entries(since=since)] == [
        (verb, kind, details) for verb, kind, _name, details in commanded
    ]


def test_the_user_page_shows_the_refusal_to_demote_oneself_on_the_role_field() -> None:
    admin = person("admin")
    page = _admin_page(admin).post(f"/users/{admin.pk}/", {"role": "marketer", "is_active": "on"})
    assert page.status_code == 400
    assert "You cannot remove your own admin role or deactivate yourself." in page.content.decode()


def test_change_user_to_what_they_already_are_records_nothing() -> None:
    subject = person("marketer")
    since = last_entry_id()
    commands.change_user(person("admin"), user=subject, role="marketer", active=True)
    assert entries(since=since) == []


@pytest.mark.parametrize("name", ["a b", "tab\tname", "semi;colon"])
def test_create_user_refuses_a_name_the_user_model_does_not_allow(name: str) -> None:
    with pytest.raises(Refused) as refused:
        commands.create_user(person("admin"), username=name, email="", role="engineer")
    assert list(refused.value.errors) == ["username"]

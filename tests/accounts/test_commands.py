"""accounts.commands: issue and revoke API tokens, from the page and the command line, each audited."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from accounts import commands
from accounts.models import ApiToken
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

"""Helpers for the command tests: people of each role, signed in to the pages or the API, and the
audit entries a command left (without who, which differs between two people doing the same)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiToken, AuditEntry
from accounts.roles import set_role


def person(role: str) -> Any:
    user = get_user_model().objects.create_user(f"{role}-{get_user_model().objects.count()}", password="x" * 20)
    set_role(user, role)
    return user


def page_client(role: str) -> Client:
    client = Client()
    client.force_login(person(role))
    return client


def api_client(role: str) -> APIClient:
    _, raw = ApiToken.issue(person(role), "tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def entries(*, since: int = 0) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The audit entries after id `since`, as (verb, target type, target name, details)."""
    return [
        (entry.verb, entry.target_type, entry.target_name, entry.details)
        for entry in AuditEntry.objects.filter(pk__gt=since).order_by("pk")
    ]


def last_entry_id() -> int:
    last = AuditEntry.objects.order_by("-pk").first()
    return last.pk if last else 0

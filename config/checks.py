"""System checks that refuse a deployment which would lose or mix up data."""

from typing import Any

from django.conf import settings
from django.core.checks import Error


def shared_encryption_keys(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Beyond SQLite, every host must use the same RELAY_ENCRYPTION_KEYS: keys generated into one
    host's var/secrets.env would leave the others unable to read what it stored."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine.endswith("sqlite3") or not settings.RELAY_KEYS_ARE_LOCAL:
        return []
    return [
        Error(
            "RELAY_ENCRYPTION_KEYS is not set, so this host generated its own key: other hosts sharing this "
            "database could not read what it stores.",
            hint="Set the same RELAY_ENCRYPTION_KEYS (and SECRET_KEY) on every web and worker host.",
            id="relay.E001",
        )
    ]


def https_to_attentive(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Plain http to Attentive is for a local test fake: a deployment would send API keys and people's
    data in clear."""
    if not settings.RELAY_ALLOW_PLAIN_HTTP_ATTENTIVE:
        return []
    return [
        Error(
            "RELAY_ALLOW_PLAIN_HTTP_ATTENTIVE is on: API keys and events could be sent to Attentive in clear.",
            hint="Unset RELAY_ALLOW_PLAIN_HTTP_ATTENTIVE; it is for a local test fake only.",
            id="relay.E002",
        )
    ]

"""Unsubscribe: the identifiers given say which channels a person leaves; a type or channel narrows it."""

from datetime import UTC, datetime

import pytest

from destinations.attentive.unsubscribe import UNSUBSCRIBE
from mapper.pipeline import ActionConfig, run_action
from tests.fake_attentive import unsubscribe_problem

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
EVENT = {"type": "track", "event": "Unsubscribed", "properties": {"phone": "(415) 555-2671", "email": "j@example.com"}}


def unsubscribe(**mappings: str):
    base = {"phone": "properties.phone", "email": "properties.email"}
    config = ActionConfig.of("attentive", "unsubscribe", "@", {**base, **mappings}, 1)
    return run_action(config, EVENT, now=NOW)


def test_without_a_type_or_channel_every_subscription_of_the_identifiers_ends() -> None:
    body = unsubscribe().request.body
    assert body == {"user": {"phone": "+14155552671", "email": "j@example.com"}}
    assert unsubscribe_problem(body) is None


def test_a_type_alone_covers_the_channels_the_identifiers_reach() -> None:
    body = unsubscribe(email="", subscription_type="'marketing'").request.body
    assert body["subscriptions"] == [{"type": "MARKETING", "channel": "TEXT"}]


def test_a_channel_alone_covers_both_types() -> None:
    body = unsubscribe(channel="'EMAIL'").request.body
    assert body["subscriptions"] == [
        {"type": "MARKETING", "channel": "EMAIL"},
        {"type": "TRANSACTIONAL", "channel": "EMAIL"},
    ]


def test_the_confirmation_can_be_turned_off() -> None:
    body = unsubscribe(silent="`true`", language="'fr-CA'").request.body
    assert body["notification"] == {"language": "fr-CA", "disabled": True}
    assert unsubscribe_problem(body) is None


@pytest.mark.parametrize(("key", "value"), [("subscription_type", "'PROMO'"), ("channel", "'PUSH'")])
def test_an_unknown_type_or_channel_is_an_error_on_its_field(key: str, value: str) -> None:
    result = unsubscribe(**{key: value})
    assert [(e.field, e.code) for e in result.errors] == [(key, "invalid_value")]


def test_an_external_id_alone_cannot_unsubscribe_anyone() -> None:
    result = unsubscribe(phone="", email="")
    assert result.outcome.kind == "skipped"
    assert not UNSUBSCRIBE.maps_an_identifier({"subscription_type": "'MARKETING'"})


def test_unsubscribe_is_paced_at_attentives_limit() -> None:
    assert UNSUBSCRIBE.rate_limit == 5

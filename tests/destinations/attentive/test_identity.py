"""Identify: identifiers flat, never a lone client user id, nothing null or empty."""

from datetime import UTC, datetime

from destinations.attentive.identity import IDENTIFY
from mapper.pipeline import ActionConfig, run_action
from tests.fake_attentive import identity_problem

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def identify(event: dict, **mappings: str):
    base = {"phone": "traits.phone", "email": "traits.email", "external_id": "userId"}
    config = ActionConfig.of("attentive", "identify", "type == 'identify'", {**base, **mappings}, 1)
    return run_action(config, {"type": "identify", **event}, now=NOW)


def test_the_identifiers_go_flat_as_attentive_wants_them() -> None:
    result = identify({"userId": "u-1", "traits": {"email": " Jane@Example.com ", "phone": "(415) 555-2671"}})
    assert result.request.body == {"phone": "+14155552671", "email": "jane@example.com", "clientUserId": "u-1"}
    assert result.outcome.kind == "queued"
    assert identity_problem(result.request.body) is None


def test_a_lone_client_user_id_is_refused_on_its_field() -> None:
    result = identify({"userId": "u-1", "traits": {}})
    assert [(e.field, e.code) for e in result.errors] == [("external_id", "lone_identifier")]
    assert result.outcome.kind == "invalid"
    assert identity_problem({"clientUserId": "u-1"}) is not None  # and Attentive would refuse it too


def test_empty_values_are_left_out_not_sent() -> None:
    result = identify({"userId": "", "traits": {"email": "jane@example.com", "phone": ""}})
    assert result.request.body == {"email": "jane@example.com"}


def test_a_shopify_id_is_something_to_link_to() -> None:
    result = identify({"userId": "u-1", "traits": {}, "shopify": "8812"}, shopify_id="shopify")
    assert result.ok
    assert result.request.body == {"clientUserId": "u-1", "shopifyId": "8812"}


def test_an_id_longer_than_100_characters_is_refused_without_quoting_it() -> None:
    result = identify({"userId": "u" * 101, "traits": {"email": "jane@example.com"}})
    (error,) = result.errors
    assert (error.field, error.code) == ("external_id", "too_long")
    assert "u" * 20 not in error.message


def test_identify_is_paced_at_attentives_identity_limit() -> None:
    assert IDENTIFY.rate_limit == 10

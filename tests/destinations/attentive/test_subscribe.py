"""Subscribe: nobody is signed up without consent from the event and a recorded disclosure."""

from datetime import UTC, datetime

import pytest

from destinations.attentive.subscribe import SUBSCRIBE, describe
from destinations.privacy import PrivacyPolicy
from mapper.pipeline import ActionConfig, never_delivers, run_action
from tests.fake_attentive import subscribe_problem

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
PRESET = SUBSCRIBE.presets[0]
DISCLOSED = PrivacyPolicy(disclosure="By signing up you agree to receive recurring automated texts.")


def subscribe(properties: dict | None = None, **mappings: str):
    event = {**PRESET.example_event, "properties": {**PRESET.example_event["properties"], **(properties or {})}}
    config = ActionConfig.of("attentive", "subscribe", PRESET.trigger, {**PRESET.mappings, **mappings}, 1)
    return run_action(config, event, now=NOW)


def test_the_preset_subscribes_with_a_locale_and_a_type_as_attentive_wants_it() -> None:
    result = subscribe()
    assert result.outcome.kind == "queued"
    assert result.request.body == {
        "user": {"phone": "+14155552671"},
        "externalIdentifiers": {"clientUserId": "user-1042"},
        "locale": {"language": "en", "country": "US"},
        "subscriptionType": "MARKETING",
    }
    assert subscribe_problem(result.request.body) is None


@pytest.mark.parametrize("consent", [False, None, "no", 1, "on"])
def test_without_a_clear_yes_from_the_event_nobody_is_subscribed(consent: object) -> None:
    result = subscribe({"consent": consent, "sms_consent": None})
    assert result.outcome.kind == "skipped"
    assert "consent" in result.outcome.reason


@pytest.mark.parametrize("consent", [True, "true", "Yes"])
def test_consent_is_true_or_the_text_true_or_yes(consent: object) -> None:
    assert subscribe({"consent": consent}).outcome.kind == "queued"


def test_consent_written_as_a_fixed_value_is_refused() -> None:
    config = ActionConfig.of("attentive", "subscribe", PRESET.trigger, {**PRESET.mappings, "consent": "`true`"})
    assert ("consent", "not_from_event") in {(e.field, e.code) for e in never_delivers(config, DISCLOSED)}


def test_it_cannot_be_enabled_before_an_admin_records_the_disclosure() -> None:
    config = ActionConfig.of("attentive", "subscribe", PRESET.trigger, dict(PRESET.mappings))
    assert [(e.field, e.code) for e in never_delivers(config, PrivacyPolicy())] == [("consent", "no_disclosure")]
    assert never_delivers(config, DISCLOSED) == []


def test_a_sign_up_source_id_wins_over_the_locale_its_default_fills_in() -> None:
    body = subscribe(sign_up_source_id="'12345'").request.body
    assert body["signUpSourceId"] == "12345"
    assert "locale" not in body
    assert "subscriptionType" not in body
    assert subscribe_problem(body) is None


def test_an_external_id_alone_subscribes_nobody() -> None:
    result = subscribe({"phone": None}, email="")
    assert result.outcome.kind == "skipped"


def test_the_preview_says_what_the_person_receives() -> None:
    body = subscribe().request.body
    text = describe(body, DISCLOSED.disclosure)
    assert "marketing text messages" in text
    assert "confirm" in text
    assert DISCLOSED.disclosure in text
    assert "at once" in describe({**body, "singleOptIn": True}, "")


def test_subscribe_is_paced_at_attentives_limit() -> None:
    assert SUBSCRIBE.rate_limit == 10


def test_an_enabled_action_stops_subscribing_once_the_disclosure_is_cleared() -> None:
    config = ActionConfig.of("attentive", "subscribe", PRESET.trigger, dict(PRESET.mappings), 1)
    event = dict(PRESET.example_event)
    assert run_action(config, event, now=NOW, policy=DISCLOSED).outcome.kind == "queued"
    cleared = run_action(config, event, now=NOW, policy=PrivacyPolicy())
    assert cleared.outcome.kind == "skipped"
    assert "disclosure" in cleared.outcome.reason


def without_locale(**defaults: str):
    event = {**PRESET.example_event, "context": {}}
    config = ActionConfig.of("attentive", "subscribe", PRESET.trigger, PRESET.mappings, 1)
    return run_action(config, event, now=NOW, defaults=defaults)


def test_an_event_without_a_locale_falls_back_on_the_destinations_default_locale_and_says_so() -> None:
    result = without_locale(locale="fr-CA")
    assert result.outcome.kind == "queued"
    assert result.request.body["locale"] == {"language": "fr", "country": "CA"}
    assert [(e.field, e.code, e.severity) for e in result.errors] == [("locale", "default_used", "warning")]
    assert "default fr-CA is used" in result.errors[0].message


def test_a_default_sign_up_source_wins_over_the_default_locale() -> None:
    result = without_locale(locale="en-US", sign_up_source_id="src-77")
    assert result.outcome.kind == "queued"
    assert result.request.body["signUpSourceId"] == "src-77"
    assert "locale" not in result.request.body
    assert subscribe_problem(result.request.body) is None


def test_without_a_locale_or_a_default_the_request_is_invalid() -> None:
    assert without_locale().outcome.kind == "invalid"


def test_a_locale_in_the_event_wins_over_the_defaults() -> None:
    config = ActionConfig.of("attentive", "subscribe", PRESET.trigger, PRESET.mappings, 1)
    result = run_action(config, PRESET.example_event, now=NOW, defaults={"locale": "fr-CA", "sign_up_source_id": "s"})
    assert result.request.body["locale"] == {"language": "en", "country": "US"}
    assert result.errors == []

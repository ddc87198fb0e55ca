"""The preview's sentence on what the person receives, and the destination's fallbacks."""

import pytest

from destinations.attentive import ATTENTIVE
from destinations.models import Destination
from mapper.preview import preview

pytestmark = pytest.mark.django_db

PRESET = ATTENTIVE.action("subscribe").preset("subscribed")


@pytest.fixture
def destination() -> Destination:
    return Destination.objects.create(name="D", subscription_disclosure="I agree.", default_locale="en-GB")


def test_with_consent_false_the_preview_says_they_are_not_subscribed(destination) -> None:
    event = {**PRESET.example_event, "properties": {**PRESET.example_event["properties"], "consent": False}}
    summary = preview(destination, "subscribe", PRESET.trigger, dict(PRESET.mappings), event).summary
    assert summary.startswith("Nothing: this event is not sent, so they are not subscribed.")
    assert "Subscribes" not in summary


def test_with_consent_the_preview_says_what_they_receive(destination) -> None:
    summary = preview(destination, "subscribe", PRESET.trigger, dict(PRESET.mappings), PRESET.example_event).summary
    assert summary.startswith("Subscribes this person to marketing text messages.")


def test_an_event_without_a_locale_uses_the_destinations_default_and_the_preview_says_so(destination) -> None:
    event = {**PRESET.example_event, "context": {}}
    result = preview(destination, "subscribe", PRESET.trigger, dict(PRESET.mappings), event)
    assert result.request["body"]["locale"] == {"language": "en", "country": "GB"}
    assert any("destination's default en-GB is used" in error.message for error in result.errors)


def test_the_preview_shows_the_consent_skip_of_an_event_without_consent(destination) -> None:
    shown = preview(
        destination,
        "subscribe",
        PRESET.trigger,
        dict(PRESET.mappings),
        PRESET.example_event,
        consent_category="Marketing",
    ).as_dict()
    assert shown["outcome"] == {
        "kind": "skipped",
        "reason": "Skipped: no consent for Marketing: the event carries no consent information.",
    }
    assert shown["summary"].startswith("Nothing: this event is not sent")
    assert any(error["field"] == "consent_category" for error in shown["errors"])


def test_the_preview_uses_the_destination_consent_category_by_default(destination) -> None:
    destination.consent_category, destination.consent_when_unknown = "Marketing", "send"
    event = {**PRESET.example_event, "context": {"consent": {"categoryPreferences": {"Marketing": False}}}}
    outcome = preview(destination, "subscribe", PRESET.trigger, dict(PRESET.mappings), event).result.outcome
    assert outcome.reason == "Skipped: no consent for Marketing: the page says the person did not agree to it."
    granted = {**PRESET.example_event, "context": {"consent": {"categoryPreferences": {"marketing": True}}}}
    assert preview(destination, "subscribe", PRESET.trigger, dict(PRESET.mappings), granted).result.outcome.kind == (
        "queued"
    )

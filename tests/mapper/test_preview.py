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


PURCHASE = ATTENTIVE.action("purchase").preset("order_completed")


def _broken_order() -> dict:
    event = {**PURCHASE.example_event, "properties": {**PURCHASE.example_event["properties"]}}
    products = [dict(p) for p in event["properties"]["products"]]
    products[1] = {**products[1], "product_id": "SKU-1", "price": "$12,99"}
    event["properties"]["products"] = products
    return event


def test_a_broken_product_is_named_by_its_id_to_someone_who_may_see_the_values(destination) -> None:
    result = preview(destination, "purchase", PURCHASE.trigger, dict(PURCHASE.mappings), _broken_order())
    (warning,) = [e for e in result.shown_to(is_admin=True).errors if e.code == "invalid_product"]
    assert "product 2 (SKU-1) has a price that is not a number" in warning.message
    # The builder's own message (the one the delivery log keeps, shown to every role) names the position only.
    (raw,) = [e for e in result.errors if e.code == "invalid_product"]
    assert "SKU-1" not in raw.message
    assert "product 2 has a price that is not a number" in raw.message


def test_a_broken_product_judged_on_values_hidden_from_the_viewer_is_named_by_position_only(destination) -> None:
    result = preview(destination, "purchase", PURCHASE.trigger, dict(PURCHASE.mappings), _broken_order())
    result.hidden = True
    (warning,) = [e for e in result.shown_to(is_admin=False).errors if e.code == "invalid_product"]
    assert "SKU-1" not in warning.message
    assert "product 2 has a price that is not a number" in warning.message


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

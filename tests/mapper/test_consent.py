"""Consent from the page: reading Segment's and RudderStack's shapes, and what a requirement decides."""

from typing import Any

import pytest

from mapper import consent
from mapper.consent import Requirement


def segment(**preferences: Any) -> dict[str, Any]:
    return {"type": "track", "event": "Viewed", "context": {"consent": {"categoryPreferences": preferences}}}


def rudderstack(allowed: Any = None, denied: Any = None, provider: str = "oneTrust") -> dict[str, Any]:
    management: dict[str, Any] = {"provider": provider, "resolutionStrategy": "and"}
    if allowed is not None:
        management["allowedConsentIds"] = allowed
    if denied is not None:
        management["deniedConsentIds"] = denied
    return {"type": "track", "event": "Viewed", "context": {"consentManagement": management}}


MARKETING = Requirement("Marketing")
MARKETING_UNLESS_DENIED = Requirement("Marketing", consent.SEND)


def test_segment_category_preferences_grant_and_deny() -> None:
    reading = consent.read(segment(Marketing=True, Analytics=False))
    assert reading.granted == {"marketing"}
    assert reading.denied == {"analytics"}
    assert reading.present


def test_segment_preference_that_is_not_a_boolean_decides_nothing() -> None:
    reading = consent.read(segment(Marketing="false", Analytics=None))
    assert reading.granted == reading.denied == frozenset()
    assert reading.present


def test_rudderstack_allowed_and_denied_ids_are_read() -> None:
    reading = consent.read(rudderstack(["C0001", "Marketing"], ["C0004"]))
    assert reading.granted == {"c0001", "marketing"}
    assert reading.denied == {"c0004"}


def test_rudderstack_allowed_ids_as_an_id_to_name_object_count_both() -> None:
    reading = consent.read(rudderstack({"C0003": "Marketing"}))
    assert reading.granted == {"c0003", "marketing"}


@pytest.mark.parametrize("provider", ["oneTrust", "ketch", "iubenda", "custom"])
def test_every_rudderstack_provider_is_read_the_same(provider: str) -> None:
    assert MARKETING.refusal(rudderstack(["marketing"], [], provider)) == ""


@pytest.mark.parametrize("event", [{}, {"context": {}}, {"context": "web"}, [], "text", {"context": {"consent": 1}}])
def test_an_event_without_consent_information_reads_as_absent(event: Any) -> None:
    assert consent.read(event) == consent.Reading()


def test_a_granted_category_lets_the_event_go() -> None:
    assert MARKETING.refusal(segment(Marketing=True)) == ""
    assert MARKETING.refusal(rudderstack(["Marketing"], [])) == ""


@pytest.mark.parametrize("spelling", ["marketing", "MARKETING", " Marketing "])
def test_category_names_match_ignoring_case(spelling: str) -> None:
    assert Requirement(spelling).refusal(segment(Marketing=True)) == ""
    assert MARKETING.refusal(segment(**{spelling: True})) == ""


def test_a_denied_category_is_refused_whatever_the_choice_for_unknown() -> None:
    for requirement in (MARKETING, MARKETING_UNLESS_DENIED):
        assert requirement.refusal(segment(Marketing=False)) == (
            "No consent for Marketing: the page says the person did not agree to it."
        )
        assert requirement.refusal(rudderstack([], ["marketing"])).startswith("No consent for Marketing")


def test_denied_wins_when_an_event_both_grants_and_denies() -> None:
    event = segment(Marketing=True)
    event["context"]["consentManagement"] = {"deniedConsentIds": ["Marketing"]}
    assert MARKETING.refusal(event).startswith("No consent for Marketing")


def test_required_category_refuses_an_event_without_consent_information() -> None:
    assert MARKETING.refusal({"type": "track"}) == (
        "No consent for Marketing: the event carries no consent information."
    )


def test_required_category_refuses_consent_that_does_not_mention_it() -> None:
    assert MARKETING.refusal(segment(Analytics=True)) == (
        "No consent for Marketing: the event's consent does not mention it."
    )


def test_only_when_the_page_says_no_sends_events_without_consent_information() -> None:
    assert MARKETING_UNLESS_DENIED.refusal({"type": "track"}) == ""
    assert MARKETING_UNLESS_DENIED.refusal(segment(Analytics=True)) == ""


def test_a_refusal_never_quotes_the_event() -> None:
    reason = MARKETING.refusal(segment(**{"jane@example.com": False}))
    assert "jane" not in reason


def test_the_action_category_wins_over_the_destination_default() -> None:
    assert consent.requirement("Analytics", "", "Marketing", "send") == Requirement("Analytics", "send")
    assert consent.requirement("", "", "Marketing", "send") == Requirement("Marketing", "send")
    assert consent.requirement("", "send", "Marketing", "skip") == Requirement("Marketing", "send")


def test_no_category_anywhere_means_no_requirement() -> None:
    assert consent.requirement("", "skip", "", "skip") is None
    assert consent.requirement("  ", "", "", "") is None


def test_an_unknown_choice_for_unknown_consent_is_strict() -> None:
    assert consent.requirement("Marketing", "maybe") == Requirement("Marketing", "skip")
    with pytest.raises(ValueError, match="when_unknown"):
        Requirement("Marketing", "maybe")


@pytest.mark.parametrize(("category", "ok"), [("Marketing", True), ("x" * 101, False), ("Mar\nketing", False)])
def test_a_category_is_one_short_line(category: str, ok: bool) -> None:
    assert (consent.category_problem(category) == "") is ok

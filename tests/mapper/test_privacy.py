"""Privacy rules stop health information at route time, in the preview and the executor alike."""

from datetime import datetime

import pytest

from destinations import privacy
from destinations.privacy import PrivacyPolicy
from mapper.engine import evaluate
from mapper.pipeline import ActionConfig, run_action

DEFAULT = PrivacyPolicy()
MAPPINGS = {"event_name": "event", "email": "context.traits.email", "properties": "properties"}


def run(event: dict, now: datetime, policy: PrivacyPolicy = DEFAULT, **mappings: str):
    config = ActionConfig.of("attentive", "custom_event", "type == 'track'", {**MAPPINGS, **mappings}, 1)
    return run_action(config, event, now=now, policy=policy)


def event_with(properties: dict, name: str = "Appointment Booked") -> dict:
    return {"type": "track", "event": name, "properties": properties, "context": {"traits": {"email": "a@b.co"}}}


@pytest.mark.parametrize(
    "name",
    [
        "diagnosis",
        "Diagnosis Code",
        "medication",
        "prescription_id",
        "treatment_plan",
        "procedure",
        "symptoms",
        "insurance_member_id",
        "memberId",
        "icd10",
        "cpt_code",
        "patient_id",
        "condition",
    ],
)
def test_health_related_names_are_blocked_by_default(name: str, now) -> None:
    result = run(event_with({name: "x"}), now)
    assert result.blocked
    assert any(e.code == "blocked_by_rule" and e.field == "properties" for e in result.errors)


@pytest.mark.parametrize("name", ["order_id", "Appointment Time", "Location", "Postal Code", "plan", "tracking_url"])
def test_ordinary_names_pass(name: str, now) -> None:
    assert not run(event_with({name: "94612"}), now).blocked


@pytest.mark.parametrize("value", ["E11.9", "F32.A", "3078F", "0075T"])
def test_clinical_code_values_are_blocked(value: str, now) -> None:
    assert run(event_with({"note": value}), now).blocked


def test_a_blocked_row_is_flagged_on_that_row(now) -> None:
    result = run(event_with({"dx": "x"}), now, properties="", **{"properties.Diagnosis": "properties.dx"})
    (error,) = [e for e in result.errors if e.code == "blocked_by_rule"]
    assert error.field == "properties.Diagnosis"
    assert "Diagnosis" in error.message


def test_event_name_is_checked_too(now) -> None:
    assert run(event_with({}, name="Prescription Refilled"), now).blocked


def test_allowlist_mode_lets_only_listed_names_leave(now) -> None:
    policy = PrivacyPolicy.of(privacy.default_rules("name"), privacy.default_rules("value"), ["order_id"], "")
    result = run(event_with({"order_id": "1", "coupon": "X"}), now, policy)
    assert [(e.field, e.code) for e in result.errors if e.severity == "error"] == [("properties", "not_allowlisted")]
    assert "coupon" in result.errors[0].message


def test_consent_condition_false_skips(now) -> None:
    policy = PrivacyPolicy.of([], [], None, "context.consent.marketing")
    result = run(event_with({"order_id": "1"}), now, policy)
    assert not result.consent_given
    assert not result.ok
    assert ("consent", "no_consent") in {(e.field, e.code) for e in result.errors}
    given = event_with({"order_id": "1"})
    given["context"]["consent"] = {"marketing": True}
    assert run(given, now, policy).ok


def test_rules_text_round_trips_and_reports_bad_lines() -> None:
    rules = privacy.default_rules("name")
    assert privacy.rules_from_text(privacy.rules_to_text(rules)) == (rules, [])
    _, problems = privacy.rules_from_text("ok = abc\nno equals sign\nBad = (unclosed")
    assert len(problems) == 2


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("redact('Jane')", "[redacted]"),
        ("redact(`null`)", None),
        ("email_domain(' Jane@Example.COM ')", "example.com"),
        ("email_domain('nope')", None),
    ],
)
def test_minimisation_functions(expression: str, expected: object) -> None:
    assert evaluate(expression, {}) == expected

"""The action editor's consent control: saved with the action, judged by the live preview, kept in
versions and copies."""

import pytest

from accounts.roles import SYSTEM
from destinations.models import Destination
from mapper import commands, versions
from mapper.models import Action
from tests.mapper.test_trial_send import signed_in

pytestmark = pytest.mark.django_db

SAMPLE = '{"type": "track", "event": "Order Shipped", "context": {"traits": {"email": "a@b.co"}}}'


@pytest.fixture
def action() -> Action:
    return Action.objects.create(
        destination=Destination.objects.create(name="D"),
        action_type="custom_event",
        name="Shipped",
        trigger="event == 'Order Shipped'",
        mappings={"event_name": "event", "email": "context.traits.email"},
    )


def form(action: Action, **extra: str) -> dict[str, str]:
    return {
        "name": action.name,
        "trigger": action.trigger,
        "enabled": "on",
        "map__event_name": "event",
        "map__email": "context.traits.email",
        "sample_event": SAMPLE,
        **extra,
    }


def test_a_marketer_saves_a_consent_category_on_an_action(action: Action) -> None:
    response = signed_in("marketer").post(
        f"/actions/{action.pk}/", form(action, consent_category=" Marketing ", consent_when_unknown="send")
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.consent_category, action.consent_when_unknown) == ("Marketing", "send")
    assert action.versions.first().snapshot["consent_category"] == "Marketing"


def test_the_editor_opens_with_the_saved_category_and_suggestions(action: Action) -> None:
    Action.objects.filter(pk=action.pk).update(consent_category="Marketing")
    html = signed_in("engineer").get(f"/actions/{action.pk}/").content.decode()
    assert 'name="consent_category" value="Marketing"' in html
    assert '<option value="Analytics">' in html


def test_the_live_preview_shows_the_consent_skip_of_a_sample_without_consent(action: Action) -> None:
    url = f"/destinations/{action.destination_id}/actions/preview/custom_event/"
    html = signed_in("engineer").post(url, form(action, consent_category="Marketing")).content.decode()
    assert "Skipped: no consent for Marketing: the event carries no consent information." in html


def test_a_category_longer_than_100_characters_is_refused(action: Action) -> None:
    response = signed_in("marketer").post(f"/actions/{action.pk}/", form(action, consent_category="x" * 101))
    assert response.status_code == 400
    action.refresh_from_db()
    assert action.consent_category == ""


def test_history_shows_and_restores_the_consent_category(action: Action) -> None:
    first = action.versions.get()
    action.consent_category = "Marketing"
    action.save()
    (_, changes), _ = versions.history(action)
    assert [(change.field, change.after) for change in changes] == [("Consent required", "Marketing")]
    commands.restore_action(SYSTEM, action=action, version=first)
    assert action.consent_category == ""


def test_a_duplicate_keeps_the_consent_category(action: Action) -> None:
    Action.objects.filter(pk=action.pk).update(consent_category="Marketing", consent_when_unknown="send")
    signed_in("marketer").post(f"/actions/{action.pk}/duplicate/")
    copy = Action.objects.exclude(pk=action.pk).get()
    assert (copy.consent_category, copy.consent_when_unknown) == ("Marketing", "send")

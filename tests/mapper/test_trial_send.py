"""Send test event: asked before a live send, never a masked value, every send audited."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import AuditEntry
from accounts.roles import set_role
from destinations.attentive import ATTENTIVE
from destinations.models import Destination
from executor.models import InboundEvent
from mapper.models import Action
from tests.fake_attentive import GOOD_KEY

pytestmark = pytest.mark.django_db

SUBSCRIBED = ATTENTIVE.action("subscribe").preset("subscribed")
SUBSCRIBE_FORM = {
    "name": "Subscribed",
    "trigger": SUBSCRIBED.trigger,
    "enabled": "on",
    **{f"map__{key}": expression for key, expression in SUBSCRIBED.mappings.items()},
    "sample_event": json.dumps(SUBSCRIBED.example_event),
}
SHIPPED_BODY = {
    "type": "track",
    "event": "Order Shipped",
    "messageId": "m-77",
    "userId": "user-4242",
    "properties": {"order_id": "A-991"},
    "context": {"traits": {"email": "quentin.real@example.com"}},
}


def signed_in(role: str) -> Client:
    client = Client()
    user = get_user_model().objects.create_user(f"{role}-1", password="x" * 20)
    set_role(user, role)
    client.force_login(user)
    return client


@pytest.fixture
def live(fake) -> Destination:
    destination = Destination(name="Acme", subscription_disclosure="I agree.")
    destination.set_api_key(GOOD_KEY)
    destination.company_name = "Acme Health Inc."
    destination.save()
    return destination


def new_subscribe_url(destination: Destination) -> str:
    return f"/destinations/{destination.pk}/actions/new/?preset=subscribed"


def test_a_live_test_send_asks_first_saying_what_it_does_and_sends_nothing(live, fake) -> None:
    response = signed_in("marketer").post(new_subscribe_url(live), {**SUBSCRIBE_FORM, "_send_test": "1"})
    html = response.content.decode()
    assert 'data-testid="confirm-send"' in html
    assert "subscribes +1 415… to marketing text messages" in html
    assert "Acme Health Inc." in html
    assert fake.received == []
    assert not AuditEntry.objects.filter(verb="test_event_sent").exists()


def test_a_confirmed_live_test_send_is_sent_and_audited_without_personal_data(live, fake) -> None:
    response = signed_in("marketer").post(new_subscribe_url(live), {**SUBSCRIBE_FORM, "_confirm_live": "1"})
    assert "Sent to Attentive." in response.content.decode()
    assert fake.received[0]["user"]["phone"] == "+14155552671"
    entry = AuditEntry.objects.get(verb="test_event_sent")
    assert (entry.actor_name, entry.details["outcome"], entry.details["action_type"]) == (
        "marketer-1",
        "sent",
        "subscribe",
    )
    assert "555" not in json.dumps(entry.details)
    assert "2671" not in entry.target_name
    assert entry.sentence.startswith("marketer-1 sent a test event through")
    assert " (sent, " in entry.sentence


def test_test_mode_records_without_asking_and_is_audited(live, fake) -> None:
    live.test_mode = True
    live.save()
    response = signed_in("marketer").post(new_subscribe_url(live), {**SUBSCRIBE_FORM, "_send_test": "1"})
    html = response.content.decode()
    assert "Test mode: the request was recorded here" in html
    assert 'data-testid="confirm-send"' not in html
    assert fake.received == []
    assert AuditEntry.objects.get(verb="test_event_sent").details["outcome"] == "recorded"


def test_a_disabled_destination_is_sent_no_test_event_even_confirmed(live, fake) -> None:
    live.enabled = False
    live.save()
    response = signed_in("marketer").post(new_subscribe_url(live), {**SUBSCRIBE_FORM, "_confirm_live": "1"})
    assert "Nothing was sent: this destination is disabled." in response.content.decode()
    assert 'data-testid="destination-disabled"' in response.content.decode()  # the editor says so up front
    assert fake.received == []
    assert AuditEntry.objects.get(verb="test_event_sent").details["outcome"] == "refused"


def test_a_refused_test_send_is_audited_too(live, fake) -> None:
    form = {**SUBSCRIBE_FORM, "sample_event": json.dumps({**SUBSCRIBED.example_event, "properties": {}})}
    response = signed_in("marketer").post(new_subscribe_url(live), {**form, "_confirm_live": "1"})
    assert "Nothing was sent" in response.content.decode()
    assert fake.received == []
    assert AuditEntry.objects.get(verb="test_event_sent").details["outcome"] == "refused"


def shipped_from_the_log(destination: Destination) -> tuple[Action, InboundEvent]:
    action = Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name="Shipped",
        trigger="event == 'Order Shipped'",
        mappings={"event_name": "event", "email": "context.traits.email", "external_id": "userId"},
    )
    event = InboundEvent.objects.create(
        source="api", event_type="track", event_name="Order Shipped", message_id="m-77", body=SHIPPED_BODY
    )
    return action, event


def editor_form_as_opened(client: Client, url: str) -> dict[str, str]:
    """The editor's form as the page filled it (what the browser would post back)."""
    import re
    from html import unescape

    html = client.get(url).content.decode()
    sample = unescape(re.search(r'<textarea name="sample_event"[^>]*>(.*?)</textarea>', html, re.S).group(1))
    ref = re.search(r'name="sample_ref" value="([^"]*)"', html).group(1)
    return {
        "name": "Shipped",
        "trigger": "event == 'Order Shipped'",
        "enabled": "on",
        "map__event_name": "event",
        "map__email": "context.traits.email",
        "map__external_id": "userId",
        "sample_event": sample.strip(),
        "sample_ref": ref,
    }


def test_a_marketer_from_the_log_sends_the_real_stored_event_never_the_masked_sample(live, fake) -> None:
    action, event = shipped_from_the_log(live)
    client = signed_in("marketer")
    url = f"/actions/{action.pk}/?event={event.pk}"
    form = editor_form_as_opened(client, url)
    assert "quentin" not in form["sample_event"]
    assert "•••" in form["sample_event"]
    response = client.post(f"/actions/{action.pk}/", {**form, "_confirm_live": "1"})
    html = response.content.decode()
    assert "Sent to Attentive." in html
    assert fake.received[0]["user"] == {
        "email": "quentin.real@example.com",
        "externalIdentifiers": {"clientUserId": "user-4242"},
    }
    assert "•••" not in json.dumps(fake.received[0], ensure_ascii=False)
    assert "quentin" not in html  # the preview stays masked for them


def test_the_confirmation_names_nobody_when_the_values_are_hidden_from_the_person(live, fake) -> None:
    action, event = shipped_from_the_log(live)
    client = signed_in("marketer")
    form = editor_form_as_opened(client, f"/actions/{action.pk}/?event={event.pk}")
    html = client.post(f"/actions/{action.pk}/", {**form, "_send_test": "1"}).content.decode()
    assert "about the person in the stored event" in html
    assert "q…@example.com" not in html


def test_a_masked_sample_that_stands_for_no_stored_event_is_never_sent(live, fake) -> None:
    action, event = shipped_from_the_log(live)
    client = signed_in("marketer")
    form = {**editor_form_as_opened(client, f"/actions/{action.pk}/?event={event.pk}"), "sample_ref": ""}
    html = client.post(f"/actions/{action.pk}/", {**form, "_confirm_live": "1"}).content.decode()
    assert "Nothing was sent" in html
    assert fake.received == []


def test_a_sample_a_marketer_pasted_is_shown_masked_to_everyone_but_admins(live) -> None:
    pasted = {**SUBSCRIBED.example_event, "context": {"traits": {"email": "pasted.person@example.com"}}}
    form = {**SUBSCRIBE_FORM, "sample_event": json.dumps(pasted)}
    response = signed_in("marketer").post(new_subscribe_url(live), form)
    action = Action.objects.get()
    assert response.status_code == 302, response.content.decode()[:500]
    assert action.sample_private
    for role, shown in (("engineer", False), ("marketer", False), ("admin", True)):
        html = Client()
        user = get_user_model().objects.create_user(f"{role}-viewer", password="x" * 20)
        set_role(user, role)
        html.force_login(user)
        page = html.get(f"/actions/{action.pk}/").content.decode()
        assert ("pasted.person@example.com" in page) is shown, role


def test_a_presets_made_up_example_saved_with_an_action_stays_readable(live) -> None:
    signed_in("marketer").post(new_subscribe_url(live), SUBSCRIBE_FORM)
    assert not Action.objects.get().sample_private


def test_the_person_a_test_send_reaches_is_read_where_the_type_declares_it() -> None:
    from destinations.definition import BodyLayout
    from mapper.trial_send import person

    layout = BodyLayout(phones=(("contact", "mobile"),), emails=(("contact", "mail"), ("email",)))
    assert person({"contact": {"mobile": "+14155552671"}, "phone": "+447700900123"}, layout) == "+1 415…"
    assert person({"contact": {"mail": ""}, "email": "jane@example.com"}, layout) == "j…@example.com"
    assert person({"user": {"phone": "+14155552671"}}, layout) == "the person in the sample"

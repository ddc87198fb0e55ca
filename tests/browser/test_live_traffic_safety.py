"""Nothing reaches live traffic by accident: Enter never saves, a live test send is asked first,
a live action is disabled only once asked, and the editor from the log works on the real event."""

import json
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import AuditEntry
from destinations.models import Destination
from executor.models import InboundEvent
from mapper.models import Action
from tests.browser.conftest import make_user, open_new_action, shipped_action, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_enter_in_any_input_of_the_editor_never_saves(page: Page, live_server, destination) -> None:
    action = shipped_action(destination)
    make_user("maria", "marketer")
    sign_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/actions/{action.pk}/")
    # Every kind of input the editor has: a property row, a builder condition, the picker's search.
    page.locator("[data-group=properties]").get_by_role("button", name="Add a row to properties").click()
    page.get_by_role("button", name="Add a condition on a property").click()
    page.get_by_role("button", name="Pick a field").first.click()
    inputs = page.locator("#action-form input:not([type=hidden]):visible")
    kinds = set()
    for index in range(inputs.count()):
        field = inputs.nth(index)
        kinds.add(field.get_attribute("type") or "text")
        field.focus()
        field.press("Enter")
    page.wait_for_timeout(500)
    assert {"text", "checkbox", "search"} <= kinds
    assert inputs.count() >= 8
    assert f"/actions/{action.pk}/" in page.url
    action.refresh_from_db()
    assert action.version == 1
    assert not AuditEntry.objects.filter(verb="action_changed").exists()


def test_without_javascript_enter_previews_and_never_saves(browser, live_server, destination) -> None:
    action = shipped_action(destination)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    make_user("maria", "marketer")
    sign_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/actions/{action.pk}/")
    page.locator("#action-form [name=name]").fill("Renamed")
    page.locator("#action-form [name=name]").press("Enter")
    expect(page.locator("#preview")).to_contain_text("Trigger")
    action.refresh_from_db()
    assert (action.name, action.version) == ("Shipped", 1)
    context.close()


def test_a_live_subscribe_test_send_asks_first_and_says_what_it_does(
    page: Page, live_server, destination, fake, shots: Path
) -> None:
    Destination.objects.filter(pk=destination.pk).update(subscription_disclosure="I agree to texts.")
    open_new_action(page, live_server, destination, "subscribed")
    page.get_by_role("button", name="Send test event").click()
    confirm = page.get_by_test_id("confirm-send")
    expect(confirm).to_contain_text("subscribes +1 415… to marketing text messages")
    expect(confirm).to_contain_text("live Attentive account of Acme Health Inc.")
    page.screenshot(path=str(shots / "test-send-confirmation.png"))
    assert fake.received == []
    confirm.get_by_role("button", name="Send to the live account").click()
    expect(page.get_by_text("Sent to Attentive.")).to_be_visible()
    assert fake.received[0]["user"]["phone"] == "+14155552671"
    assert AuditEntry.objects.get(verb="test_event_sent").details["outcome"] == "sent"


def test_on_a_narrow_screen_the_test_send_confirmation_and_its_outcome_come_into_view(
    page: Page, live_server, destination, fake
) -> None:
    Destination.objects.filter(pk=destination.pk).update(subscription_disclosure="I agree to texts.")
    page.set_viewport_size({"width": 420, "height": 800})
    open_new_action(page, live_server, destination, "subscribed")
    page.get_by_role("button", name="Send test event").click()
    confirm = page.get_by_test_id("confirm-send")
    expect(confirm).to_be_focused()
    expect(confirm).to_be_in_viewport()
    confirm.get_by_role("button", name="Send to the live account").click()
    outcome = page.get_by_text("Sent to Attentive.")
    expect(outcome).to_be_in_viewport()


def test_the_on_button_asks_before_disabling_a_live_action(page: Page, live_server, destination) -> None:
    action = shipped_action(destination)
    make_user("maria", "marketer")
    sign_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/destinations/{destination.pk}/")
    page.get_by_role("button", name=re.compile(r"^On\b.*“Shipped” is enabled; disable it")).click()
    expect(page.get_by_test_id("confirm-disable")).to_contain_text("This action is live")
    action.refresh_from_db()
    assert action.enabled
    page.get_by_role("button", name="Disable it").click()
    expect(page.get_by_text("“Shipped” is now disabled.")).to_be_visible()
    action.refresh_from_db()
    assert not action.enabled


CART = {
    "type": "track",
    "event": "Cart Viewed",
    "messageId": "msg-cart-88",
    "userId": "user-88",
    "properties": {"cart_value": "88.00"},
    "context": {"traits": {"email": "jane.real@example.com"}},
}


def test_an_event_that_matched_no_action_is_found_and_says_which_condition_failed(
    page: Page, live_server, destination, shots: Path
) -> None:
    Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name="Big carts",
        trigger="type == 'track' && event == 'Cart Viewed' && properties.cart_value > `50`",
        mappings={"event_name": "event", "email": "context.traits.email"},
    )
    event = InboundEvent.objects.create(
        source="api",
        event_type="track",
        event_name="Cart Viewed",
        message_id="msg-cart-88",
        body=CART,
        routed_at=timezone.now(),
    )
    make_user("maria", "marketer")
    sign_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/deliveries/")
    page.get_by_label("Message id").fill("msg-cart-88")
    page.get_by_role("button", name="Filter", exact=True).click()
    page.get_by_test_id("unmatched-events").get_by_role("link", name=f"Cart Viewed #{event.pk}").click()
    expect(page.get_by_text("Big carts: trigger did not match")).to_contain_text(
        "“properties.cart_value” is text in this event"
    )
    page.screenshot(path=str(shots / "unmatched-event.png"), full_page=True)
    # The builder offers to compare it as a number, on that very event.
    page.goto(f"{live_server.url}/actions/{Action.objects.get().pk}/?event={event.pk}")
    page.get_by_role("button", name="It is text in the event: compare it as a number").click()
    expect(page.locator("#action-form [name=trigger]")).to_have_value(
        re.compile(r"to_number\(properties\.cart_value\) > `50`")
    )
    expect(page.locator("#preview").get_by_text("Trigger matches this event")).to_be_visible()


def test_a_marketer_from_the_log_sees_masked_values_without_false_warnings(
    page: Page, live_server, destination
) -> None:
    action = shipped_action(destination)
    event = InboundEvent.objects.create(
        source="api",
        event_type="track",
        event_name="Order Shipped",
        message_id="m-9",
        body={**CART, "event": "Order Shipped"},
    )
    make_user("maria", "marketer")
    sign_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/actions/{action.pk}/?event={event.pk}")
    expect(page.get_by_label("Sample event")).to_have_value(re.compile("•••"))
    page.get_by_label("Sample event").fill(
        page.get_by_label("Sample event").input_value().replace('"userId": "•••"', '"userId": "edited"')
    )
    preview = page.locator("#preview")
    expect(preview.get_by_text("No problems: this request would be sent.")).to_be_visible()
    expect(preview).not_to_contain_text("jane.real")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved")).to_be_visible()
    action.refresh_from_db()
    assert action.sample_event["context"]["traits"]["email"] == "jane.real@example.com"
    assert action.sample_event["userId"] == "edited"


def test_load_a_sample_offers_the_events_the_trigger_matches_and_finds_others_by_name(
    page: Page, live_server, destination
) -> None:
    for name in ("Order Shipped", "Cart Viewed", "Order Shipped"):
        InboundEvent.objects.create(
            source="api", event_type="track", event_name=name, message_id=name, body={**CART, "event": name}
        )
    open_new_action(page, live_server, destination)
    results = page.get_by_role("list", name="Received events")
    expect(results.get_by_role("button")).to_have_count(2)
    expect(results.get_by_role("button").first).to_contain_text("Order Shipped")
    page.get_by_label("Or find a received event").fill("cart")
    expect(results.get_by_role("button")).to_have_count(1)
    results.get_by_role("button", name=re.compile("Cart Viewed")).click()
    expect(page.get_by_label("Sample event")).to_have_value(re.compile('"event": "Cart Viewed"'))
    expect(page.locator("#preview .trigger")).to_contain_text("Trigger does not match this event")
    assert json.loads(page.get_by_label("Sample event").input_value())["properties"]["cart_value"] == "•••"

"""A marketer maps without writing JMESPath: fixed texts, the trigger builder, identifier fallback,
and invalid deliveries re-run once the action is fixed."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from executor.models import Delivery, InboundEvent
from mapper.models import Action
from mapper.trigger_builder import compile_trigger, parse_trigger
from tests.browser.conftest import make_user, open_new_action, shipped_action, sign_in
from tests.events import shipped_event

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_text_value_is_typed_plainly_and_sent_exactly_as_typed(page: Page, live_server, destination) -> None:
    open_new_action(page, live_server, destination)
    group = page.locator("[data-group=properties]")
    group.get_by_role("button", name="Add a row to properties").click()
    row = group.locator(".row").last
    row.get_by_label("Property name").fill("Note")
    row.get_by_role("button", name="Text", exact=True).click()
    tricky = 'Jane\'s \\ `boxed` "gift"'
    row.get_by_label("Fixed text for this row").fill(tricky)
    expect(page.locator("#preview [data-testid=request]")).to_contain_text('"Note": ' + json.dumps(tricky)[:-1])
    # The raw expression is one click away, quoted for you, and it comes back as text.
    row.get_by_role("button", name="Field", exact=True).click()
    expression = row.get_by_label("Expression").input_value()
    assert expression.startswith("`")
    row.get_by_role("button", name="Text", exact=True).click()
    expect(row.get_by_label("Fixed text for this row")).to_have_value(tricky)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved “Order Shipped”.")).to_be_visible()
    action = Action.objects.get()
    assert action.mappings["properties.Note"] == expression
    # Reopened, the saved text shows as text again.
    expect(page.locator("[data-row='properties.Note']").get_by_label("Fixed text for this row")).to_have_value(tricky)


def test_switching_a_field_to_text_and_back_without_typing_keeps_the_expression(
    page: Page, live_server, destination
) -> None:
    open_new_action(page, live_server, destination)
    email = page.get_by_label("Email:", exact=True)
    mapped = email.input_value()
    assert mapped.startswith("context.traits.email")
    switch = page.get_by_role("group", name="Value of Email")
    switch.get_by_role("button", name="Text").click()
    expect(page.get_by_label("Fixed text for Email")).to_have_value("")
    switch.get_by_role("button", name="Field").click()
    expect(email).to_have_value(mapped)


def test_a_trigger_built_with_the_builder_is_saved_as_jmespath_and_reopens_in_the_builder(
    page: Page, live_server, destination, shots: Path
) -> None:
    open_new_action(page, live_server, destination)
    builder = page.locator("[data-trigger-builder]")
    expect(builder).to_be_visible()
    expect(builder.get_by_label("Event type")).to_have_value("track")
    expect(builder.get_by_label("Event name")).to_have_value("Order Shipped")
    builder.get_by_role("button", name="Or another name").click()
    builder.get_by_label("Event name").last.fill("order_shipped")
    builder.get_by_label("Ignore upper and lower case").check()
    builder.get_by_role("button", name="Add a condition on a property").click()
    condition = builder.locator(".condition").last
    condition.get_by_label("Field", exact=True).fill("properties.carrier")
    condition.get_by_label("Comparison").select_option("contains")
    condition.get_by_label("Value").fill("UPS")
    builder.get_by_role("button", name="Add a condition on a property").click()
    second = builder.locator(".condition").last
    second.get_by_label("Field", exact=True).fill("properties.total")
    second.get_by_label("Comparison").select_option("greater_than")
    second.get_by_label("Value").fill("100")
    builder.get_by_label("Match").select_option("any")

    expected = (
        "type == 'track' && contains(['order shipped', 'order_shipped'], lower(event)) && "
        "(contains(to_string(properties.carrier || ''), 'UPS') || properties.total > `100`)"
    )
    expect(page.locator("[name=trigger]")).to_have_value(expected)
    assert compile_trigger(parse_trigger(expected)) == expected  # the server's rules, the same text
    expect(page.locator("#preview").get_by_text("Trigger matches this event")).to_be_visible()
    page.screenshot(path=str(shots / "trigger-builder.png"))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved “Order Shipped”.")).to_be_visible()
    assert Action.objects.get().trigger == expected

    builder = page.locator("[data-trigger-builder]")
    expect(builder).to_be_visible()
    expect(builder.get_by_label("Event name")).to_have_count(2)
    expect(builder.get_by_label("Ignore upper and lower case")).to_be_checked()
    expect(builder.locator(".condition").last.get_by_label("Value")).to_have_value("100")
    expect(builder.get_by_label("Match")).to_have_value("any")


def test_a_typed_trigger_opens_in_the_builder_when_simple_and_stays_an_expression_otherwise(
    page: Page, live_server, destination
) -> None:
    open_new_action(page, live_server, destination)
    page.get_by_role("button", name="Expression", exact=True).click()
    trigger = page.get_by_label("Trigger expression")
    trigger.fill("type == 'track' && properties.total < `50`")
    page.get_by_role("button", name="Builder", exact=True).click()
    builder = page.locator("[data-trigger-builder]")
    expect(builder).to_be_visible()
    expect(builder.get_by_label("Event name")).to_have_value("")
    expect(builder.get_by_label("Comparison")).to_have_value("less_than")

    page.get_by_role("button", name="Expression", exact=True).click()
    trigger.fill("length(properties.items) > `2`")
    page.get_by_role("button", name="Builder", exact=True).click()
    expect(page.get_by_text("more than the builder can show")).to_be_visible()
    expect(trigger).to_be_visible()
    expect(trigger).to_have_value("length(properties.items) > `2`")


def test_the_preview_counts_how_many_of_the_last_events_the_trigger_matches(
    page: Page, live_server, destination
) -> None:
    for index in range(3):
        InboundEvent.objects.create(source="api", event_type="track", body=shipped_event(index))
    InboundEvent.objects.create(
        source="api", event_type="track", body=shipped_event(9, event="Order Completed", properties={})
    )
    open_new_action(page, live_server, destination, username="maria")
    reach = page.get_by_test_id("trigger-reach")
    expect(reach).to_contain_text("Matches 3 of the last 4 events received")
    page.locator("[data-trigger-builder]").get_by_label("Event name").fill("Order Completed")
    expect(reach).to_contain_text("Matches 1 of the last 4 events received")


def test_an_invalid_first_identifier_falls_back_to_the_next_valid_one(page: Page, live_server, destination) -> None:
    open_new_action(page, live_server, destination)
    page.get_by_label("Email:", exact=True).fill("context.traits.email || properties.email")
    page.get_by_label("Phone:", exact=True).fill("")
    sample = shipped_event(1, properties={"email": "valid@example.com", "carrier": "UPS"})
    sample["context"]["traits"] = {"email": "not-an-email"}
    page.get_by_label("Sample event").fill(json.dumps(sample))
    request = page.locator("#preview [data-testid=request]")
    expect(request).to_contain_text('"email": "valid@example.com"')
    expect(request).not_to_contain_text("not-an-email")


def test_invalid_deliveries_are_re_run_once_the_action_is_fixed(page: Page, live_server, destination) -> None:
    action = shipped_action(destination, email="context.traits.emial")
    event = InboundEvent.objects.create(source="api", event_type="track", body=shipped_event(1))
    delivery = Delivery.objects.create(
        event=event,
        action=action,
        destination=destination,
        action_snapshot={"name": action.name},
        sender_key="k",
        status=Delivery.Status.INVALID,
        reason="No identifier: phone, email and external id are all empty.",
    )
    make_user("maria", "marketer")
    sign_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/events/{event.pk}/")
    page.get_by_test_id("open-in-editor").click()
    page.get_by_label("Email:", exact=True).fill("context.traits.email")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved “Shipped”.")).to_be_visible()

    page.goto(f"{live_server.url}/events/{event.pk}/")
    page.get_by_role("button", name="Re-run with the action as it is now").click()
    expect(page.get_by_text("Re-ran 1 invalid delivery with their action as it is now: 1 queued.")).to_be_visible()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.QUEUED
    assert delivery.payload["user"]["email"] == "person1@example.com"


def test_a_subscribe_action_says_what_the_person_receives_and_needs_the_disclosure(
    page: Page, live_server, destination, shots: Path
) -> None:
    open_new_action(page, live_server, destination)
    page.goto(f"{live_server.url}/destinations/{destination.pk}/actions/new/?preset=subscribed")
    summary = page.get_by_test_id("summary")
    # Without a recorded disclosure nobody is subscribed, and the preview says so plainly.
    expect(summary).to_contain_text("Nothing: this event is not sent, so they are not subscribed.")
    expect(summary).to_contain_text("no sign-up disclosure is recorded")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_test_id("never-delivers")).to_contain_text("No sign-up disclosure is recorded")

    destination.subscription_disclosure = "Reply STOP to cancel. Msg & data rates may apply."
    destination.save()
    page.goto(f"{live_server.url}/destinations/{destination.pk}/actions/new/?preset=subscribed")
    expect(page.get_by_test_id("summary")).to_contain_text("Subscribes this person to marketing text messages")
    expect(page.get_by_test_id("summary")).to_contain_text("They agreed to: “Reply STOP to cancel.")
    page.screenshot(path=str(shots / "subscribe-preview.png"))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved “Subscribed”.")).to_be_visible()
    assert Action.objects.get(name="Subscribed").enabled

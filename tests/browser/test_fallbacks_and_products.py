"""Fallbacks that compose and products without code: a marketer builds a mapping's candidate list
and an e-commerce action's products with clicks, and both reopen as they were built."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from destinations.attentive.ecommerce import PRODUCT_TABLE
from destinations.attentive.presets import IDENTIFIERS
from mapper import product_list
from mapper.models import Action
from tests.browser.conftest import open_new_action

pytestmark = pytest.mark.django_db(transaction=True)


def _pick(page: Page, holder, path: str) -> None:
    holder.get_by_role("button", name="Pick a field").click()
    picker = page.get_by_role("dialog", name="Pick a field of the sample event")
    picker.get_by_label("Search the sample's fields").fill(path)
    picker.get_by_role("button", name=re.compile("^" + re.escape(path) + " ")).click()


def test_a_three_candidate_phone_mapping_is_built_with_clicks_and_reopens_as_its_list(
    page: Page, live_server, destination, shots: Path
) -> None:
    open_new_action(page, live_server, destination)
    sample = json.loads(page.get_by_label("Sample event").input_value())
    sample["properties"].update({"billing_phone": "+1 415 555 0100", "phone": "not a phone"})
    page.get_by_label("Sample event").fill(json.dumps(sample, indent=2))
    phone = page.get_by_label("Phone:", exact=True)
    holder = page.locator(".field", has=phone)
    listed = holder.get_by_role("list", name="Candidates for Phone")
    expect(listed.get_by_role("listitem")).to_have_count(3)  # the preset's fallbacks, shown as a list

    listed.get_by_role("button", name="Remove traits.phone").click()
    _pick(page, holder, "properties.billing_phone")
    expect(phone).to_have_value("context.traits.phone || properties.phone || properties.billing_phone")
    listed.get_by_role("button", name="Move properties.billing_phone up").click()
    listed.get_by_role("button", name="Move properties.billing_phone up").click()
    expected = "properties.billing_phone || context.traits.phone || properties.phone"
    expect(phone).to_have_value(expected)
    # The first valid one is sent: the billing phone.
    expect(page.locator("#preview [data-testid=request]")).to_contain_text('"phone": "+14155550100"')
    expect(listed.locator("li").first).to_contain_text('"+1 415 555 0100"')  # the sample's value beside it
    page.screenshot(path=str(shots / "fallbacks.png"))

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved “Order Shipped”.")).to_be_visible()
    assert Action.objects.get().mappings["phone"] == expected
    reopened = page.locator(".field", has=page.get_by_label("Phone:", exact=True))
    items = reopened.get_by_role("list", name="Candidates for Phone").locator("li code")
    expect(items).to_have_text(["properties.billing_phone", "context.traits.phone", "properties.phone"])


def test_picking_a_field_adds_a_fallback_and_never_drops_the_others(page: Page, live_server, destination) -> None:
    open_new_action(page, live_server, destination)
    email = page.get_by_label("Email:", exact=True)
    expect(email).to_have_value(IDENTIFIERS["email"])
    _pick(page, page.locator(".field", has=email), "userId")
    expect(email).to_have_value(IDENTIFIERS["email"] + " || userId")
    _pick(page, page.locator(".field", has=email), "context.traits.email")  # already there: not repeated
    expect(email).to_have_value(IDENTIFIERS["email"] + " || userId")


def test_a_hand_written_chain_reopens_as_its_list_and_anything_else_stays_an_expression_with_a_note(
    page: Page, live_server, destination
) -> None:
    open_new_action(page, live_server, destination)
    external = page.get_by_label("External id:", exact=True)
    holder = page.locator(".field", has=external)
    external.fill("userId||properties.order_id")
    expect(holder.get_by_role("list", name="Candidates for External id").locator("li code")).to_have_text(
        ["userId", "properties.order_id"]
    )
    external.fill("join('-', [userId, properties.order_id])")
    expect(holder.get_by_text("more than a list of fields")).to_be_visible()
    _pick(page, holder, "properties.carrier")
    # Kept whole, with the picked field after it as a fallback.
    expect(external).to_have_value("(join('-', [userId, properties.order_id])) || properties.carrier")


def test_a_purchase_is_built_from_an_order_completed_sample_with_clicks_and_reopens_in_the_product_editor(
    page: Page, live_server, destination, shots: Path
) -> None:
    open_new_action(page, live_server, destination, preset="order_completed")
    page.get_by_label("Load a sample").select_option(label="Example: Order Completed")
    editor = page.get_by_role("group", name="Products, field by field")
    expect(editor.get_by_label("Products come from")).to_have_value("properties.products|each")
    # Start from nothing: every field of the preset's products removed, with clicks.
    removes = editor.locator("[data-remove-candidate]")
    while removes.count():
        removes.first.click()
    items = page.get_by_label("Products *:", exact=True)
    expect(items).to_have_value("properties.products")

    choices = {
        "Product id": "sku",
        "Variant id": "variant",
        "Price": "price",
        "Name": "name",
        "Web address": "url",
        "Image": "image_url",
        "Quantity": "quantity",
    }
    for label, field in choices.items():
        editor.get_by_label(f"Add a field to {label}").select_option(field)
    editor.get_by_label("Add a field to Variant id").select_option("sku")  # a fallback: the second has no variant
    expected = (
        "properties.products[*].{productId: sku, productVariantId: variant || sku, price: price, name: name, "
        "productUrl: url, productImage: image_url, quantity: quantity}"
    )
    expect(items).to_have_value(expected)
    assert (
        product_list.write(product_list.parse(expected, PRODUCT_TABLE), PRODUCT_TABLE) == expected
    )  # the server's rules, the same text
    row = editor.locator("[data-product-field=productVariantId]")
    expect(row.locator("output")).to_have_text('"Blue / M"')  # the first product's value
    request = page.locator("#preview [data-testid=request]")
    expect(request).to_contain_text('"productId": "G-32"')
    expect(request).to_contain_text('"productVariantId": "46493-32"')  # the second product has no variant
    page.screenshot(path=str(shots / "product-editor.png"))
    editor.screenshot(path=str(shots / "product-editor-detail.png"))

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved “Order Completed”.")).to_be_visible()
    assert Action.objects.get().mappings["items"] == expected
    editor = page.get_by_role("group", name="Products, field by field")
    expect(editor.get_by_label("Products come from")).to_have_value("properties.products|each")
    expect(editor.get_by_role("list", name="Variant id comes from").locator("code")).to_have_text(["variant", "sku"])
    expect(editor.get_by_role("list", name="Web address comes from").locator("code")).to_have_text(["url"])


def test_a_broken_product_is_named_by_its_id_beside_the_products(page: Page, live_server, destination) -> None:
    open_new_action(page, live_server, destination, preset="order_completed", username="ada")
    sample = json.loads(page.get_by_label("Sample event").input_value())
    sample["properties"]["products"][1]["price"] = "$12,99"
    page.get_by_label("Sample event").fill(json.dumps(sample, indent=2))
    errors = page.locator("[data-row=items] .live-errors")
    expect(errors).to_contain_text("product 2 (505bd76785ebb509fc183733) has a price that is not a number")


def test_products_typed_as_more_than_the_editor_shows_stay_an_expression_with_a_note(
    page: Page, live_server, destination
) -> None:
    open_new_action(page, live_server, destination, preset="order_completed")
    items = page.get_by_label("Products *:", exact=True)
    typed = "properties.products[?price > `30`].{productId: product_id, productVariantId: sku, price: price}"
    items.fill(typed)
    editor = page.get_by_role("group", name="Products, field by field")
    expect(editor.get_by_text("more than the editor can show")).to_be_visible()
    expect(items).to_have_value(typed)
    # Typed back in the editor's shape, it reopens in the editor.
    items.fill("properties.products[*].{productId: product_id, price: price}")
    expect(editor.get_by_role("list", name="Product id comes from").locator("code")).to_have_text(["product_id"])


def test_a_product_view_takes_its_one_product_from_the_events_properties(page: Page, live_server, destination) -> None:
    open_new_action(page, live_server, destination, preset="product_viewed")
    page.get_by_label("Load a sample").select_option(label="Example: Product Viewed")
    editor = page.get_by_role("group", name="Products, field by field")
    expect(editor.get_by_label("Products come from")).to_have_value("properties|one")
    expect(editor.locator("[data-product-field=name] output")).to_have_text('"Linen Shirt"')


def test_an_empty_products_field_shows_one_error_on_it(page: Page, live_server, destination, shots: Path) -> None:
    open_new_action(page, live_server, destination, preset="order_completed")
    page.get_by_label("Products *:", exact=True).fill("")
    errors = page.locator("[data-row=items] .live-errors")
    expect(errors).to_have_text("Error: Products is required.")
    expect(page.locator("#preview").get_by_text("items:")).to_have_count(1)
    page.screenshot(path=str(shots / "empty-products.png"), full_page=True)

"""E-commerce events: products reshaped for Attentive, broken ones left out, presets that match."""

from datetime import UTC, datetime
from typing import Any

import pytest

from destinations.attentive import ATTENTIVE
from destinations.attentive.ecommerce import ACTIONS, PURCHASE
from mapper.pipeline import ActionConfig, run_action
from tests.fake_attentive import ecommerce_problem

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def purchase(event_properties: dict[str, Any], **mappings: str):
    preset = PURCHASE.presets[0]
    event = {**preset.example_event, "properties": event_properties}
    config = ActionConfig.of("attentive", "purchase", preset.trigger, {**preset.mappings, **mappings}, 1)
    return run_action(config, event, now=NOW)


def product(**overrides: Any) -> dict[str, Any]:
    return {"product_id": "p-1", "sku": "S-1", "name": "Tote", "price": 10, "quantity": 1, **overrides}


def test_every_endpoint_is_its_own_action_type_at_attentives_path() -> None:
    assert [(action.key, action.path) for action in ACTIONS] == [
        ("product_view", "/v1/events/ecommerce/product-view"),
        ("add_to_cart", "/v1/events/ecommerce/add-to-cart"),
        ("purchase", "/v1/events/ecommerce/purchase"),
    ]
    assert all(ATTENTIVE.action(action.key) is action for action in ACTIONS)


def test_a_text_price_keeps_its_cents_and_becomes_attentives_price_list() -> None:
    result = purchase({"order_id": "o-1", "currency": "EUR", "products": [product(price="19.99")]})
    assert result.ok, result.errors
    (item,) = result.request.body["items"]
    assert item["price"] == [{"value": 19.99, "currency": "EUR"}]


def test_a_products_own_currency_wins_over_the_actions() -> None:
    result = purchase({"currency": "EUR", "products": [product(currency="gbp")]})
    assert result.request.body["items"][0]["price"] == [{"value": 10, "currency": "GBP"}]


def test_a_price_already_in_attentives_shape_passes_through() -> None:
    result = purchase({"products": [product(price=[{"value": 5.5, "currency": "USD"}])]})
    assert result.ok
    assert result.request.body["items"][0]["price"] == [{"value": 5.5, "currency": "USD"}]


def test_a_product_that_cannot_be_sent_is_left_out_with_a_warning_naming_its_position() -> None:
    products = [product(), product(price=None), product(quantity=2.5), product(currency="dollars")]
    result = purchase({"order_id": "o-1", "products": products})
    assert result.ok
    assert len(result.request.body["items"]) == 1
    (warning,) = [error for error in result.errors if error.field == "items"]
    assert warning.severity == "warning"
    assert "product 2 has no price" in warning.message
    assert "product 3 has a quantity that is not a whole number" in warning.message
    assert "product 4 has a currency" in warning.message
    assert "dollars" not in warning.message  # messages never quote a value


def test_a_price_written_as_no_number_is_is_told_apart_from_a_missing_one() -> None:
    result = purchase({"order_id": "o-1", "products": [product(), product(price="$12,99")]})
    (warning,) = [error for error in result.errors if error.field == "items"]
    assert "product 2 has a price that is not a number" in warning.message
    assert "12,99" not in warning.message


def test_no_product_left_is_an_error() -> None:
    result = purchase({"products": [product(product_id=None)]})
    assert not result.ok
    assert [(e.field, e.code, e.severity) for e in result.errors] == [("items", "invalid_product", "error")]


def test_no_products_at_all_is_an_error_on_the_products_field() -> None:
    result = purchase({"order_id": "o-1"})
    assert [(e.field, e.code) for e in result.errors] == [("items", "missing_required")]


def test_the_variant_falls_back_to_the_product_itself() -> None:
    result = purchase({"products": [{"product_id": 42, "price": 3}]})
    assert result.request.body["items"][0]["productId"] == "42"
    assert result.request.body["items"][0]["productVariantId"] == "42"


def test_a_sales_channel_is_written_as_attentive_spells_it_or_left_out_with_a_warning() -> None:
    result = purchase({"products": [product()], "channel": "in store"}, sales_channel="properties.channel")
    assert result.request.body["salesChannel"] == {"channelType": "IN_STORE"}
    result = purchase({"products": [product()], "channel": "kiosk"}, sales_channel="properties.channel")
    assert "salesChannel" not in result.request.body
    assert [(e.field, e.severity) for e in result.errors] == [("sales_channel", "warning")]


def test_a_web_address_that_is_not_one_leaves_the_product_out() -> None:
    result = purchase({"products": [product(url="javascript:alert(1)"), product()]})
    assert len(result.request.body["items"]) == 1


@pytest.mark.parametrize("name", ["Order Completed", "order_completed", "ORDER COMPLETED", "Checkout Completed"])
def test_the_purchase_preset_matches_the_common_spellings(name: str) -> None:
    preset = PURCHASE.presets[0]
    event = {**preset.example_event, "event": name}
    assert run_action(ActionConfig.of("attentive", "purchase", preset.trigger, dict(preset.mappings)), event).ok


@pytest.mark.parametrize("action", ACTIONS, ids=lambda action: action.key)
def test_every_preset_body_is_one_the_strict_fake_accepts(action) -> None:
    preset = action.presets[0]
    result = run_action(
        ActionConfig.of("attentive", action.key, preset.trigger, dict(preset.mappings)),
        dict(preset.example_event),
        now=NOW,
    )
    assert result.ok, result.errors
    assert ecommerce_problem(action.path, result.request.body) is None


def test_only_a_purchase_carries_an_order_id() -> None:
    assert "orderId" not in ATTENTIVE.action("product_view").schema["properties"]
    assert "orderId" in PURCHASE.schema["properties"]


def test_an_empty_products_field_is_one_error_saying_it_is_required() -> None:
    result = purchase({"order_id": "o-1", "products": [product()]}, items="")
    assert [(e.field, e.code, e.message) for e in result.errors if e.severity == "error"] == [
        ("items", "missing_required", "Products is required.")
    ]

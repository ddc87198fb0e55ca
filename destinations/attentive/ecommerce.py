"""E-commerce events: product view, add to cart and purchase (POST /v1/events/ecommerce/…).

They drive Attentive's browse- and cart-abandonment and post-purchase journeys. Each endpoint is its
own action type, so that a preset or an action can never send to an endpoint that does not exist
(Segment's View Item preset named one). Products come from an array (`properties.products[*]`) or
from one product (`properties`, as Segment's Product Viewed and Product Added carry it).

Each product is reshaped for Attentive: `price` becomes its array of `{value, currency}`, text
prices are read as numbers without losing cents (RudderStack rounds 19.99 to 19), quantities are
whole numbers. A product that cannot be sent is left out with a warning naming it by position; the
request fails only when no product is left. Messages never quote a value.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Any

from destinations.attentive import payloads, schemas
from destinations.attentive.actions import (
    CUSTOM_IDENTIFIERS,
    EMAIL_HELP,
    EXTERNAL_ID_HELP,
    IDENTIFIER_KEYS,
    IDENTIFIERS_NAMED,
    NO_IDENTIFIER,
    PHONE_HELP,
)
from destinations.attentive.presets import IDENTIFIERS, track_example
from destinations.definition import ActionType, BuildContext, Built, FieldError, Preset, ProductTable, TargetField

# The editor's products table: Attentive's product fields, in the order they are written, with its labels.
PRODUCT_TABLE = ProductTable(
    field="items",
    product_fields=(
        ("productId", "Product id"),
        ("productVariantId", "Variant id"),
        ("price", "Price"),
        ("currency", "Currency"),
        ("name", "Name"),
        ("productUrl", "Web address"),
        ("productImage", "Image"),
        ("quantity", "Quantity"),
    ),
    named_by=("productId", "productVariantId", "name"),
    invalid_code="invalid_product",
)

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_WEB_ADDRESS = re.compile(r"https?://\S+")

# One product of the event, as Attentive names its parts; the variant falls back to the product
# itself, as single-variant catalogues have no variant id.
_PRODUCT = (
    "{productId: product_id, productVariantId: variant_id || variant || sku || product_id, price: price, "
    "currency: currency, name: name, productUrl: url, productImage: image_url, quantity: quantity}"
)
ONE_PRODUCT = "properties." + _PRODUCT
EACH_PRODUCT = "properties.products[*]." + _PRODUCT


def build_ecommerce_event(values: Mapping[str, Any], ctx: BuildContext, *, purchase: bool = False) -> Built:
    """Return the body of an e-commerce endpoint (`purchase` adds the order id and sales channel)."""
    body: dict[str, Any] = {}
    built = Built(body)
    items = _items(values, built)
    if items:
        body["items"] = items
        built.origins[("items",)] = "items"
    occurred_at = payloads.occurred_at_value(values, ctx, built)
    if occurred_at is not None:
        body["occurredAt"] = occurred_at
        built.origins[("occurredAt",)] = "occurred_at"
    if purchase:
        order_id = payloads.text_value(values, "order_id", built)
        if order_id is not None:
            body["orderId"] = order_id
            built.origins[("orderId",)] = "order_id"
        channel = payloads.text_value(values, "sales_channel", built)
        if channel is not None:
            if channel.upper().replace(" ", "_") in schemas.SALES_CHANNELS:
                body["salesChannel"] = {"channelType": channel.upper().replace(" ", "_")}
                built.origins[("salesChannel",)] = "sales_channel"
            else:
                built.errors.append(
                    FieldError(
                        "sales_channel",
                        "invalid_value",
                        "The sales channel must be one of " + ", ".join(schemas.SALES_CHANNELS) + ": it is left out.",
                        "warning",
                    )
                )
    payloads.add_user(values, ctx, body, built)
    return built


def _items(values: Mapping[str, Any], built: Built) -> list[dict[str, Any]]:
    # Each product's parts are judged one by one below (empty ones left out there), so the
    # products are not cleaned up as a whole first.
    raw = values.get("items")
    if raw is None or raw == "" or raw == [] or raw == {}:
        built.errors.append(FieldError("items", "missing_required", "No product resolved: there is nothing to send."))
        return []
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        built.errors.append(FieldError("items", "not_object", "Expected a product (an object) or a list of them."))
        return []
    default_currency = payloads.text_value(values, "currency", built)
    items, skipped = [], []
    for position, product in enumerate(raw, start=1):
        item, problem = _item(product, default_currency)
        if item is None:
            skipped.append(f"product {position} {problem}")
        else:
            items.append(item)
    if skipped:
        left = "The others are sent." if items else "No product is left to send."
        built.errors.append(
            FieldError(
                "items",
                "invalid_product",
                f"Left out: {'; '.join(skipped[:5])}{'…' if len(skipped) > 5 else ''}. {left}",
                "warning" if items else "error",
            )
        )
    return items


def _item(product: Any, default_currency: str | None) -> tuple[dict[str, Any] | None, str]:
    """The product as Attentive wants it, or None and what is wrong with it."""
    if type(product) is not dict:
        return None, "is not an object"
    product_id = _identifier(product.get("productId"))
    if product_id is None:
        return None, "has no product id"
    variant_id = _identifier(product.get("productVariantId"))
    if variant_id is None:
        return None, "has no variant id"
    price = _price(product.get("price"), product.get("currency") or default_currency)
    if type(price) is str:
        return None, price
    item: dict[str, Any] = {"productId": product_id, "productVariantId": variant_id, "price": price}
    name = product.get("name")
    if type(name) is str and (name := name.strip()):
        item["name"] = name
    for key, what in (("productUrl", "web address"), ("productImage", "image")):
        address = product.get(key)
        if type(address) is str and (address := address.strip()):
            if not _WEB_ADDRESS.fullmatch(address):
                return None, f"has {'a' if key == 'productUrl' else 'an'} {what} that is not an http(s) address"
            item[key] = address
    quantity = product.get("quantity")
    if quantity is not None:
        whole = _whole_number(quantity)
        if whole is None:
            return None, "has a quantity that is not a whole number"
        item["quantity"] = whole
    return item, ""


def _identifier(value: Any) -> str | None:
    if type(value) is str:
        return value.strip() or None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        text = str(value).strip()
        return text or None
    return None


def _price(value: Any, currency: Any) -> list[dict[str, Any]] | str:
    """Attentive's price (a list of {value, currency}) or what is wrong with the price."""
    if isinstance(value, list):  # already Attentive's shape
        prices = [
            _price(member.get("value"), member.get("currency") or currency) if isinstance(member, dict) else ""
            for member in value
        ]
        if not prices or any(isinstance(price, str) for price in prices):
            return "has a price list that is not {value, currency} entries"
        return [entry for price in prices for entry in price]  # type: ignore[union-attr]
    amount = _amount(value)
    if amount is None:
        if value is None or value == "":
            return "has no price (a number)"
        # Named apart from a missing price: the price is there, written as no number is (12.99 is).
        return "has a price that is not a number (write it as 12.99)"
    entry: dict[str, Any] = {"value": amount}
    if currency is not None and currency != "":
        if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency.strip()):
            return "has a currency that is not a three-letter code (USD)"
        entry["currency"] = currency.strip().upper()
    return [entry]


def _amount(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        text = value.strip()
        return float(text) if "." in text else int(text)
    return None


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _fields(items_default: str, *, purchase: bool) -> tuple[TargetField, ...]:
    fields = [
        TargetField(
            "items",
            "Products",
            "One expression giving the products (a list, or one product): each with productId, "
            "productVariantId, price (a number) and optionally currency, name, productUrl, productImage "
            "and quantity. A product that cannot be sent is left out with a warning.",
            required=True,
            default=items_default,
        ),
        TargetField(
            "currency",
            "Currency",
            "ISO 4217 code (USD) for products that carry none. Attentive assumes USD when there is none.",
            default="properties.currency",
        ),
        TargetField("phone", "Phone", PHONE_HELP, default=IDENTIFIERS["phone"]),
        TargetField("email", "Email", EMAIL_HELP, default=IDENTIFIERS["email"]),
        TargetField("external_id", "External id", EXTERNAL_ID_HELP, default=IDENTIFIERS["external_id"]),
        TargetField(
            "occurred_at",
            "Occurred at",
            "When it happened (sent in RFC 3339, UTC). Events older than 12 hours are recorded but do not "
            "trigger journeys.",
            default="timestamp",
        ),
    ]
    if purchase:
        fields += [
            TargetField("order_id", "Order id", "Sent as orderId.", default="properties.order_id"),
            TargetField(
                "sales_channel",
                "Sales channel",
                "One of " + ", ".join(schemas.SALES_CHANNELS) + " (sent as salesChannel.channelType).",
            ),
        ]
    return tuple(fields)


def _preset(key: str, name: str, spellings: tuple[str, ...], description: str, example: dict[str, Any]) -> Preset:
    """A preset that matches the Segment e-commerce spec's event name and its common spellings."""
    names = ", ".join(f"'{spelling}'" for spelling in (name.lower(), *spellings))
    return Preset(
        key=key,
        name=name,
        description=description,
        trigger=f"type == 'track' && contains([{names}], lower(event))",
        mappings={},  # filled with the action type's defaults below
        example_event=track_example(name, f"msg-{key}-0001", example),
    )


_VIEWED_PRODUCT = {
    "product_id": "507f1f77bcf86cd799439011",
    "sku": "G-32",
    "name": "Linen Shirt",
    "variant": "Blue / M",
    "price": 49.5,
    "currency": "USD",
    "url": "https://shop.example.com/products/linen-shirt",
    "image_url": "https://shop.example.com/images/linen-shirt.jpg",
    "quantity": 1,
}


def _action(
    key: str,
    title: str,
    endpoint: str,
    description: str,
    preset: Preset,
    *,
    purchase: bool = False,
    items_default: str = ONE_PRODUCT,
) -> ActionType:
    fields = _fields(items_default, purchase=purchase)
    defaults = {field.key: field.default for field in fields if field.default}
    return ActionType(
        key=key,
        title=title,
        description=f"{description} (POST /v1/events/ecommerce/{endpoint}).",
        method="POST",
        path=f"/v1/events/ecommerce/{endpoint}",
        fields=fields,
        row_groups=(CUSTOM_IDENTIFIERS,),
        schema=schemas.ecommerce_event(endpoint, purchase=purchase),
        build=partial(build_ecommerce_event, purchase=purchase),
        presets=(replace(preset, mappings=defaults),),
        default_trigger=preset.trigger,
        warn_at_send=payloads.stale_at_send,
        identifier_keys=IDENTIFIER_KEYS,
        identifiers_named=IDENTIFIERS_NAMED,
        skips=(NO_IDENTIFIER,),
        validated_identifiers=("phone", "email"),
        product_table=PRODUCT_TABLE,
    )


PRODUCT_VIEW = _action(
    "product_view",
    "Product View",
    "product-view",
    "A product was viewed: browse abandonment journeys",
    _preset(
        "product_viewed",
        "Product Viewed",
        ("product_viewed", "view item", "view_item"),
        "Browse abandonment: the product a shopper looked at.",
        _VIEWED_PRODUCT,
    ),
)
ADD_TO_CART = _action(
    "add_to_cart",
    "Add to Cart",
    "add-to-cart",
    "A product was added to the cart: cart abandonment journeys",
    _preset(
        "product_added",
        "Product Added",
        ("product_added", "add to cart", "add_to_cart", "added to cart"),
        "Cart abandonment: the product put in the cart.",
        {**_VIEWED_PRODUCT, "cart_id": "cart-5521", "quantity": 2},
    ),
)
PURCHASE = _action(
    "purchase",
    "Purchase",
    "purchase",
    "An order was completed: post-purchase journeys",
    _preset(
        "order_completed",
        "Order Completed",
        ("order_completed", "purchase", "checkout completed", "checkout_completed"),
        "Post-purchase: thank-you, cross-sell and review requests, with every product of the order.",
        {
            "order_id": "50314b8e9bcf000000000000",
            "total": 127.45,
            "currency": "USD",
            "products": [
                {**_VIEWED_PRODUCT, "quantity": 1},
                {
                    "product_id": "505bd76785ebb509fc183733",
                    "sku": "46493-32",
                    "name": "Canvas Tote",
                    "price": "27.95",
                    "quantity": 2,
                    "url": "https://shop.example.com/products/canvas-tote",
                },
            ],
        },
    ),
    purchase=True,
    items_default=EACH_PRODUCT,
)
ACTIONS = (PRODUCT_VIEW, ADD_TO_CART, PURCHASE)

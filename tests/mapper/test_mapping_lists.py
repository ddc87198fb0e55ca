"""The editor's reading of mappings for its scripts: the products table is the action type's to declare."""

from dataclasses import replace
from types import SimpleNamespace

from destinations.attentive import ATTENTIVE
from destinations.attentive.ecommerce import PRODUCT_TABLE
from destinations.definition import TargetField
from mapper.templatetags.mapping_lists import mapping_lists


def _form(action_type, mappings: dict[str, str]) -> SimpleNamespace:
    return SimpleNamespace(action_type=action_type, mappings=lambda: mappings, groups=[])


def test_an_action_type_that_declares_a_products_table_gets_it_with_its_fields() -> None:
    purchase = ATTENTIVE.action("purchase")
    lists = mapping_lists(_form(purchase, {"items": "properties.products[*].{productId: product_id}"}))
    assert (lists["product_field"], lists["product_fields"]) == ("items", PRODUCT_TABLE.product_fields)
    assert lists["products"]["properties.products[*].{productId: product_id}"]["fields"] == {
        "productId": ["product_id"]
    }


def test_a_field_keyed_items_of_a_type_that_declares_no_table_gets_none() -> None:
    custom = ATTENTIVE.action("custom_event")
    with_items = replace(custom, fields=(*custom.fields, TargetField("items", "Items", "A list.")))
    lists = mapping_lists(_form(with_items, {"items": "properties.products[*].{productId: product_id}"}))
    assert (lists["product_field"], lists["product_fields"], lists["products"]) == ("", [], {})

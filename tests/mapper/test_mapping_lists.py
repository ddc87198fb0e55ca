"""The editor carries the server's reading of each mapping (a list of fallbacks, a product list) for its scripts."""

import json
import re

import pytest

from destinations.attentive.ecommerce import EACH_PRODUCT
from destinations.attentive.presets import IDENTIFIERS
from destinations.models import Destination
from tests.mapper.test_trial_send import signed_in

pytestmark = pytest.mark.django_db


def _lists(html: str) -> dict:
    found = re.search(r'<script id="mapping-lists" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_the_editor_reads_each_mapping_as_its_list_of_fallbacks() -> None:
    destination = Destination.objects.create(name="D")
    html = signed_in("engineer").get(f"/destinations/{destination.pk}/actions/new/?preset=order_shipped").content
    lists = _lists(html.decode())
    assert lists["candidates"][IDENTIFIERS["email"]] == ["context.traits.email", "properties.email", "traits.email"]
    assert lists["products"] == {}


def test_a_purchase_editor_reads_its_products_as_a_product_list_after_each_preview() -> None:
    destination = Destination.objects.create(name="D")
    client = signed_in("marketer")
    html = client.get(f"/destinations/{destination.pk}/actions/new/?preset=order_completed").content.decode()
    assert _lists(html)["products"][EACH_PRODUCT]["source"] == "properties.products"
    typed = "properties.items[*].{productId: id, price: amount || price}"
    answer = client.post(
        f"/destinations/{destination.pk}/actions/preview/purchase/",
        {"name": "P", "trigger": "type == 'track'", "map__items": typed, "sample_event": "{}"},
    )
    product = _lists(answer.content.decode())["products"][typed]
    assert product == {
        "source": "properties.items",
        "each": True,
        "fields": {"productId": ["id"], "price": ["amount", "price"]},
    }

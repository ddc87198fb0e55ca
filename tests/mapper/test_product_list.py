"""The product list editor's model: the projection it writes reopens as what was chosen."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from destinations.attentive.ecommerce import EACH_PRODUCT, ONE_PRODUCT, PRODUCT_TABLE
from destinations.definition import FieldError
from mapper import product_list
from mapper.product_list import ProductList
from mapper.trigger_builder import path_text

_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_ -", min_size=1, max_size=8)
_path = st.lists(_names, min_size=1, max_size=3).map(path_text)
_fields = st.dictionaries(
    st.sampled_from([key for key, _label in PRODUCT_TABLE.product_fields]),
    st.lists(_path, min_size=1, max_size=3),
    min_size=1,
)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)  # the machine is shared: time is noise
@given(_path, st.booleans(), _fields)
def test_any_product_list_written_then_parsed_is_the_same(source: str, each: bool, fields: dict) -> None:
    model = ProductList(source, each, fields)
    parsed = product_list.parse(product_list.write(model, PRODUCT_TABLE), PRODUCT_TABLE)
    assert parsed is not None
    assert (parsed.source, parsed.each, parsed.fields) == (source, each, fields)


def test_the_e_commerce_defaults_reopen_as_lists_and_are_written_back_as_they_were() -> None:
    each = product_list.parse(EACH_PRODUCT, PRODUCT_TABLE)
    assert each is not None
    assert (each.source, each.each) == ("properties.products", True)
    assert each.fields["productVariantId"] == ["variant_id", "variant", "sku", "product_id"]
    assert product_list.write(each, PRODUCT_TABLE) == EACH_PRODUCT
    one = product_list.parse(ONE_PRODUCT, PRODUCT_TABLE)
    assert one is not None
    assert (one.source, one.each) == ("properties", False)
    assert product_list.write(one, PRODUCT_TABLE) == ONE_PRODUCT


def test_a_projection_the_editor_does_not_write_stays_an_expression() -> None:
    for source in (
        "properties.products",
        "properties.products[*].{productId: product_id, extra: x}",
        "properties.products[*].{productId: to_string(id)}",
        "properties.products[?price > `1`].{productId: product_id}",
        "properties.products[*].[product_id]",
        "{productId: product_id}",
    ):
        assert product_list.parse(source, PRODUCT_TABLE) is None, source


def test_a_left_out_product_is_named_by_its_id_in_the_editor() -> None:
    error = FieldError("items", "invalid_product", "Left out: product 2 has no price (a number). The others are sent.")
    fields = {"items": [{"productId": "A-1"}, {"productId": "SKU-1", "price": "$12,99"}]}
    (named,) = product_list.name_products([error], fields, PRODUCT_TABLE)
    assert named.message == "Left out: product 2 (SKU-1) has no price (a number). The others are sent."


def test_a_product_without_an_id_is_named_by_its_name_and_a_masked_one_by_its_position() -> None:
    error = FieldError("items", "invalid_product", "Left out: product 1 has no price; product 2 has no price.")
    fields = {"items": [{"productId": " ", "name": "Canvas Tote"}, {"productId": "•••", "name": "•••"}]}
    (named,) = product_list.name_products([error], fields, PRODUCT_TABLE)
    assert named.message == "Left out: product 1 (Canvas Tote) has no price; product 2 has no price."

"""The products table's model: an action field built from the event's product array, as the action
type declares it (destinations.definition.ProductTable; Attentive's e-commerce `items`).

`properties.products[*].{productId: product_id, price: price || amount}` is the array
`properties.products` with each product field mapped from candidates of one element (see
mapper.candidates). `properties.{productId: product_id}` is one product (Segment's Product Viewed
carries it in `properties`). The editor writes the projection with `write` and reads back, with
`parse`, what it wrote or what was typed in the same shape; anything else is None and stays an
expression. static/mapper/js/product_list.js writes with the same rules.

It also names a left-out product by its id or name in the editor's preview (`name_products`).
"""

import re
from dataclasses import dataclass, field, replace
from typing import Any

from jmespath import exceptions as jmespath_errors
from jmespath.parser import Parser

from destinations.definition import FieldError, ProductTable
from mapper import candidates
from mapper.engine.limits import MAX_EXPRESSION_LENGTH
from mapper.masking import MASK
from mapper.trigger_builder import path_keys, path_text


@dataclass(frozen=True, slots=True)
class ProductList:
    """Products taken from `source`: each element of the array (`each`), or the one object."""

    source: str
    each: bool = True
    fields: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "each": self.each, "fields": self.fields}


def _keys(table: ProductTable) -> tuple[str, ...]:
    return tuple(key for key, _label in table.product_fields)


def write(model: ProductList, table: ProductTable) -> str:
    """The projection for `model`; a list with no field mapped is its source as it is."""
    parts = [
        f"{key}: {candidates.write(model.fields[key])}"
        for key in _keys(table)
        if candidates.write(model.fields.get(key, []))
    ]
    if not parts:
        return model.source
    return f"{model.source}{'[*]' if model.each else ''}.{{{', '.join(parts)}}}"


def parse(source: str, table: ProductTable) -> ProductList | None:
    """The model of `source` when it is a projection the editor writes, else None."""
    if not source.strip() or len(source) > MAX_EXPRESSION_LENGTH:
        return None
    try:
        tree = Parser().parse(source).parsed
    except (jmespath_errors.JMESPathError, RecursionError):
        return None
    split = _split(tree)
    if split is None:
        return None
    keys, each, selection = split
    known = _keys(table)
    fields: dict[str, list[str]] = {}
    for pair in selection["children"]:
        found = candidates.of_node(pair["children"][0])
        if pair["value"] not in known or pair["value"] in fields or not found:
            return None
        fields[pair["value"]] = found
    return ProductList(path_text(keys), each, {key: fields[key] for key in known if key in fields})


def _split(node: dict[str, Any]) -> tuple[list[str | int], bool, dict[str, Any]] | None:
    """(the source's steps, whether each element is taken, the {…} selection), or None.
    jmespath reads `a.b[*].{…}` as subexpression(a, projection(b, {…})) and `a.b.{…}` as
    subexpression(a, b, {…})."""
    if node["type"] == "projection":
        left, right = node["children"]
        keys = path_keys(left)
        return (keys, True, right) if keys and right["type"] == "multi_select_dict" else None
    if node["type"] != "subexpression":
        return None
    *path, last = node["children"]
    keys: list[str | int] = []
    for step in path:
        found = path_keys(step)
        if found is None:
            return None
        keys.extend(found)
    if last["type"] == "multi_select_dict":
        return (keys, False, last) if keys else None
    inner = _split(last) if last["type"] == "projection" else None
    if inner is None or not keys:
        return None
    return [*keys, *inner[0]], inner[1], inner[2]


def for_expressions(expressions: list[str], table: ProductTable) -> dict[str, dict[str, Any] | None]:
    """Each expression's product list (None: not one the editor writes), for the editor."""
    found = {}
    for expression in dict.fromkeys(expressions):
        model = parse(expression, table)
        found[expression] = model.as_dict() if model is not None else None
    return found


_LEFT_OUT = re.compile(r"\bproduct (\d+) ")
_LABEL = re.compile(r"[^()\n]{1,60}")


def name_products(errors: list[FieldError], fields: dict[str, Any], table: ProductTable) -> list[FieldError]:
    """`errors` with each left-out product named by its id, else its name, beside its position
    ("product 2 (SKU-1) has no price"), read from the resolved products. Only for the editor's
    preview, shown to someone who may see the sample's values: the builder's own message (which
    reaches the delivery log, shown to every role) names positions only."""
    products = fields.get(table.field)
    if isinstance(products, dict):
        products = [products]
    if not isinstance(products, list):
        return errors

    def named(match: re.Match[str]) -> str:
        position = int(match.group(1))
        label = _label(products[position - 1], table) if 0 < position <= len(products) else None
        return f"product {position} ({label}) " if label else match.group(0)

    return [
        replace(error, message=_LEFT_OUT.sub(named, error.message)) if error.code == table.invalid_code else error
        for error in errors
    ]


def _label(product: Any, table: ProductTable) -> str | None:
    if not isinstance(product, dict):
        return None
    for key in table.named_by:
        value = product.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and _LABEL.fullmatch(value.strip()) and MASK not in value:
            return value.strip()
    return None

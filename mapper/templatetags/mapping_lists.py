"""The editor's reading of each mapping, for its scripts: as a list of candidates (mapper.candidates)
and, for e-commerce products, as a product list (mapper.product_list). Rendered into the preview
panel, so that each preview brings back the server's parse of what was typed by hand."""

from typing import Any

from django import template

from mapper import candidates, product_list
from mapper.forms import ActionForm

register = template.Library()


@register.simple_tag
def mapping_lists(form: ActionForm) -> dict[str, Any]:
    expressions = [*form.mappings().values(), *(row.expression for group in form.groups for row in group.rows)]
    expressions = [expression.strip() for expression in expressions]
    table = form.action_type.product_table  # declared by the action type: None, no products table
    products = form.mappings().get(table.field, "") if table is not None else ""
    return {
        "candidates": candidates.for_expressions(expressions),
        "products": product_list.for_expressions([products], table) if table is not None else {},
        "product_field": table.field if table is not None else "",
        "product_fields": table.product_fields if table is not None else [],
    }

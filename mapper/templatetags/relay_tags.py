import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict | None, key: Any) -> Any:
    return mapping.get(key) if mapping else None


@register.filter
def shown_json(value: Any, masked: bool) -> str:
    """A body as a page shows it: masked numbers and true/false as markers (mapper.masking.shown_json)."""
    from mapper.masking import shown_json as text

    return text(value, masked=bool(masked))


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)

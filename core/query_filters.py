"""Query filters, read strictly: the one helper every list uses (its pages, its API, a replay's selection).

A filter that cannot be read is refused by name, never ignored: an ignored `?destination=²` shows (or
replays) everything, which is the opposite of what was asked. Pages answer a 400 page that names the
parameter (config.views.bad_request), the API an RFC 9457 problem (core.problems). Messages never
quote the value: a filter may hold a message id, which may be an email.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import BadRequest

from core.converters import MAX_ID_DIGITS, parse_id

# Reads one parameter's text; raises ValueError with a message that names what was expected.
Parser = Callable[[str], Any]
# What any list of the API takes besides its filters: paging (config.api), and DRF's format override.
LIST_PARAMETERS = ("limit", "offset", "format")


class BadFilter(BadRequest):
    """One or more query parameters that cannot be read: `errors` maps each one's name to why."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(f"{name}: {message}" for name, message in self.errors.items()))


def an_id(text: str) -> int:
    value = parse_id(text)
    if value is None:
        raise ValueError(f"An id: a whole number of at most {MAX_ID_DIGITS} digits (0-9).")
    return value


def a_number(minimum: int = 0) -> Parser:
    """A whole number of at least `minimum` (a limit, an offset)."""

    def parse(text: str) -> int:
        value = parse_id(text)
        if value is None or value < minimum:
            raise ValueError(f"A whole number (0-9) of at least {minimum}.")
        return value

    return parse


def one_of(*choices: str) -> Parser:
    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError(f"One of: {', '.join(choices)}.")
        return text

    return parse


def text(max_length: int | None = None) -> Parser:
    def parse(value: str) -> str:
        value = value.strip()
        if max_length is not None and len(value) > max_length:
            raise ValueError(f"At most {max_length} characters.")
        return value

    return parse


def parse_filters(
    params: Mapping[str, Any], spec: Mapping[str, Parser], *, others: Iterable[str] | None = ()
) -> dict[str, Any]:
    """The filters `spec` names that `params` gives, read by their parsers (an empty value is no filter).

    Raises BadFilter naming every parameter that cannot be read, a filter given twice, and, unless
    `others` is None, every parameter that is neither a filter nor one of `others` (a misspelt
    `?destinaton=1` would otherwise show everything). `others=None` suits a form's POST, which carries
    fields of its own."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    allowed = set(spec) | set(others or ())
    for name in params:
        if others is not None and name not in allowed:
            errors[str(name)] = f"Not a filter here. Filters: {', '.join(spec) or 'none'}."
    for name, parse in spec.items():
        given = params.getlist(name) if hasattr(params, "getlist") else [params[name]] if name in params else []
        if len(given) > 1:
            errors[name] = "Given more than once."
            continue
        if not given or given[0] is None or str(given[0]) == "":
            continue
        try:
            values[name] = parse(str(given[0]))
        except ValueError as error:
            errors[name] = str(error)
    if errors:
        raise BadFilter(errors)
    return values

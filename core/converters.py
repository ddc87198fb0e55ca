"""URL converters. Ids are bounded so that no URL can make the database overflow."""

from django.urls import register_converter

MAX_ID_DIGITS = 18


class IdConverter:
    regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")  # importing this module is enough (config/urls.py does)


def parse_id(value: object) -> int | None:
    """Return `value` as an id if it is a whole number that fits the database, else None."""
    text = str(value)
    # str.isdigit() also accepts "²" and other digits int() cannot read: only ASCII 0-9 is an id.
    return int(text) if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS else None

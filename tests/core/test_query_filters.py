"""core/query_filters.py: a query filter is read strictly, and one that cannot be read is refused by name."""

import pytest
from django.http import QueryDict

from core.query_filters import BadFilter, a_number, an_id, one_of, parse_filters, text

SPEC = {"destination": an_id, "status": one_of("queued", "failed"), "note": text(5)}


def refused(params, **options) -> dict[str, str]:
    with pytest.raises(BadFilter) as caught:
        parse_filters(params, SPEC, **options)
    return caught.value.errors


@pytest.mark.parametrize("value", ["²", "abc", "-1", "1.0", " 1", "1" * 19, "0x1"])
def test_an_id_that_is_not_plain_ascii_digits_is_refused_by_name(value: str) -> None:
    assert set(refused({"destination": value})) == {"destination"}


def test_filters_that_can_be_read_are_returned_read() -> None:
    assert parse_filters({"destination": "42", "status": "failed", "note": " hi "}, SPEC) == {
        "destination": 42,
        "status": "failed",
        "note": "hi",
    }


def test_an_empty_value_is_no_filter() -> None:
    assert parse_filters({"destination": "", "status": ""}, SPEC) == {}


def test_a_value_outside_the_choices_is_refused_with_the_choices() -> None:
    assert refused({"status": "Failed"}) == {"status": "One of: queued, failed."}


def test_a_text_longer_than_it_can_be_is_refused() -> None:
    assert refused({"note": "x" * 6}) == {"note": "At most 5 characters."}


def test_every_bad_filter_is_named_at_once() -> None:
    assert set(refused({"destination": "²", "status": "nope", "note": "toolong"})) == {"destination", "status", "note"}


def test_a_misspelt_filter_is_refused_unless_other_parameters_are_allowed() -> None:
    assert set(refused({"destinaton": "1"})) == {"destinaton"}
    assert parse_filters({"destinaton": "1", "page": "2"}, SPEC, others=None) == {}
    assert parse_filters({"page": "2"}, SPEC, others=("page",)) == {}


def test_a_filter_given_twice_is_refused() -> None:
    assert refused(QueryDict("destination=1&destination=2")) == {"destination": "Given more than once."}


def test_the_message_never_quotes_the_value() -> None:
    with pytest.raises(BadFilter) as caught:
        parse_filters({"destination": "jane@example.com"}, SPEC)
    assert "jane" not in str(caught.value)
    assert "jane" not in str(caught.value.errors)


def test_a_number_has_a_minimum() -> None:
    assert a_number(1)("3") == 3
    with pytest.raises(ValueError, match="at least 1"):
        a_number(1)("0")

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from destinations.identifiers import normalize_email, normalize_phone, parse_phone


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(555) 123-4567", "US", "+15551234567"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("415.555.2671", "CA", "+14155552671"),
        ("1 415 555 2671", "US", "+14155552671"),
        ("+1 (415) 555-2671", "GB", "+14155552671"),
        ("+44 20 7183 8750", "US", "+442071838750"),
        ("020 7183 8750", "GB", "+442071838750"),
        ("+1---914---844---0001", "US", "+19148440001"),
        (4155552671, "US", "+14155552671"),
        ("12", "US", None),
        ("555-1234", "US", None),
        ("not a phone", "US", None),
        ("", "US", None),
        (True, "US", None),
        ({"number": "4155552671"}, "US", None),
        ("4155552671", "", None),
    ],
)
def test_normalizes_phone_numbers_to_e164(raw: object, region: str, expected: str | None) -> None:
    assert normalize_phone(raw, region) == expected


separators = st.sampled_from(["", " ", "-", ".", "  ", "/"])
nanp_like = st.builds(
    lambda prefix, open_paren, area, sep1, exchange, sep2, line, close: (
        f"{prefix}{'(' if open_paren else ''}{area}{')' if close else ''}{sep1}{exchange}{sep2}{line}"
    ),
    st.sampled_from(["", "1", "1 ", "+1", "+1 ", "+1-", "+1.", "+", "11", "+44 "]),
    st.booleans(),
    st.text("0123456789", min_size=2, max_size=4),
    separators,
    st.text("0123456789", min_size=2, max_size=4),
    separators,
    st.text("0123456789", min_size=3, max_size=5),
    st.booleans(),
)


@given(text=nanp_like, region=st.sampled_from(["US", "CA", "GB", "DE", "PR"]))
@settings(max_examples=1500)
def test_north_american_fast_path_agrees_with_phonenumbers(text: str, region: str) -> None:
    assert normalize_phone(text, region) == parse_phone(text, region)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Jane.Doe@Example.COM ", "jane.doe@example.com"),
        ("jane@example", None),
        ("jane at example.com", None),
        ("two@@example.com", None),
        ("", None),
        (42, None),
    ],
)
def test_normalizes_emails(raw: object, expected: str | None) -> None:
    assert normalize_email(raw) == expected

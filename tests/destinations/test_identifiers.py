import phonenumbers
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


# Country codes of every kind: shared (+1, +7, +44), national prefixes that parsing strips (+44 0…),
# carrier codes (+54, +55), a leading zero kept (+39), non-geographic (+800), unknown (+999).
international = st.builds(
    lambda code, sep, digits, groups: (
        "+" + code + sep + sep.join(digits[i : i + groups] for i in range(0, len(digits), groups))
    ),
    st.sampled_from(
        ["1", "7", "20", "33", "39", "44", "49", "52", "54", "55", "61", "81", "86", "91", "353", "800", "999"]
    ),
    st.sampled_from(["", " ", "-", ".", " (", ") "]),
    st.text("0123456789", min_size=4, max_size=13),
    st.integers(2, 4),
)


@given(text=international, region=st.sampled_from(["US", "GB", "DE", "BR"]))
@settings(max_examples=3000)
def test_international_fast_path_agrees_with_phonenumbers(text: str, region: str) -> None:
    assert normalize_phone(text, region) == parse_phone(text, region)


# E.164 as a sender should write it, a plus and digits only: every country code phonenumbers
# knows (and unknown ones) followed by any number of digits, some of them not ASCII digits.
e164_like = st.builds(
    lambda code, rest: "+" + code + rest,
    st.one_of(
        st.sampled_from(sorted(map(str, phonenumbers.COUNTRY_CODE_TO_REGION_CODE))), st.text("0123456789", max_size=3)
    ),
    st.one_of(st.text("0123456789", max_size=15), st.text(st.characters(categories=["Nd"]), max_size=15)),
)


@given(text=e164_like, region=st.sampled_from([*sorted(phonenumbers.SUPPORTED_REGIONS), ""]))
@settings(max_examples=4000)
def test_a_plus_and_digits_read_as_phonenumbers_reads_them_in_any_region(text: str, region: str) -> None:
    assert normalize_phone(text, region) == parse_phone(text, region)


NANP_REGIONS = sorted(phonenumbers.region_codes_for_country_code(1))
# Runs of digits as people type them: any length around the national ones (7, 10, 11), leading
# 0, 00, 011 or 1 included, grouped by the usual separators.
typed_digits = st.builds(
    lambda lead, digits, groups, separator, parens: (
        ("(" if parens else "")
        + separator.join((lead + digits)[i : i + groups] for i in range(0, len(lead + digits), groups))
        + (")" if parens else "")
    ),
    st.sampled_from(["", "0", "00", "011", "01", "1", "10", "5"]),
    st.text("0123456789", min_size=0, max_size=18),
    st.integers(1, 5),
    st.sampled_from(["", " ", "-", ".", " - ", ") (", "  "]),
    st.booleans(),
).filter(lambda text: any(char.isdigit() for char in text) and len(text) <= 40)  # longer: refused before any parse


@given(text=typed_digits, region=st.sampled_from([*NANP_REGIONS, "GB", "DE", "MX"]))
@settings(max_examples=3000)
def test_plain_digits_in_a_north_american_region_read_as_phonenumbers_reads_them(text: str, region: str) -> None:
    assert normalize_phone(text, region) == parse_phone(text, region)


@given(text=st.text("0123456789 .()-", min_size=1, max_size=30), region=st.sampled_from(["US", "PR", "CA", "BS"]))
@settings(max_examples=2000)
def test_any_run_of_digits_and_separators_reads_as_phonenumbers_reads_it(text: str, region: str) -> None:
    assert normalize_phone(text, region) == parse_phone(text.strip(), region)


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


@given(text=st.text(st.characters(exclude_categories=("Nd",)), max_size=20), region=st.sampled_from(["US", "GB", "DE"]))
@settings(max_examples=1000)
def test_text_without_a_digit_is_never_a_phone_number_as_phonenumbers_says(text: str, region: str) -> None:
    assert normalize_phone(text, region) is None
    assert parse_phone(text, region) is None

"""Normalise the identifiers a destination accepts: phone numbers to E.164, emails."""

import re
from functools import cache

import phonenumbers

_IS_POSSIBLE = phonenumbers.ValidationResult.IS_POSSIBLE
# North American numbers in their everyday spellings: (415) 555-2671, 415.555.2671,
# +1 415 555 2671, in ASCII digits (phonenumbers writes other scripts' digits as ASCII ones). Most of
# our volume, read here in a fraction of phonenumbers' parse time; a
# property test holds this to phonenumbers' own answer. Anything else takes the full parser.
_NANP = re.compile(r"(?:\+?1[ .-]?)?(?:\(([2-9][0-9]{2})\)|([2-9][0-9]{2}))[ .-]?([0-9]{3})[ .-]?([0-9]{4})")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# International numbers written with their country code: +44 20 7946 0958, +49-30-901820.
_INTERNATIONAL = re.compile(r"\+\d[\d .()-]{5,24}")
_FORMATTING = str.maketrans("", "", " .()-")
_NO_DIGIT = re.compile(r"\D*")
# Digits written with the usual separators only: no letters (phonenumbers reads some as digits),
# no extension marks, no plus.
_FORMATTED_DIGITS = re.compile(r"[0-9 .()-]+")


def normalize_phone(raw: object, region: str) -> str | None:
    """Return `raw` as an E.164 number, or None when it cannot be a phone number.

    National formats are read with `region` (ISO 3166 alpha-2, such as "US").
    """
    if type(raw) is str:  # nearly always: an exact type test costs less than isinstance saying no
        text = raw.strip()
    elif isinstance(raw, bool) or not isinstance(raw, str | int):
        return None
    else:
        text = str(raw).strip()
    if not text or len(text) > 40:
        return None
    if text[0] == "+" and text[1:2] != "1":
        # A country code other than North America's (+44 20 7946 0958, +442079460958): no North
        # American spelling and no plain run of digits starts so, so the international reading
        # comes first. E.164 as it should be sent (a plus and digits only) needs no clean-up.
        digits = text[1:]
        if digits.isdigit() or _INTERNATIONAL.fullmatch(text):
            fast = _international(digits if digits.isdigit() else text.translate(_FORMATTING)[1:])
            if fast is not None:
                return fast
        return None if _NO_DIGIT.fullmatch(text) else parse_phone(text, region)
    if text.startswith("+1") or _is_nanp_region(region):
        match = _NANP.fullmatch(text)
        if match:
            area = match[1] or match[2]
            return f"+1{area}{match[3]}{match[4]}"
    if _NO_DIGIT.fullmatch(text):
        return None  # phonenumbers finds no number where there is no digit ("call me")
    if _FORMATTED_DIGITS.fullmatch(text) and _reads_digits_as_national(region):
        digits = text.translate(_FORMATTING)
        if len(digits) < 7:
            # Too short for ten national digits, and for any country's shortest number (four
            # digits) after 011 and a country code: phonenumbers finds no possible number ("12").
            return None
        if digits[0] != "1" and not digits.startswith("011"):
            # No country code (no +, no 011, no leading 1) and no national prefix to strip: the
            # digits are the national number, which phonenumbers calls possible at ten digits only
            # (seven is "local only": 555-0100; a +44 written 0044 is too long).
            return "+1" + digits if len(digits) == 10 else None
    if text.startswith("+") and _INTERNATIONAL.fullmatch(text):
        fast = _international(text.translate(_FORMATTING)[1:])
        if fast is not None:
            return fast
    return parse_phone(text, region)


def _international(digits: str) -> str | None:
    """E.164 for `digits` (country code first) when the answer is plain: a known country code,
    nothing that phonenumbers would strip as a national prefix, a national number of a possible
    length for the country. None sends the number to the full parser, whose answer it must equal
    (a property test holds them together)."""
    # ASCII digits only: phonenumbers reads other scripts' digits too, and writes them as ASCII.
    if not (digits.isdigit() and digits.isascii()) or not 7 <= len(digits) <= 15 or digits[0] == "0":
        return None  # no country code starts with 0
    for size in (1, 2, 3):
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(digits[:size]))
        if regions:
            break
    else:
        return None
    rules = _length_rules(int(digits[:size]))
    if rules is None:
        return None
    prefix, lengths = rules
    national = digits[size:]
    if (prefix is not None and prefix.match(national)) or len(national) not in lengths:
        return None
    return "+" + digits


@cache
def _length_rules(country_code: int) -> tuple[re.Pattern[str] | None, frozenset[int]] | None:
    """The national-prefix pattern and the possible lengths phonenumbers uses for a country code."""
    region = phonenumbers.region_code_for_country_code(country_code)
    if region in ("ZZ", "001"):
        return None
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.general_desc is None:
        return None
    prefix = metadata.national_prefix_for_parsing
    return (re.compile(prefix) if prefix else None), frozenset(metadata.general_desc.possible_length or ())


def parse_phone(text: str, region: str) -> str | None:
    """Return `text` as E.164 through phonenumbers' full parser, or None."""
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return None
    # "Possible" (the right length for its country) rather than "valid" (in a range the
    # bundled metadata knows to be allocated): the metadata lags new allocations, and test
    # numbers such as (555) 123-4567 must work; Attentive itself asks only for E.164.
    if phonenumbers.is_possible_number_with_reason(number) != _IS_POSSIBLE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: object) -> str | None:
    """Return `raw` trimmed and lower-cased, or None when it does not look like an email."""
    if not isinstance(raw, str):
        return None
    email = raw.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        return None
    return email


@cache
def _reads_digits_as_national(region: str) -> bool:
    """Whether phonenumbers reads a plain run of digits that does not start with 1 or 011 as a
    national number of `region` as it is: a North American region whose national prefix is a bare
    1 with no rewriting (not the Caribbean ones that prefix seven-digit numbers with their area
    code) and whose numbers are possible at ten digits only (not Canada, where seven are too)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region) if region else None
    return (
        metadata is not None
        and metadata.country_code == 1
        and metadata.international_prefix == "011"
        and metadata.national_prefix_for_parsing == "1"
        and metadata.national_prefix_transform_rule is None
        and metadata.general_desc is not None
        and tuple(metadata.general_desc.possible_length or ()) == (10,)
    )


@cache
def _is_nanp_region(region: str) -> bool:
    return phonenumbers.country_code_for_region(region or "ZZ") == 1


def is_supported_region(region: str) -> bool:
    return region in phonenumbers.SUPPORTED_REGIONS


_API_KEY = re.compile(r"^[\x21-\x7e]{8,512}$")


def is_plausible_api_key(raw: str) -> bool:
    """Whether `raw` can be an API key at all: 8 to 512 visible ASCII characters (it travels in a header)."""
    return bool(_API_KEY.match(raw))

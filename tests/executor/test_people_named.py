"""Who a document names (executor.people_named): the one reading erasure uses to refuse, judge and purge."""

import time

from executor.people_named import CLIENT_USER_ID, EMAIL, MAX_PHONE_RUNS, PHONE, people_named

JANE = (EMAIL, "jane@example.com")
JANES_PHONE = (PHONE, "+16175550142")


def test_an_email_is_found_anywhere_whatever_the_key_and_its_case() -> None:
    assert JANE in people_named({"context": {"traits": {"Email": "Jane@Example.com"}}})
    assert JANE in people_named({"properties": {"user": {"contact": {"primary": " JANE@example.com "}}}})


def test_an_email_is_found_as_a_whole_address_never_inside_a_longer_one() -> None:
    named = people_named({"properties": {"email": "jane@example.com"}})
    assert (EMAIL, "ne@example.co") not in named
    assert (EMAIL, "jane@example.co") not in named
    assert JANE in named


def test_an_email_used_as_a_property_name_is_found() -> None:
    assert JANE in people_named({"properties": {"jane@example.com": "gold tier"}})


def test_an_email_inside_a_percent_encoded_web_address_is_found() -> None:
    assert JANE in people_named({"context": {"page": {"url": "https://shop.example/?e=jane%40example.com&x=1"}}})


def test_an_email_in_free_text_is_found_without_the_punctuation_around_it() -> None:
    assert JANE in people_named({"properties": {"note": "Write to <jane@example.com>, or call."}})


def test_a_phone_is_found_in_its_usual_spellings() -> None:
    for spelling in ("(617) 555-0142", "617.555.0142", "+1 617 555 0142", "001 617 555 0142", "16175550142"):
        assert JANES_PHONE in people_named({"properties": {"phone_number": spelling}}), spelling
    assert JANES_PHONE in people_named({"properties": {"mobile": 6175550142}})


def test_a_phone_inside_free_text_with_other_digits_is_found() -> None:
    assert JANES_PHONE in people_named({"properties": {"note": "Order 77: call 617-555-0142"}})
    assert JANES_PHONE in people_named({"properties": {"note": "Order 77 617-555-0142 asap"}})


def test_a_national_number_is_read_in_each_calling_code_given() -> None:
    named = people_named({"properties": {"mobile": "07700 900123"}}, calling_codes=("1", "44"))
    assert (PHONE, "+447700900123") in named


def test_a_client_user_id_is_found_under_any_key_named_like_a_user_id() -> None:
    for key in ("userId", "anonymousId", "previousId", "user_id", "CUSTOMER_ID", "shopifyUserId", "external-id"):
        assert (CLIENT_USER_ID, "crm-42") in people_named({"properties": {key: " crm-42 "}}), key
    assert (CLIENT_USER_ID, "42") in people_named({"userId": 42})


def test_an_ordinary_property_is_no_client_user_id() -> None:
    named = people_named({"properties": {"order_id": "crm-42", "sku": "crm-42", "valid": "crm-42"}})
    assert not {person for person in named if person[0] == CLIENT_USER_ID}


def test_a_hostile_document_of_digit_runs_is_read_in_bounded_time() -> None:
    hostile = {"properties": {"note": "1 " * 30_000, "list": ["617-555-0142 x"] * (MAX_PHONE_RUNS + 10)}}
    # CPU time of this thread: a quadratic reading takes minutes of it, and other processes on a busy
    # machine take none of it.
    started = time.thread_time()
    people_named(hostile)
    assert time.thread_time() - started < 5

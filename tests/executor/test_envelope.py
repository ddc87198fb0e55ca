import json
import uuid
from datetime import UTC, datetime
from unittest.mock import patch

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core import crypto
from core.jsondoc import json_text
from executor.envelope import MAX_EVENT_BYTES, EnvelopeError, check_event, parse_body, random_uuid

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "status", "title"),
    [
        (b"{not json", 400, "Invalid JSON"),
        (b'{"a": NaN}', 400, "Invalid JSON"),
        (b'{"a": -Infinity}', 400, "Invalid JSON"),
        (b'{"a": "\xff\xfe"}', 400, "Invalid UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, 422, "Too deeply nested"),
    ],
    ids=["broken", "nan", "infinity", "bad-utf8", "very-deep"],
)
def test_bad_bodies_are_refused_with_a_status_and_title(body: bytes, status: int, title: str) -> None:
    with pytest.raises(EnvelopeError) as caught:
        parse_body(body)
    assert (caught.value.status, caught.value.title) == (status, title)


def test_invalid_json_error_gives_line_and_column() -> None:
    with pytest.raises(EnvelopeError, match="line 2, column 7"):
        parse_body(b'{\n  "a" 1}')


def test_body_over_5_mb_is_too_large() -> None:
    with pytest.raises(EnvelopeError) as caught:
        parse_body(b" " * (5 * 1024 * 1024 + 1))
    assert caught.value.status == 413


@pytest.mark.parametrize(
    ("raw", "pointer"),
    [
        ("text", "/0"),
        ({"type": "track"}, "/0/event"),
        ({"type": "track", "event": "  "}, "/0/event"),
        ({"type": "launch", "event": "x"}, "/0/type"),
        ({"event": "x", "properties": []}, "/0/properties"),
        ({"event": "x", "userId": {"id": 1}}, "/0/userId"),
        ({"event": "x", "timestamp": "yesterday-ish"}, "/0/timestamp"),
        ({"event": "x", "properties": {"a": "\ud800"}}, "/0/properties/a"),
        ({"event": "x", "properties": {"big": "x" * MAX_EVENT_BYTES}}, "/0"),
        ({"event": "Order\x00Shipped"}, "/0/event"),
        ({"event": "x", "properties": {"no\x00te": "x"}}, "/0/properties/no\\u0000te"),
        ({"event": "x", "properties": {"items": [{"sku": "a\x00"}]}}, "/0/properties/items/0/sku"),
        ({"event": "x", "properties": {"total": float("inf")}}, "/0/properties/total"),
    ],
    ids=[
        "not-object",
        "no-event",
        "blank-event",
        "bad-type",
        "properties-list",
        "user-object",
        "bad-time",
        "surrogate",
        "too-big",
        "nul-in-event-name",
        "nul-in-property-name",
        "nul-in-list-member",
        "infinite-number",
    ],
)
def test_event_problems_name_the_field(raw: object, pointer: str) -> None:
    checked = check_event(raw, 0, "/0", NOW)
    assert not checked.accepted
    assert checked.problems[0].pointer == pointer


def test_event_nested_deeper_than_32_levels_is_refused() -> None:
    deep: dict = {"event": "x"}
    node = deep
    for _ in range(40):
        node["n"] = {}
        node = node["n"]
    problem = check_event(deep, 0, "/3", NOW).problems[0]
    assert "32 levels" in problem.detail
    assert problem.pointer == "/3" + "/n" * 32  # the first value past the limit


def test_accepted_event_gets_message_id_timestamp_and_received_at() -> None:
    checked = check_event({"event": "Order Shipped", "userId": 42}, 0, "", NOW)
    event = checked.event
    assert event["type"] == "track"
    assert event["userId"] == "42"
    assert len(event["messageId"]) == 36
    assert event["timestamp"] == event["receivedAt"] == "2026-11-27T10:00:00.000Z"


def test_a_generated_message_id_is_a_random_uuid_of_its_own() -> None:
    ids = [uuid.UUID(check_event({"event": "Order Shipped"}, 0, "", NOW).event["messageId"]) for _ in range(1000)]
    assert {id_.version for id_ in ids} == {4}
    assert len(set(ids)) == 1000


def test_problems_never_quote_values() -> None:
    checked = check_event({"event": "x", "userId": {"ssn": "123-45-6789"}}, 0, "", NOW)
    assert "123-45" not in json.dumps([p.as_dict() for p in checked.problems])


@pytest.mark.parametrize("body", [b'{"event": "x", "properties": {"n": 1e400}}', b'{"event": "x", "n": -1E999}'])
def test_a_number_too_large_to_be_finite_is_refused_like_nan(body: bytes) -> None:
    with pytest.raises(EnvelopeError) as raised:
        parse_body(body)
    assert raised.value.status == 400
    assert "too large" in raised.value.detail


def test_a_nul_character_is_refused_and_named() -> None:
    checked = check_event({"event": "x", "properties": {"note": "a\x00b"}}, 0, "", NOW)
    assert checked.problems[0].pointer == "/properties/note"
    assert "NUL" in checked.problems[0].detail


def test_a_source_clock_that_runs_ahead_is_corrected_with_sent_at() -> None:
    # The source's clock is 10 minutes ahead: it says the event happened at 10:09 and was sent at
    # 10:10 (its time); Relay received it at 10:00, so it happened at 09:59.
    raw = {"event": "x", "timestamp": "2026-11-27T10:09:00Z", "sentAt": "2026-11-27T10:10:00Z"}
    event = check_event(raw, 0, "", NOW).event
    assert event["timestamp"] == "2026-11-27T09:59:00.000Z"
    assert event["originalTimestamp"] == "2026-11-27T10:09:00Z"


def test_a_batch_sent_at_corrects_events_without_their_own() -> None:
    raw = {"event": "x", "timestamp": "2026-11-27T08:00:00Z"}
    event = check_event(raw, 0, "", NOW, sent_at="2026-11-27T08:30:00Z").event
    assert event["timestamp"] == "2026-11-27T09:30:00.000Z"


def test_without_sent_at_or_with_an_unreadable_one_the_timestamp_stands() -> None:
    raw = {"event": "x", "timestamp": "2026-11-27T08:00:00Z"}
    assert check_event(raw, 0, "", NOW).event["timestamp"] == "2026-11-27T08:00:00Z"
    assert check_event({**raw, "sentAt": "soon"}, 0, "", NOW).event["timestamp"] == "2026-11-27T08:00:00Z"


def test_a_sent_at_millennia_from_the_timestamp_changes_nothing() -> None:
    # Found by schemathesis: now - (sentAt - timestamp) overflowed into a 500.
    raw = {"event": "x", "timestamp": "0030-06-25T21:56:30Z", "sentAt": "6554-01-26T11:43:48.14-11:39"}
    assert check_event(raw, 0, "", NOW).event["timestamp"] == "0030-06-25T21:56:30Z"


@hypothesis_settings(deadline=None)  # the shared machine is slow at times
@given(st.binary(min_size=16, max_size=16))
def test_a_random_uuid_is_the_text_of_the_version_4_uuid_of_its_bytes(data: bytes) -> None:
    with patch.object(crypto, "random_bytes", lambda count: data):
        assert random_uuid() == str(uuid.UUID(bytes=data, version=4))


_timestamps = st.sampled_from(["2026-11-27T09:00:00Z", "2026-11-27T10:05:00.5+01:00", 1795000000, "later", None])
_ids = st.sampled_from(["msg-1", "", "é✓", 42, 0, None])
_optional = st.sampled_from(["type", "messageId", "userId", "timestamp", "sentAt", "receivedAt", "originalTimestamp"])


@hypothesis_settings(deadline=None)  # the shared machine is slow at times
@given(
    st.sets(_optional),
    st.sampled_from(["track", "identify", None]),
    _ids,
    _ids,
    _timestamps,
    _timestamps,
    st.dictionaries(st.text(max_size=5), st.text(max_size=5) | st.integers() | st.floats(), max_size=3),
    _timestamps,
)
def test_the_text_of_an_accepted_event_is_its_json_text(
    present: set[str],
    event_type: str | None,
    message_id: object,
    user_id: object,
    timestamp: object,
    sent_at: object,
    properties: dict,
    batch_sent_at: object,
) -> None:
    values = {
        "type": event_type,
        "messageId": message_id,
        "userId": user_id,
        "timestamp": timestamp,
        "sentAt": sent_at,
        "receivedAt": "2026-11-27T09:00:00Z",
        "originalTimestamp": "2026-11-27T08:00:00Z",
    }
    raw = {"event": "Order Shipped", "properties": properties, **{key: values[key] for key in sorted(present)}}
    checked = check_event(raw, 0, "", NOW, batch_sent_at)
    if checked.accepted and checked.text is not None:
        assert checked.text == json_text(checked.event)


def test_the_text_of_an_event_whose_members_normalising_kept_is_at_hand() -> None:
    # Written once, from the check's own text: events without a timestamp or without a sentAt (with
    # both, the timestamp is corrected in place and the event is written afresh).
    for raw in (
        {"event": "Order Shipped", "properties": {"n": 1}},
        {"type": "identify", "messageId": "m", "userId": "u", "timestamp": "2026-11-27T09:00:00Z"},
    ):
        checked = check_event(raw, 0, "", NOW)
        assert checked.text is not None
        assert checked.text == json_text(checked.event)

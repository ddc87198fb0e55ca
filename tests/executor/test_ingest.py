"""executor.ingest: the rows it prepares are those the model instances of the events would give."""

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core import crypto
from executor import group_commit
from executor.envelope import EVENT_TYPES
from executor.ingest import ingest, prepare
from executor.models import InboundEvent, WriteKey
from tests.events import shipped_event

NOW = datetime(2026, 11, 27, 10, 0, 0, 123456, tzinfo=UTC)
ENCRYPTED = {"event_name", "message_id", "body"}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
# Events as check_event passes them on: a type, a messageId (text), and anything else.
events = st.builds(
    lambda event_type, name, message_id, others: {**others, "type": event_type, "event": name, "messageId": message_id},
    st.sampled_from(sorted(EVENT_TYPES)),
    st.none() | st.text(max_size=250) | st.integers(),
    st.text(min_size=1, max_size=250),
    st.dictionaries(st.text(max_size=8), json_values, max_size=5),
)


def _reference_row(event: dict[str, Any], source: str, write_key: WriteKey | None) -> InboundEvent:
    # The model instance ingest stored before it prepared the rows itself.
    message_id = event["messageId"][:200]
    return InboundEvent(
        received_at=NOW,
        source=source,
        write_key=write_key,
        event_type=event["type"],
        event_name=str(event.get("event") or "")[:200] if event["type"] == "track" else "",
        message_id=message_id,
        message_id_hash=crypto.lookup_hash(message_id),
        dedup_key=crypto.lookup_hash(f"{write_key.pk}:{message_id}") if write_key is not None else None,
        body=event,
    )


def _readable(column: str, value: Any) -> Any:
    # Each encryption has an IV of its own: tokens are compared by what they decrypt to.
    return crypto.decrypt(value) if column in ENCRYPTED and value else value


@hypothesis_settings(deadline=None)  # the shared machine is slow at times
@given(st.lists(events, min_size=1, max_size=5), st.sampled_from(["api", InboundEvent.Source.SEGMENT]), st.booleans())
def test_the_rows_prepared_are_the_values_of_the_events_model_instances(
    batch: list[dict[str, Any]], source: str, keyed: bool
) -> None:
    write_key = WriteKey(pk=7, label="source") if keyed else None
    prepared = prepare(batch, source, write_key, NOW)
    reference = group_commit._INSERT_EVENTS.values([_reference_row(event, source, write_key) for event in batch])
    assert prepared.keys == [row[group_commit.COLUMNS.index("dedup_key")] for row in reference]
    assert len(prepared.values) == len(reference)
    for row, expected in zip(prepared.values, reference, strict=True):
        assert [_readable(column, value) for column, value in zip(group_commit.COLUMNS, row, strict=True)] == [
            _readable(column, value) for column, value in zip(group_commit.COLUMNS, expected, strict=True)
        ]


@pytest.mark.django_db
def test_an_ingested_event_reads_back_as_it_was_accepted() -> None:
    key, _ = WriteKey.issue("source")
    result = ingest([shipped_event(1), {**shipped_event(2), "type": "identify"}], source="api", write_key=key)
    assert (result.stored, result.duplicates) == ([0, 1], frozenset())
    stored = {row.message_id: row for row in InboundEvent.objects.all()}
    for item in result.checked:
        row = stored[item.event["messageId"]]
        assert (row.body, row.write_key_id, row.source) == (item.event, key.pk, "api")
        assert row.message_id_hash == crypto.lookup_hash(item.event["messageId"])
        assert row.dedup_key == crypto.lookup_hash(f"{key.pk}:{item.event['messageId']}")
    assert (stored["msg-1"].event_name, stored["msg-2"].event_name) == ("Order Shipped", "")


@pytest.mark.django_db
def test_a_batch_holding_an_event_twice_stores_it_once_and_answers_the_second_a_duplicate() -> None:
    key, _ = WriteKey.issue("source")
    result = ingest([shipped_event(1), shipped_event(2), shipped_event(1)], source="api", write_key=key)
    assert (result.stored, result.duplicates) == ([0, 1], frozenset({2}))
    assert [row["status"] for row in result.results()] == ["accepted", "accepted", "duplicate"]
    assert InboundEvent.objects.count() == 2

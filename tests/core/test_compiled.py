from datetime import timedelta

import pytest
from django.utils import timezone

from core.compiled import Compiled, CompiledInsert
from executor.models import ErasureRequest, InboundEvent, WriteKey, hash_write_key

pytestmark = pytest.mark.django_db

ACTIVE_KEY = Compiled(lambda key_hash: WriteKey.objects.active().filter(key_hash=key_hash))
REFUSING = Compiled(lambda now: ErasureRequest.objects.filter(refuse_until__gt=now))
STORED = Compiled(lambda keys: InboundEvent.objects.filter(dedup_key__in=keys).values_list("dedup_key", flat=True))


def _event(dedup_key: str) -> InboundEvent:
    return InboundEvent.objects.create(source="api", event_type="track", message_id=dedup_key, dedup_key=dedup_key)


def _erasure(refuse_until) -> ErasureRequest:
    return ErasureRequest.objects.create(kind="email", subject_hash="h", masked="m", refuse_until=refuse_until)


def test_a_compiled_query_sees_rows_added_after_it_was_compiled():
    query = Compiled(lambda keys: InboundEvent.objects.filter(dedup_key__in=keys).values_list("dedup_key", flat=True))
    assert query.values(["a"]) == []
    _event("a")
    assert query.values(["a"]) == ["a"]


def test_a_compiled_query_binds_its_parameters_at_each_call():
    first, raw_first = WriteKey.issue("first")
    second, raw_second = WriteKey.issue("second")
    assert [key.pk for key in ACTIVE_KEY.objects(hash_write_key(raw_first))] == [first.pk]
    assert [key.pk for key in ACTIVE_KEY.objects(hash_write_key(raw_second))] == [second.pk]
    assert ACTIVE_KEY.objects(hash_write_key("no such key")) == []


def test_a_compiled_query_keeps_the_querysets_constant_conditions():
    key, raw = WriteKey.issue("revoked")
    key.revoked_at = timezone.now()
    key.save()
    assert ACTIVE_KEY.objects(hash_write_key(raw)) == []


def test_a_compiled_query_gives_model_instances_as_the_orm_does():
    key, raw = WriteKey.issue("browser", kind=WriteKey.Kind.BROWSER, allowed_origins=["https://shop.example"])
    (found,) = ACTIVE_KEY.objects(hash_write_key(raw))
    expected = WriteKey.objects.get(pk=key.pk)
    assert {field.attname: getattr(found, field.attname) for field in WriteKey._meta.concrete_fields} == {
        field.attname: getattr(expected, field.attname) for field in WriteKey._meta.concrete_fields
    }
    assert found._state.adding is False


def test_a_compiled_query_compares_datetimes_as_the_orm_does():
    now = timezone.now()
    _erasure(now + timedelta(seconds=1))
    assert REFUSING.exists(now)
    assert not REFUSING.exists(now + timedelta(seconds=2))


def test_a_compiled_list_parameter_takes_any_length():
    for key in ("a", "b", "c"):
        _event(key)
    assert STORED.values(["a"]) == ["a"]
    assert sorted(STORED.values(["a", "b", "c", "x", "y"])) == ["a", "b", "c"]
    assert STORED.values(["x", "y", "z"]) == []


def test_a_compiled_query_runs_one_query_per_call(django_assert_num_queries):
    _, raw = WriteKey.issue("one")
    ACTIVE_KEY.objects(hash_write_key(raw))  # compiled at the first call
    with django_assert_num_queries(1):
        ACTIVE_KEY.objects(hash_write_key(raw))
    with django_assert_num_queries(1):
        REFUSING.exists(timezone.now())
    with django_assert_num_queries(1):
        STORED.values(["a", "b"])


def test_a_compiled_query_refuses_an_argument_it_does_not_use():
    unused = Compiled(lambda key_hash: WriteKey.objects.active())
    with pytest.raises(ValueError, match="value of a lookup"):
        unused.objects("x")


def test_a_compiled_query_refuses_an_empty_list():
    with pytest.raises(ValueError, match="empty"):
        STORED.values([])


INSERT = CompiledInsert(InboundEvent, ignore_conflicts=True)


def test_a_compiled_insert_stores_rows_as_the_orm_would():
    INSERT([InboundEvent(source="api", event_type="track", event_name="Order Shipped", message_id="m1", body={"a": 1})])
    stored = InboundEvent.objects.get()
    assert (stored.event_name, stored.message_id, stored.body) == ("Order Shipped", "m1", {"a": 1})


def test_a_compiled_insert_encrypts_what_the_fields_encrypt():
    from django.db import connection

    INSERT([InboundEvent(source="api", event_type="track", message_id="person@example.com", body={"a": 1})])
    with connection.cursor() as cursor:
        cursor.execute("SELECT message_id, body FROM executor_inboundevent")
        assert "person@example.com" not in str(cursor.fetchall())


def test_a_compiled_insert_skips_a_row_whose_unique_key_is_taken():
    _event("a")
    INSERT([InboundEvent(source="api", event_type="track", message_id="b", dedup_key=key) for key in ("a", "b")])
    assert sorted(InboundEvent.objects.values_list("dedup_key", flat=True)) == ["a", "b"]


def test_a_compiled_insert_is_one_query(django_assert_num_queries):
    rows = [InboundEvent(source="api", event_type="track", message_id=f"m{i}", dedup_key=f"k{i}") for i in range(50)]
    with django_assert_num_queries(1):
        INSERT(rows)
    assert InboundEvent.objects.count() == 50


def test_a_compiled_insert_puts_up_to_a_hundred_rows_in_each_statement(django_assert_num_queries):
    rows = [InboundEvent(source="api", event_type="track", message_id=f"m{i}", dedup_key=f"k{i}") for i in range(150)]
    with django_assert_num_queries(2):
        INSERT(rows)
    assert InboundEvent.objects.count() == 150


def test_a_compiled_insert_returns_the_named_field_of_the_rows_it_inserted_only():
    _event("a")
    insert = CompiledInsert(InboundEvent, ignore_conflicts=True, returning="dedup_key")
    rows = [InboundEvent(source="api", event_type="track", message_id=key, dedup_key=key) for key in ("a", "b", "c")]
    assert sorted(insert(rows)) == ["b", "c"]

from datetime import timedelta

import pytest
from django.utils import timezone

from core.compiled import Compiled
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

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.compiled import Compiled, CompiledInsert, CompiledUpdate, Snapshot
from executor.models import Delivery, DeliveryAttempt, ErasureRequest, InboundEvent, WriteKey, hash_write_key

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


def _rows_of_both_paths(monkeypatch) -> list[list[tuple]]:
    """The rows that a compiled insert stores on SQLite by its own path and by Django's (queries logged)."""
    from django.db import connections

    stored = []
    for logged in (False, True):
        InboundEvent.objects.all().delete()
        monkeypatch.setattr(connections["default"], "force_debug_cursor", logged)
        rows = [
            InboundEvent(source="api", event_type="track", message_id=f"m{i}", dedup_key=f"k{i % 7}") for i in range(30)
        ]
        inserted = CompiledInsert(InboundEvent, ignore_conflicts=True, returning="dedup_key")(rows)
        stored.append([sorted(inserted), sorted(InboundEvent.objects.values_list("dedup_key", "event_type", "source"))])
    return stored


def test_a_compiled_insert_on_sqlite_stores_by_its_own_path_what_djangos_path_stores(monkeypatch):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the path of its own is SQLite's")
    own, djangos = _rows_of_both_paths(monkeypatch)
    assert own == djangos
    assert len(own[1]) == 7


def test_a_compiled_insert_on_sqlite_raises_djangos_integrity_error_by_its_own_path():
    from django.db import IntegrityError, connection, transaction

    if connection.vendor != "sqlite":
        pytest.skip("the path of its own is SQLite's")
    assert not connection.queries_logged
    _event("a")
    with pytest.raises(IntegrityError), transaction.atomic():
        CompiledInsert(InboundEvent)([InboundEvent(source="api", event_type="track", message_id="a", dedup_key="a")])


BY_IDS = Compiled(lambda ids: InboundEvent.objects.filter(pk__in=ids).order_by("id").values_list("pk", flat=True))


def test_a_compiled_query_takes_whole_numbers_and_lists_of_them():
    ids = [_event(key).pk for key in ("a", "b", "c")]
    assert BY_IDS.values(ids[:1]) == ids[:1]
    assert BY_IDS.values([ids[2], ids[0], 10**9]) == [ids[0], ids[2]]
    by_id = Compiled(lambda pk: InboundEvent.objects.filter(pk=pk).values_list("dedup_key", flat=True))
    assert by_id.values(ids[1]) == ["b"]


def test_a_compiled_query_given_none_asks_is_null_and_given_a_value_asks_equal():
    routed = _event("routed")
    routed.routed_at = timezone.now()
    routed.save()
    _event("waiting")
    by_routing = Compiled(lambda at: InboundEvent.objects.filter(routed_at=at).values_list("dedup_key", flat=True))
    assert by_routing.values(None) == ["waiting"]
    assert by_routing.values(routed.routed_at) == ["routed"]


def test_a_compiled_query_gives_each_instance_its_annotations():
    from django.db.models import TextField
    from django.db.models.functions import Cast

    _event("a")
    with_text = Compiled(
        lambda key: InboundEvent.objects.filter(dedup_key=key).annotate(as_text=Cast("dedup_key", TextField()))
    )
    (found,) = with_text.objects("a")
    assert (found.dedup_key, found.as_text) == ("a", "a")


MARK_ROUTED = CompiledUpdate(lambda ids, at: (InboundEvent.objects.filter(pk__in=ids), {"routed_at": at}))


def test_a_compiled_update_changes_the_rows_its_arguments_name_and_says_how_many():
    first, second, third = (_event(key) for key in ("a", "b", "c"))
    at = timezone.now()
    assert MARK_ROUTED([first.pk, third.pk], at) == 2
    assert dict(InboundEvent.objects.values_list("dedup_key", "routed_at")) == {"a": at, "b": None, "c": at}
    assert MARK_ROUTED([second.pk], None) == 1
    assert InboundEvent.objects.get(pk=second.pk).routed_at is None


def test_a_compiled_update_takes_expressions_and_whole_numbers():
    from django.db.models import F

    from executor.models import AttemptTally

    AttemptTally.objects.create(code="200", count=1)
    add = CompiledUpdate(lambda code, more: (AttemptTally.objects.filter(code=code), {"count": F("count") + more}))
    assert add("200", 5) == 1
    assert add("500", 5) == 0
    assert AttemptTally.objects.get(code="200").count == 6


def test_a_compiled_update_is_one_query(django_assert_num_queries):
    event = _event("a")
    MARK_ROUTED([event.pk], timezone.now())
    with django_assert_num_queries(1):
        MARK_ROUTED([event.pk], timezone.now())


def test_a_compiled_update_refuses_a_filter_across_tables():
    across = CompiledUpdate(
        lambda name: (InboundEvent.objects.filter(write_key__label=name), {"routed_at": timezone.now()})
    )
    with pytest.raises(ValueError, match="one table"):
        across("x")


def test_a_snapshot_makes_its_value_again_only_when_the_rows_change():
    made = []
    snapshot = Snapshot(
        lambda: InboundEvent.objects.order_by("id"), lambda events: made.append(1) or [e.dedup_key for e in events]
    )
    _event("a")
    assert snapshot() == ["a"]
    assert snapshot() == ["a"]
    assert len(made) == 1
    InboundEvent.objects.filter(dedup_key="a").update(event_type="page")  # a change of any column
    assert snapshot() == ["a"]
    _event("b")
    assert snapshot() == ["a", "b"]
    assert len(made) == 3


def test_a_snapshot_keeps_nothing_made_while_the_rows_changed(monkeypatch):
    _event("a")
    snapshot = Snapshot(lambda: InboundEvent.objects.order_by("id"), lambda events: [e.dedup_key for e in events])
    build = snapshot._make

    def made_while_another_process_writes(events):
        _event("b")
        return build(events)

    monkeypatch.setattr(snapshot, "_make", made_while_another_process_writes)
    assert snapshot() == ["a"]
    monkeypatch.setattr(snapshot, "_make", build)
    # Kept, it would stand for the rows [a, b]: it is made again from them instead.
    assert snapshot() == ["a", "b"]


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


def test_a_compiled_insert_serializes_a_json_value_that_rows_share_once_and_stores_it_in_each(monkeypatch):
    from django.db.models import JSONField

    from executor.models import Replay

    serialized = []
    prepare = JSONField.get_db_prep_save
    monkeypatch.setattr(
        JSONField,
        "get_db_prep_save",
        lambda field, value, connection: serialized.append(value) or prepare(field, value, connection),
    )
    shared, own = {"filter": "dead"}, {"ids": [1]}
    CompiledInsert(Replay)(
        [Replay(description=f"r{i}", selection=shared) for i in range(5)] + [Replay(description="r5", selection=own)]
    )
    assert len(serialized) == 2
    assert sorted(Replay.objects.values_list("description", "selection")) == [
        *((f"r{i}", {"filter": "dead"}) for i in range(5)),
        ("r5", {"ids": [1]}),
    ]


def test_a_compiled_insert_gives_its_rows_one_time_of_saving_set_on_the_instances_as_the_orm_does():
    from executor.models import Replay

    before = timezone.now()
    rows = [Replay(description=f"r{i}", selection={}) for i in range(3)]
    CompiledInsert(Replay)(rows)
    stored = set(Replay.objects.values_list("created_at", flat=True))
    assert len(stored) == 1
    assert {row.created_at for row in rows} == stored
    assert before <= stored.pop() <= timezone.now()


def _readable(insert: CompiledInsert, rows: list[list]) -> list[list]:
    """Rows with each encrypted column decrypted: tokens of the same text differ (each its own IV)."""
    from core import crypto
    from core.fields import EncryptedJSONField, EncryptedTextField

    encrypted = {
        index
        for index, name in enumerate(insert.columns)
        if isinstance(insert._fields[index], EncryptedJSONField | EncryptedTextField)
    }
    return [
        [crypto.decrypt(value) if index in encrypted and value else value for index, value in enumerate(row)]
        for row in rows
    ]


_TEXTS = st.text(max_size=20)
_ATTEMPTS = st.fixed_dictionaries(
    {
        "delivery_id": st.integers(1, 2**40),
        "number": st.integers(0, 10),
        "started_at": st.datetimes(timezones=st.just(UTC)),
        "status_code": st.none() | st.integers(100, 599),
        "latency_ms": st.none() | st.floats(0, 1e5),
        "outcome": st.sampled_from(DeliveryAttempt.Outcome),
        "error": _TEXTS,
        "warning": _TEXTS,
        "response_excerpt": st.sampled_from(["", "{}"]) | _TEXTS,
    }
)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
_DELIVERIES = st.fixed_dictionaries(
    {
        "event_id": st.integers(1, 2**40),
        "action_id": st.none() | st.integers(1, 2**40),
        "destination_id": st.integers(1, 2**40),
        "action_snapshot": st.dictionaries(st.text(max_size=5), _JSON, max_size=3),
        "sender_key": st.sampled_from(["k1", "k2"]),
        "status": st.sampled_from(Delivery.Status),
        "reason": _TEXTS,
        "errors": st.lists(st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2), max_size=2),
        "method": st.sampled_from(["", "POST"]),
        "path": st.sampled_from(["", "/v1/events/custom"]),
        "payload": st.none() | _JSON,
        "attempt_count": st.integers(0, 5),
        "retry_window_start": st.datetimes(timezones=st.just(UTC)),
        "next_attempt_at": st.none() | st.datetimes(timezones=st.just(UTC)),
        "lease_token": st.sampled_from(["", "h.1"]),
        "lease_expires_at": st.none() | st.datetimes(timezones=st.just(UTC)),
        "last_status_code": st.none() | st.integers(100, 599),
        "delivered_at": st.none() | st.datetimes(timezones=st.just(UTC)),
        "created_at": st.datetimes(timezones=st.just(UTC)),
    }
)


@hypothesis_settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_the_rows_of_attribute_values_are_the_rows_of_the_model_instances_holding_them(monkeypatch, data):
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 6, 20, 0, tzinfo=UTC))  # the time of saving
    for model, records in ((DeliveryAttempt, _ATTEMPTS), (Delivery, _DELIVERIES)):
        insert = CompiledInsert(model)
        attributes = data.draw(st.lists(records, max_size=6))
        # Rows often share a value (routing gives an action's deliveries its one snapshot).
        if attributes and model is Delivery and data.draw(st.booleans()):
            for row in attributes:
                row["action_snapshot"] = attributes[0]["action_snapshot"]
        records_in_order = [
            tuple(row.get(name) for name in insert.columns) for row in attributes
        ]  # updated_at (saving time) is not read
        instances = [model(**row) for row in attributes]
        assert _readable(insert, insert.rows_of(records_in_order)) == _readable(insert, insert.values(instances))


@hypothesis_settings(deadline=None)
@given(st.lists(st.none() | st.sampled_from(["", "{}"]) | st.text(max_size=30), max_size=8))
def test_an_encrypted_text_field_prepares_a_column_as_it_prepares_each_value(values: list):
    from core import crypto

    field = DeliveryAttempt._meta.get_field("response_excerpt")
    readable = [crypto.decrypt(token) if token else token for token in field.get_prep_values(values)]
    assert readable == [crypto.decrypt(token) if token else token for token in map(field.get_prep_value, values)]


@hypothesis_settings(deadline=None)
@given(st.lists(_JSON, max_size=8))
def test_an_encrypted_json_field_prepares_a_column_as_it_prepares_each_value(values: list):
    from core import crypto

    field = Delivery._meta.get_field("payload")
    readable = [token and crypto.decrypt(token) for token in field.get_prep_values(values)]
    assert readable == [token and crypto.decrypt(token) for token in map(field.get_prep_value, values)]


def _delivery() -> Delivery:
    from destinations.models import Destination

    destination = Destination.objects.create(name="D")
    event = _event("e")
    return Delivery.objects.create(
        event=event,
        destination=destination,
        action_snapshot={"action_type": "custom_event"},
        sender_key="k",
        status="queued",
        payload={"a": 1},
        next_attempt_at=timezone.now(),
    )


CLAIMED_LIKE = Compiled(lambda ids: Delivery.objects.filter(id__in=ids).defer("action_snapshot", "errors"))
WHOLE = Compiled(lambda ids: Delivery.objects.filter(id__in=ids))


@pytest.mark.parametrize("query", [CLAIMED_LIKE, WHOLE], ids=["some fields deferred", "every field"])
def test_compiled_instances_are_made_as_model_from_db_makes_them(query: Compiled, monkeypatch):
    delivery = _delivery()
    query.objects([delivery.pk])  # compiled while the model makes its instances as Django's do
    made = []
    from_db = Delivery.from_db.__func__
    monkeypatch.setattr(Delivery, "from_db", classmethod(lambda cls, *a: made.append(from_db(cls, *a)) or made[-1]))
    (quick,) = query.objects([delivery.pk])
    assert made == []  # not through from_db
    plan, _ = query._bind(([delivery.pk],))
    row = [getattr(quick, name) for name in plan.init_list]
    expected = from_db(Delivery, "default", plan.init_list, row)
    assert {k: v for k, v in vars(quick).items() if k != "_state"} == {
        k: v for k, v in vars(expected).items() if k != "_state"
    }
    # The cache of related objects is made at its first read (ModelState): from_db's setting of a foreign
    # key read it; both are empty.
    assert quick._state.fields_cache == expected._state.fields_cache == {}
    assert vars(quick._state) == vars(expected._state)
    assert quick.get_deferred_fields() == expected.get_deferred_fields()


def test_compiled_instances_of_a_model_with_an_init_receiver_go_through_model_from_db():
    from django.db.models.signals import post_init

    delivery = _delivery()
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_init.connect(receiver, sender=Delivery)
    try:
        WHOLE.objects([delivery.pk])
    finally:
        post_init.disconnect(receiver, sender=Delivery)
    assert seen == [delivery.pk]


def test_compiled_queries_and_updates_on_sqlite_answer_by_their_own_path_what_djangos_path_answers(monkeypatch):
    from django.db import connection, connections

    if connection.vendor != "sqlite":
        pytest.skip("the path of its own is SQLite's")
    answers = []
    for logged in (False, True):
        InboundEvent.objects.all().delete()
        monkeypatch.setattr(connections["default"], "force_debug_cursor", logged)
        ids = [_event(f"k{i}").pk for i in range(5)]
        answers.append(
            [
                [pk - ids[0] for pk in BY_IDS.values(ids[:3])],
                STORED.exists(["k1"]),
                STORED.exists(["nothing"]),
                [
                    event.dedup_key
                    for event in Compiled(lambda keys: InboundEvent.objects.filter(dedup_key__in=keys)).objects(["k2"])
                ],
                MARK_ROUTED(ids[1:4], timezone.now()),
                sorted(InboundEvent.objects.filter(routed_at__isnull=False).values_list("dedup_key", flat=True)),
            ]
        )
    assert answers[0] == answers[1] == [[0, 1, 2], True, False, ["k2"], 3, ["k1", "k2", "k3"]]


def test_a_compiled_query_on_sqlite_refuses_to_run_in_a_broken_transaction_as_django_does():
    from django.db import IntegrityError, connection, transaction
    from django.db.transaction import TransactionManagementError

    if connection.vendor != "sqlite":
        pytest.skip("the path of its own is SQLite's")
    _event("a")
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            _event("a")  # the transaction is now broken
        with pytest.raises(TransactionManagementError):
            STORED.values(["a"])


def test_compiled_instances_of_a_model_with_its_own_init_go_through_it(monkeypatch):
    delivery = _delivery()
    made = []
    init = Delivery.__init__

    def own_init(self, *args, **kwargs):
        made.append(args)
        init(self, *args, **kwargs)

    monkeypatch.setattr(Delivery, "__init__", own_init)
    # A query compiled while the model has an __init__ of its own.
    (found,) = Compiled(lambda ids: Delivery.objects.filter(id__in=ids)).objects([delivery.pk])
    assert len(made) == 1
    assert found.pk == delivery.pk

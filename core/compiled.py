"""Queries the ORM builds once and the database runs many times, with new parameters each time.

Ingest asks the database a few small questions at every request (is this write key active, does
anyone refuse events). Building such a query with the
ORM costs 150-300 µs of CPU, running it on SQLite 20-40 µs: at a thousand requests a second the
building was most of the work. A `Compiled` query is built by the ORM from a function of its
parameters, compiled to SQL once per database vendor and list length, and then only executed:
rows added or changed since are seen (it is asked of the database every time), only its SQL and
the meaning of each placeholder are kept.

Parameters may be strings, whole numbers, aware datetimes, None, or lists of strings or whole
numbers (an `__in` lookup): a list is padded with its last value to the next power of two, so a
handful of SQL texts serve every length. A None compiles its own SQL text (`IS NULL` in a filter).

`CompiledUpdate` does the same for an UPDATE (its new values parameters too), and `Snapshot` keeps
what is made of a few rows (the enabled actions, say) until the database returns other rows.
"""

import inspect
import itertools
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    Field,
    FloatField,
    ForeignKey,
    IntegerField,
    JSONField,
    Model,
    PositiveBigIntegerField,
    PositiveIntegerField,
    PositiveSmallIntegerField,
    QuerySet,
    SmallIntegerField,
)
from django.db.models.base import ModelState
from django.db.models.constants import OnConflict
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.db.models.sql import UpdateQuery
from django.utils import timezone

# What the ORM is given in place of each parameter while compiling: values nobody stores, told
# apart from each other and from the query's constants once they come out as SQL parameters.
_MARK_PREFIX = "\x00relay-compiled-parameter:"
_MARK_EPOCH = datetime(1111, 1, 1, tzinfo=UTC)
_MARK_NUMBER = -7_306_000_000_000_000


class _Slot:
    """Where a compiled query's SQL parameter comes from: argument `arg` (item `item` of a list)."""

    __slots__ = ("adapt", "arg", "item")

    def __init__(self, arg: int, item: int | None, adapt: Callable[[Any], Any] | None) -> None:
        # `adapt`: what the backend does to such a value before it reaches the driver (a datetime
        # adapted to the database's form; on PostgreSQL, a whole number typed Int4 or Int8).
        self.arg, self.item, self.adapt = arg, item, adapt


class _ArraySlot(_Slot):
    """A list argument bound whole, as one array (PostgreSQL's `= ANY(%s)`, see _lists_as_arrays);
    `adapt` applies to each of its items."""

    __slots__ = ()


class _Plan:
    """One SQL text with, per placeholder, either a constant or the argument it takes."""

    __slots__ = ("annotations", "converters", "init_list", "model", "params", "plain_attributes", "sql")

    def __init__(
        self,
        sql: str,
        params: list[Any],
        model: type[Model] | None = None,
        init_list: list[str] | None = None,
        converters: list | None = None,
        annotations: dict[str, int] | None = None,
    ):
        self.sql, self.params, self.model = sql, params, model
        self.init_list, self.converters, self.annotations = init_list or [], converters or [], annotations or {}
        self.plain_attributes = model is not None and _plain_attributes(model, self.init_list)


def _kind(arg: Any) -> Any:
    """What of an argument shapes the SQL: a list's padded length and item type, or the type of a value."""
    if isinstance(arg, list | tuple):
        if not arg:
            raise ValueError("A compiled query's list argument may not be empty (nothing can be IN it).")
        return (1 << max(0, len(arg) - 1).bit_length(), _kind(arg[0]))
    if arg is None:
        return None
    if isinstance(arg, datetime):
        return datetime
    if isinstance(arg, str):  # a choice of a TextChoices too
        return str
    if isinstance(arg, int) and not isinstance(arg, bool):
        return int
    raise TypeError(
        f"A compiled query takes strings, whole numbers, datetimes, None and lists, not {type(arg).__name__}."
    )


class Compiled:
    """`build(*args)` (a queryset of the arguments) compiled once, executed at each call.

    `build` must use every argument as a value of a lookup (it is called with stand-ins), and the
    queryset it returns must be plain: a model queryset (`objects`), or `values_list` (`rows`,
    `values`), or anything for `exists`.
    """

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        self._build = build
        self._plans: dict[tuple[Any, ...], _Plan] = {}

    def objects(self, *args: Any) -> list[Any]:
        """The model instances the queryset finds now."""
        plan, params = self._bind(args)
        rows = self._execute(plan, params)
        model = plan.model
        if model is None:
            raise TypeError("objects() needs a queryset of model instances (not values_list).")
        fields, names, alias = len(plan.init_list), plan.init_list, connection.alias
        # Model.from_db, unless the model's instances are as Model.__init__ leaves them (see _instance).
        quick = plan.plain_attributes and not (pre_init.has_listeners(model) or post_init.has_listeners(model))
        found = []
        for row in rows:
            obj = _instance(model, alias, names, row[:fields]) if quick else model.from_db(alias, names, row[:fields])
            for name, position in plan.annotations.items():
                setattr(obj, name, row[position])
            found.append(obj)
        return found

    def rows(self, *args: Any) -> list[tuple[Any, ...]]:
        """The rows (with the field's conversions applied, as values_list gives them)."""
        plan, params = self._bind(args)
        return [tuple(row) for row in self._execute(plan, params)]

    def values(self, *args: Any) -> list[Any]:
        """The first column of each row (as values_list(..., flat=True))."""
        return [row[0] for row in self.rows(*args)]

    def exists(self, *args: Any) -> bool:
        plan, params = self._bind(args, exists=True)
        db = connections[DEFAULT_DB_ALIAS]
        with db.cursor() as cursor:
            _execute(db, cursor, plan.sql, params)
            return cursor.fetchone() is not None

    def _execute(self, plan: _Plan, params: list[Any]) -> list[list[Any]]:
        db = connections[DEFAULT_DB_ALIAS]
        with db.cursor() as cursor:
            _execute(db, cursor, plan.sql, params)
            rows = [list(row) for row in cursor.fetchall()]
        for position, (converters, expression) in plan.converters:
            for row in rows:
                value = row[position]
                for convert in converters:
                    value = convert(value, expression, connection)
                row[position] = value
        return rows

    def _bind(self, args: Sequence[Any], exists: bool = False) -> tuple[_Plan, list[Any]]:
        shape = (connection.vendor, exists, *map(_kind, args))
        plan = self._plans.get(shape)
        if plan is None:
            plan = self._plans[shape] = self._compile(shape[2:], exists)
        return plan, _bound(plan, args)

    def _compile(self, kinds: tuple[Any, ...], exists: bool) -> _Plan:
        marks, stand_ins = _stand_ins(kinds)
        queryset = self._build(*stand_ins)
        if exists:
            queryset = queryset.values("pk")[:1]
        query = queryset.query
        compiler = query.get_compiler(connection=connection)
        sql, compiled_params = compiler.as_sql()
        sql, params = _lists_as_arrays(sql, _slotted(compiled_params, marks))
        model, init_list, converters, annotations = None, [], [], {}
        if not exists and compiler.select:
            expressions = [column for column, _, _ in compiler.select]
            converters = list(compiler.get_converters(expressions).items())
            klass_info = compiler.klass_info
            if klass_info is not None and query.values_select == ():
                model = klass_info["model"]
                fields = klass_info["select_fields"]
                init_list = [column.target.attname for column, _, _ in compiler.select[fields[0] : fields[-1] + 1]]
                annotations = dict(compiler.annotation_col_map or {})
        return _Plan(sql, params, model, init_list, converters, annotations)


# Each compiled statement's SQL with SQLite's placeholders (see _execute).
_QMARK_SQL: dict[str, str] = {}


def _execute(db: Any, cursor: Any, sql: str, params: list[Any]) -> None:
    """cursor.execute(sql, params), on SQLite with the placeholders turned into SQLite's once per
    statement, not at every execute (Django's SQLite cursor runs a regular expression over the text
    each time: 2-3% of a sending worker's CPU), with Django's checks and its errors, as
    CompiledInsert._execute_on_sqlite. Through Django's path when queries are logged or wrapped.
    tests/core/test_compiled.py holds the answers of both paths equal."""
    if db.vendor != "sqlite" or db.queries_logged or db.execute_wrappers:
        cursor.execute(sql, params)
        return
    qmark = _QMARK_SQL.get(sql)
    if qmark is None:
        qmark = _QMARK_SQL[sql] = cursor.cursor.convert_query(sql)
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        sqlite3.Cursor.execute(cursor.cursor, qmark, params)


def _instance(model: type[Model], alias: str, names: Sequence[str], values: Sequence[Any]) -> Model:
    """What Model.from_db(alias, names, values) makes, without Model.__init__: its state and each field's
    value in the instance's __dict__ (a field not read stays deferred, as from_db leaves it).

    Model.__init__ sends pre_init and post_init and sets each value through its class attribute: a
    claim's 75 deliveries spent more in it than in their query. Only for a model whose fields' class
    attributes store a value as it is (DeferredAttribute; a foreign key's, whose __set__ also clears a
    related object cached, and a fresh instance caches none) and no receiver of either signal
    (Compiled.objects asks at each call). tests/core/test_compiled.py holds it to Model.from_db."""
    obj = model.__new__(model)
    state = ModelState()
    state.adding, state.db = False, alias
    attributes = obj.__dict__
    attributes["_state"] = state
    attributes.update(zip(names, values, strict=True))
    return obj


def _plain_attributes(model: type[Model], names: Sequence[str]) -> bool:
    """Whether the model makes its instances as Model.__init__ and from_db do (neither is its own) and
    setting each of these attributes of a fresh instance only stores its value (see _instance)."""
    return (
        model.__init__ is Model.__init__
        and model.from_db.__func__ is Model.from_db.__func__
        and all(
            type(inspect.getattr_static(model, name, None)) in (DeferredAttribute, ForeignKeyDeferredAttribute)
            for name in names
        )
    )


class CompiledUpdate:
    """`build(*args)` → (a queryset, the new values): an UPDATE compiled once, executed at each call.

    The queryset must filter its own table only (no join: Django would first select the ids), and
    every argument must be the value of a lookup or a new value. Values may also be expressions
    (`F("count") + 1`). Returns how many rows changed, as `QuerySet.update` does.
    """

    def __init__(self, build: Callable[..., tuple[QuerySet[Any], dict[str, Any]]]) -> None:
        self._build = build
        self._plans: dict[tuple[Any, ...], _Plan] = {}

    def __call__(self, *args: Any) -> int:
        shape = (connection.vendor, *map(_kind, args))
        plan = self._plans.get(shape)
        if plan is None:
            plan = self._plans[shape] = self._compile(shape[1:])
        db = connections[DEFAULT_DB_ALIAS]
        with db.cursor() as cursor:
            _execute(db, cursor, plan.sql, _bound(plan, args))
            return cursor.rowcount

    def _compile(self, kinds: tuple[Any, ...]) -> _Plan:
        marks, stand_ins = _stand_ins(kinds)
        queryset, values = self._build(*stand_ins)
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values(values)
        compiler = query.get_compiler(connection=connection)
        if query.related_updates or query.count_active_tables() > 1:
            raise ValueError("A compiled update changes one table, filtered by its own columns.")
        sql, compiled_params = compiler.as_sql()
        return _Plan(*_lists_as_arrays(sql, _slotted(compiled_params, marks)))


def _stand_ins(kinds: tuple[Any, ...]) -> tuple[dict[Any, _Slot], list[Any]]:
    """What the ORM is given for each argument of these kinds, and the marks that find them again."""
    marks: dict[Any, _Slot] = {}
    stand_ins: list[Any] = []
    counter = itertools.count()
    for arg, kind in enumerate(kinds):
        if isinstance(kind, tuple):  # a list, padded to this length
            length, item_kind = kind
            stand_ins.append([_mark(marks, arg, item, next(counter), item_kind) for item in range(length)])
        else:
            stand_ins.append(_mark(marks, arg, None, next(counter), kind))
    return marks, stand_ins


def _slotted(compiled_params: Sequence[Any], marks: dict[Any, _Slot]) -> list[Any]:
    """The SQL parameters, each stand-in replaced by the slot of the argument it stands for."""
    params = []
    for param in compiled_params:
        slot = None
        if isinstance(param, str | datetime):
            slot = marks.get((type(param), param))
        elif isinstance(param, int) and not isinstance(param, bool):
            slot = marks.get((int, int(param)))
            if slot is not None and type(param) is not int:
                slot = _Slot(slot.arg, slot.item, type(param))
        params.append(slot if slot is not None else param)
    if len({(p.arg, p.item) for p in params if type(p) is _Slot}) != len(marks):
        raise ValueError("Every argument of a compiled query must be the value of a lookup.")
    return params


def _lists_as_arrays(sql: str, params: list[Any]) -> tuple[str, list[Any]]:
    """On PostgreSQL, each `IN (%s, …)` of a list argument as `= ANY(%s)`, the list bound as one array.

    psycopg converts the text of a statement with more than 50 parameters again at every execute (a
    regular expression over the whole text); a claim's 64 ids and a record's 128 were over it. With
    one parameter per list the text is converted once. The same rows: `x IN (a, b)` and
    `x = ANY('{a,b}')` agree, NULLs included. Left as it is on other databases, and where the text
    holds a literal percent sign (`%%`), which splitting it at its placeholders would misread."""
    if connection.vendor != "postgresql" or "%%" in sql:
        return sql, params
    pieces = sql.split("%s")
    if len(pieces) != len(params) + 1:
        return sql, params
    text, kept = [pieces[0]], []
    index = 0
    while index < len(params):
        param = params[index]
        end = index
        if type(param) is _Slot and param.item == 0:
            while (
                end + 1 < len(params)
                and type(params[end + 1]) is _Slot
                and (params[end + 1].arg, params[end + 1].item) == (param.arg, params[end].item + 1)
                and pieces[end + 1] == ", "
            ):
                end += 1
        if type(param) is _Slot and param.item == 0 and text[-1].endswith(" IN (") and pieces[end + 1][:1] == ")":
            text[-1] = text[-1][: -len(" IN (")] + " = ANY("
            kept.append(_ArraySlot(param.arg, None, param.adapt))
        else:
            end = index
            kept.append(param)
        text.append(pieces[end + 1])
        index = end + 1
    return "%s".join(text), kept


def _bound(plan: _Plan, args: Sequence[Any]) -> list[Any]:
    params = []
    for param in plan.params:
        if type(param) is _ArraySlot:
            adapt = param.adapt
            params.append([adapt(value) for value in args[param.arg]] if adapt else list(args[param.arg]))
            continue
        if type(param) is not _Slot:
            params.append(param)
            continue
        value = args[param.arg]
        if param.item is not None:
            value = value[min(param.item, len(value) - 1)]
        if param.adapt is not None:
            value = param.adapt(value)
        params.append(value)
    return params


def _mark(marks: dict[Any, _Slot], arg: int, item: int | None, number: int, kind: Any) -> Any:
    """A stand-in for one parameter of this kind, and how it shows among the SQL parameters (a
    datetime as the backend adapts it). A None stands for itself: it needs no slot, being None."""
    if kind is None:
        return None
    if kind is datetime:
        moment = _MARK_EPOCH + timedelta(microseconds=number)
        adapted = connection.ops.adapt_datetimefield_value(moment)
        marks[(type(adapted), adapted)] = _Slot(arg, item, connection.ops.adapt_datetimefield_value)
        return moment
    if kind is int:
        value = _MARK_NUMBER - number
        marks[(int, value)] = _Slot(arg, item, None)
        return value
    text = f"{_MARK_PREFIX}{number}"
    marks[(str, text)] = _Slot(arg, item, None)
    return text


_PREPARED_BY_VALUE_ALONE = (
    BigIntegerField,
    BooleanField,
    CharField,
    FloatField,
    IntegerField,
    PositiveBigIntegerField,
    PositiveIntegerField,
    PositiveSmallIntegerField,
    SmallIntegerField,
)


class CompiledInsert:
    """Insert model instances with multi-row INSERTs whose SQL is built once per database vendor
    and row count.

    What Django's bulk_create does for plain rows (each field's `pre_save` and `get_db_prep_save`,
    so encrypted fields are encrypted and datetimes adapted), without building the statement and
    checking each instance's relations every time: for 100 events that was most of the insert's
    CPU. The instances get no primary key (as bulk_create's with ignore_conflicts), no signals.
    With `ignore_conflicts`, a row that breaks a unique constraint is skipped. With `returning`
    (a field's name), the call returns that field's value for each row actually inserted.

    Up to ROWS_PER_STATEMENT rows go in one statement (`VALUES (...), (...)`), not one statement
    run once per row (`executemany`): SQLite's driver lets go of the GIL for every statement it
    steps, and in the web process, where request threads wait for the GIL, a let-go often hands
    it to one of them while the committer, holding the write transaction, waits to get it back.
    Under `bench/pipeline.py --only ingest` the web process switched threads ~35 times less per
    100-event request. On PostgreSQL the rows go through the one-row statement, sent together
    (`_execute_on_postgresql`).
    """

    ROWS_PER_STATEMENT = 100

    def __init__(self, model: type[Model], *, ignore_conflicts: bool = False, returning: str | None = None) -> None:
        meta = model._meta
        self._fields = [
            field
            for field in meta.local_concrete_fields
            if field is not meta.auto_field and not getattr(field, "generated", False)
        ]
        # Fields whose database value depends on their value alone (not an encrypted field, whose
        # every value gets its own ciphertext).
        self._plain = {
            index for index, field in enumerate(self._fields) if isinstance(field, DateTimeField | ForeignKey)
        }
        # JSON fields, whose value many rows may hold as one object (routing gives all the deliveries
        # of an action its one snapshot): each object is serialized once per call. An encrypted JSON
        # field is not a JSONField.
        self._json = {index for index, field in enumerate(self._fields) if isinstance(field, JSONField)}
        # Fields that take the time of the save (updated_at): one time for the whole insert, so its
        # database form is made once too.
        self._auto_now = {
            index
            for index, field in enumerate(self._fields)
            if isinstance(field, DateTimeField) and (field.auto_now or field.auto_now_add)
        }
        # Fields whose value alone gives their database value, as plain values of these exact types do
        # (not subclasses, which may prepare values otherwise): `rows_of` prepares each distinct one once.
        self._by_value = self._plain | {
            index for index, field in enumerate(self._fields) if type(field) in _PREPARED_BY_VALUE_ALONE
        }
        # Fields that prepare a whole column at once (core.fields: the encrypted fields write its tokens
        # in one call); their database value is their get_prep_value's, which Field.get_db_prep_save returns.
        self._by_column = {index for index, field in enumerate(self._fields) if hasattr(field, "get_prep_values")}
        # `rows_of` takes each field's value as pre_save would read it off an instance: so only of fields
        # whose pre_save reads the attribute (or gives the time of saving, _auto_now).
        self._values_are_attributes = all(
            index in self._auto_now
            or type(field).pre_save in (Field.pre_save, DateField.pre_save, DateTimeField.pre_save)
            for index, field in enumerate(self._fields)
        )
        self._table = meta.db_table
        self._ignore_conflicts = ignore_conflicts
        self._returning = meta.get_field(returning) if returning else None
        self._sql: dict[tuple[str, int], str] = {}

    def __call__(self, objs: Sequence[Model]) -> list[Any]:
        return self.insert(self.values(objs))

    @property
    def columns(self) -> tuple[str, ...]:
        """The attribute names of the fields of each row's values (`values`, `insert`), in order."""
        return tuple(field.attname for field in self._fields)

    def values(self, objs: Sequence[Model]) -> list[list[Any]]:
        """Each row's database values (encrypted fields encrypted), ready for `insert`: prepared
        outside the transaction, they keep the write lock no longer than the statements take."""
        # The rows of one insert share most of their dates and foreign keys (the time they were
        # received, the write key, no routing yet): each distinct one is prepared once.
        shared: dict[tuple[int, Any], Any] = {}
        rows: list[list[Any]] = []
        # The connection itself, not the proxy that looks it up at every attribute read.
        db = connections[DEFAULT_DB_ALIAS]
        now = timezone.now()
        for obj in objs:
            params: list[Any] = []
            for index, field in enumerate(self._fields):
                if index in self._auto_now:
                    value = now
                    setattr(obj, field.attname, now)  # as pre_save would
                else:
                    value = field.pre_save(obj, True)
                if index in self._plain or index in self._json:
                    # The same object is the same value while the rows hold it, for the whole call.
                    key = (index, value) if index in self._plain else (index, id(value))
                    if key not in shared:
                        shared[key] = field.get_db_prep_save(value, db)
                    params.append(shared[key])
                else:
                    params.append(field.get_db_prep_save(value, db))
            rows.append(params)
        return rows

    def rows_of(self, records: Sequence[Sequence[Any]]) -> list[list[Any]]:
        """Each row's database values, as `values` makes them of model instances whose attributes hold
        each record's items (in `columns`' order), with no instance made: a Delivery's Model.__init__
        and each field's get_db_prep_save were most of routing's and recording's CPU per row after the
        request itself. A field's column is prepared at once: a distinct value of a plain field once,
        an encrypted field's tokens in one call (crypto.encrypt_many). A field that takes the time of
        saving takes the call's, as in `values` (its item is not read). tests/core/test_compiled.py
        holds it to `values`."""
        if not records:
            return []
        if not self._values_are_attributes:
            raise TypeError("A model with a field that makes its value at saving needs instances (values()).")
        db = connections[DEFAULT_DB_ALIAS]
        now = timezone.now()
        count = len(records)
        columns: list[list[Any]] = []
        for index, (field, column) in enumerate(zip(self._fields, zip(*records, strict=True), strict=True)):
            if index in self._auto_now:
                columns.append([field.get_db_prep_save(now, db)] * count)
            elif index in self._by_column:
                columns.append(field.get_prep_values(column))
            elif index in self._by_value or index in self._json:
                shared: dict[Any, Any] = {}
                prepared = []
                for value in column:
                    # A JSON object many rows hold is the same value while they hold it (see _json).
                    key = id(value) if index in self._json else (type(value), value)
                    if key not in shared:
                        shared[key] = field.get_db_prep_save(value, db)
                    prepared.append(shared[key])
                columns.append(prepared)
            else:
                columns.append([field.get_db_prep_save(value, db) for value in column])
        return [list(row) for row in zip(*columns, strict=True)]

    def insert(self, rows: Sequence[list[Any]]) -> list[Any]:
        """Insert rows of `values`; return the `returning` field of those inserted."""
        if not rows:
            return []
        per_statement = self._rows_per_statement()
        returned: list[Any] = []
        # The connection itself, not the proxy that looks it up at every attribute read.
        db = connections[DEFAULT_DB_ALIAS]
        with db.cursor() as cursor:
            if db.vendor == "postgresql" and not db.queries_logged and not db.execute_wrappers:
                return self._execute_on_postgresql(db, rows)
            for start in range(0, len(rows), per_statement):
                chunk = rows[start : start + per_statement]
                params = [value for row in chunk for value in row]
                if db.vendor == "sqlite" and not db.queries_logged and not db.execute_wrappers:
                    self._execute_on_sqlite(db, cursor, len(chunk), params)
                else:
                    cursor.execute(self._statement(len(chunk)), params)
                if self._returning is not None:
                    returned += [value for (value,) in cursor.fetchall()]
        return returned

    def _execute_on_postgresql(self, db: Any, rows: Sequence[list[Any]]) -> list[Any]:
        """The rows through the one-row statement, sent together (psycopg's executemany: one pipeline,
        one round trip), its parameters bound by the server. A statement of many rows has as many
        parameters: psycopg converts the text of a statement over 50 parameters again at every execute
        (a regular expression over the whole text, then each value quoted into it): a fifth of a
        PostgreSQL worker's samples with the GIL in bench/pipeline.py's many-keys run. The one-row statement is
        converted once and, run again and again, prepared by the server. Same transaction, same checks
        and errors as Django's cursor; not when queries are logged or wrapped (Django's path then).
        tests/core/test_compiled_postgres.py holds the rows and errors to that path's."""
        import psycopg  # here: a worker on SQLite never loads it (9 MB of memory)

        db.validate_no_broken_transaction()
        returning = self._returning is not None
        returned: list[Any] = []
        with db.wrap_database_errors, psycopg.Cursor(db.connection) as cursor:
            cursor.executemany(self._statement(1), rows, returning=returning)
            while returning:
                returned += [value for (value,) in cursor.fetchall()]
                if not cursor.nextset():
                    break
        return returned

    def _execute_on_sqlite(self, db: Any, cursor: Any, rows: int, params: list[Any]) -> None:
        """What Django's cursor.execute does on SQLite (the same checks, its errors as Django's), with
        the statement's placeholders turned into SQLite's once: Django's SQLite cursor turns them at
        every execute, with a regular expression over the whole text (~130 µs for 100 rows of 11
        values). Not when queries are logged or wrapped (the debug cursor, assertNumQueries, execute
        wrappers): those see the statement through Django's path. tests/core/test_compiled.py holds
        the rows and the errors to that path's."""
        key = ("sqlite-qmark", rows)
        sql = self._sql.get(key)
        if sql is None:
            sql = self._sql[key] = cursor.cursor.convert_query(self._statement(rows))
        db.validate_no_broken_transaction()
        with db.wrap_database_errors:
            sqlite3.Cursor.execute(cursor.cursor, sql, params)

    def _rows_per_statement(self) -> int:
        limit = connection.features.max_query_params
        return min(self.ROWS_PER_STATEMENT, limit // len(self._fields)) if limit else self.ROWS_PER_STATEMENT

    def _statement(self, rows: int) -> str:
        key = (connection.vendor, rows)
        sql = self._sql.get(key)
        if sql is None:
            sql = self._sql[key] = self._compile(rows)
        return sql

    def _compile(self, rows: int) -> str:
        ops = connection.ops
        on_conflict = OnConflict.IGNORE if self._ignore_conflicts else None
        columns = ", ".join(ops.quote_name(field.column) for field in self._fields)
        placeholders = ", ".join([f"({', '.join(['%s'] * len(self._fields))})"] * rows)
        suffix = ops.on_conflict_suffix_sql(self._fields, on_conflict, None, None) or ""
        if self._returning is not None:
            suffix += f" RETURNING {ops.quote_name(self._returning.column)}"
        return (
            f"{ops.insert_statement(on_conflict=on_conflict)} {ops.quote_name(self._table)} ({columns}) "
            f"VALUES {placeholders} {suffix}"
        ).strip()


class Snapshot[T]:
    """What `make` makes of a queryset's objects, made again only when the database returns other
    rows for it.

    The database is asked at every call (so a change made by any process is seen at the next
    one), but only the rows travel: model instances, and whatever is derived from them, are built
    when the rows differ from those they were built from. A value is kept only when the rows read
    just before and just after building it agree, so it never stands for rows it was not made of.
    `make`'s value is shared by every caller until the rows change: treat it as read-only.
    """

    def __init__(self, build: Callable[[], QuerySet[Any]], make: Callable[[list[Any]], T]) -> None:
        self._build, self._make = build, make
        self._sql: dict[str, tuple[str, tuple[Any, ...]]] = {}
        self._held: dict[str, tuple[list[tuple[Any, ...]], T]] = {}

    def __call__(self) -> T:
        alias = connection.alias
        rows = self._rows()
        held = self._held.get(alias)
        if held is not None and held[0] == rows:
            return held[1]
        value = self._make(list(self._build()))
        if self._rows() == rows:
            self._held[alias] = (rows, value)
        return value

    def _rows(self) -> list[tuple[Any, ...]]:
        sql = self._sql.get(connection.vendor)
        if sql is None:
            sql = self._sql[connection.vendor] = self._build().query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(*sql)
            return cursor.fetchall()

"""Queries the ORM builds once and the database runs many times, with new parameters each time.

Ingest asks the database a few small questions at every request (is this write key active, does
anyone refuse events). Building such a query with the
ORM costs 150-300 µs of CPU, running it on SQLite 20-40 µs: at a thousand requests a second the
building was most of the work. A `Compiled` query is built by the ORM from a function of its
parameters, compiled to SQL once per database vendor and list length, and then only executed:
rows added or changed since are seen (it is asked of the database every time), only its SQL and
the meaning of each placeholder are kept.

Parameters may be strings, aware datetimes, or lists of strings (an `__in` lookup): a list is
padded with its last value to the next power of two, so a handful of SQL texts serve every length.
"""

import itertools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import DateTimeField, ForeignKey, Model, QuerySet
from django.db.models.constants import OnConflict

# What the ORM is given in place of each parameter while compiling: values nobody stores, told
# apart from each other and from the query's constants once they come out as SQL parameters.
_MARK_PREFIX = "\x00relay-compiled-parameter:"
_MARK_EPOCH = datetime(1111, 1, 1, tzinfo=UTC)


class _Slot:
    """Where a compiled query's SQL parameter comes from: argument `arg` (item `item` of a list)."""

    __slots__ = ("arg", "is_datetime", "item")

    def __init__(self, arg: int, item: int | None, is_datetime: bool) -> None:
        self.arg, self.item, self.is_datetime = arg, item, is_datetime


class _Plan:
    """One SQL text with, per placeholder, either a constant or the argument it takes."""

    __slots__ = ("converters", "init_list", "model", "params", "sql")

    def __init__(self, sql: str, params: list[Any], model: type[Model] | None, init_list: list[str], converters: list):
        self.sql, self.params, self.model, self.init_list, self.converters = sql, params, model, init_list, converters


def _kind(arg: Any) -> Any:
    """What of an argument shapes the SQL: a list's padded length, or the type of a value."""
    if isinstance(arg, list | tuple):
        if not arg:
            raise ValueError("A compiled query's list argument may not be empty (nothing can be IN it).")
        return 1 << max(0, len(arg) - 1).bit_length()
    if isinstance(arg, datetime):
        return datetime
    if isinstance(arg, str):
        return str
    raise TypeError(f"A compiled query takes strings, datetimes and lists of strings, not {type(arg).__name__}.")


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
        if plan.model is None:
            raise TypeError("objects() needs a queryset of model instances (not values_list).")
        return [plan.model.from_db(connection.alias, plan.init_list, row) for row in rows]

    def rows(self, *args: Any) -> list[tuple[Any, ...]]:
        """The rows (with the field's conversions applied, as values_list gives them)."""
        plan, params = self._bind(args)
        return [tuple(row) for row in self._execute(plan, params)]

    def values(self, *args: Any) -> list[Any]:
        """The first column of each row (as values_list(..., flat=True))."""
        return [row[0] for row in self.rows(*args)]

    def exists(self, *args: Any) -> bool:
        plan, params = self._bind(args, exists=True)
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            return cursor.fetchone() is not None

    def _execute(self, plan: _Plan, params: list[Any]) -> list[list[Any]]:
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
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
        params = []
        for param in plan.params:
            if type(param) is not _Slot:
                params.append(param)
                continue
            value = args[param.arg]
            if param.item is not None:
                value = value[min(param.item, len(value) - 1)]
            if param.is_datetime:
                value = connection.ops.adapt_datetimefield_value(value)
            params.append(value)
        return plan, params

    def _compile(self, kinds: tuple[Any, ...], exists: bool) -> _Plan:
        marks: dict[Any, _Slot] = {}
        stand_ins: list[Any] = []
        counter = itertools.count()
        for arg, kind in enumerate(kinds):
            if isinstance(kind, int):  # a list of strings, padded to this length
                stand_ins.append([_mark(marks, arg, item, next(counter), False) for item in range(kind)])
            else:
                stand_ins.append(_mark(marks, arg, None, next(counter), kind is datetime))
        queryset = self._build(*stand_ins)
        if exists:
            queryset = queryset.values("pk")[:1]
        query = queryset.query
        compiler = query.get_compiler(connection=connection)
        sql, compiled_params = compiler.as_sql()
        params = []
        for param in compiled_params:
            slot = marks.get(param) if isinstance(param, str | datetime) else None
            params.append(slot if slot is not None else param)
        found = {id(p) for p in params if type(p) is _Slot}
        if len(found) != len(marks):
            raise ValueError("Every argument of a compiled query must be the value of a lookup.")
        model, init_list, converters = None, [], []
        if not exists and compiler.select:
            expressions = [column for column, _, _ in compiler.select]
            converters = list(compiler.get_converters(expressions).items())
            klass_info = compiler.klass_info
            if klass_info is not None and query.values_select == ():
                model = klass_info["model"]
                fields = klass_info["select_fields"]
                init_list = [column.target.attname for column, _, _ in compiler.select[fields[0] : fields[-1] + 1]]
        return _Plan(sql, params, model, init_list, converters)


def _mark(marks: dict[Any, _Slot], arg: int, item: int | None, number: int, is_datetime: bool) -> Any:
    """A stand-in for one parameter, and how it shows among the SQL parameters (a datetime as the
    backend adapts it)."""
    if is_datetime:
        moment = _MARK_EPOCH + timedelta(microseconds=number)
        marks[connection.ops.adapt_datetimefield_value(moment)] = _Slot(arg, item, True)
        return moment
    text = f"{_MARK_PREFIX}{number}"
    marks[text] = _Slot(arg, item, False)
    return text


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
    100-event request.
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
        self._table = meta.db_table
        self._ignore_conflicts = ignore_conflicts
        self._returning = meta.get_field(returning) if returning else None
        self._sql: dict[tuple[str, int], str] = {}

    def __call__(self, objs: Sequence[Model]) -> list[Any]:
        if not objs:
            return []
        # The rows of one insert share most of their dates and foreign keys (the time they were
        # received, the write key, no routing yet): each distinct one is prepared once.
        shared: dict[tuple[int, Any], Any] = {}
        params: list[Any] = []
        for obj in objs:
            for index, field in enumerate(self._fields):
                value = field.pre_save(obj, True)
                if index in self._plain:
                    key = (index, value)
                    if key not in shared:
                        shared[key] = field.get_db_prep_save(value, connection)
                    params.append(shared[key])
                else:
                    params.append(field.get_db_prep_save(value, connection))
        width = len(self._fields)
        per_statement = self._rows_per_statement()
        returned: list[Any] = []
        with connection.cursor() as cursor:
            for start in range(0, len(objs), per_statement):
                count = min(per_statement, len(objs) - start)
                cursor.execute(self._statement(count), params[start * width : (start + count) * width])
                if self._returning is not None:
                    returned += [value for (value,) in cursor.fetchall()]
        return returned

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

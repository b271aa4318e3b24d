"""Prepared statements: a fixed-shape queryset compiled to SQL once per database, then run
with new parameter values (``PreparedQuery``), and a model's one-row INSERT built once
(``PreparedInsert``), as is its one-row UPDATE of a given set of columns (``PreparedUpdate``).

Compiling a queryset (``SQLCompiler.as_sql``: the select list, the joins of
``select_related``, the converters) costs more CPU than SQLite or PostgreSQL spend running
it; on the engine's hot reads (a run by id with its state, a task run by its key) it was
about a third of a request. A ``PreparedQuery`` compiles its shape the first time it runs
against a database alias and keeps the SQL, the parameter slots of its arguments and the
compiler's row layout; later calls only bind values, execute, convert and hydrate, the way
``ModelIterable`` does. Results are the same model instances a queryset would give,
related rows included; SQL goes through the connection's cursor wrapper as usual, so query
logging and counting are unchanged.

Arguments are bound by position and are UUIDs, strings or integers (not ``None``, which
would change the SQL); UUIDs are stored the way ``UUIDField`` stores them (native on
PostgreSQL, hex text on SQLite).

The INSERTs and UPDATEs turn each value into its parameter with ``db_parameter``: the
field's ``get_db_prep_save`` goes through four or five layers of conversion per value
(8-9 µs for an aware datetime on SQLite, 54 µs for the 24 columns of a task run, 26 µs here), where
the common cases (an aware ``datetime``, a ``UUID``, a ``str``, an ``int``) need one step.
Any other value, and any field class not listed, still takes the field's own path.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import operator
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Optional, TypeVar

from django.db import DatabaseError, connections, models, router
from django.db.models import Model, QuerySet
from django.db.models.fields.json import KeyTransform
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from django.utils.duration import duration_microseconds

M = TypeVar("M", bound=Model)

_ARGUMENT_TYPES = (uuid.UUID, str, int)


def _stand_in(arg_type: type, version: int, argument: int) -> Any:
    """A value no real argument has, distinct per argument and per version: the parameter
    slots that differ between the compilations of version 0 and 1 are the arguments' slots."""
    number = 0x5EED_0000 + 0x100 * version + argument
    if arg_type is uuid.UUID:
        return uuid.UUID(int=number)
    if arg_type is str:
        return f"\x00prepared-{number:x}"
    return -number


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (parameter index, argument index)
    native_uuid: bool
    # (column index, value -> Python value) of the columns that need converting.
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]
    # None for a ``values_list()`` shape, whose rows come back as tuples.
    init_list: Optional[list[str]]
    model_slice: Optional[slice]
    model_cls: Optional[type[Model]]
    # The setters of ``select_related`` rows: they hold only the row layout, so one set
    # serves every call (building them per call was about 5 % of a prepared read).
    populators: list[Any]


def _row_converters(converters: dict[int, tuple[list[Any], Any]], connection: Any) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """``SQLCompiler.apply_converters`` as one function per converted column: Django's
    converters of UUIDs, datetimes, JSON, booleans and durations in one step each
    (``_one_step``), any other converter as Django calls it."""
    chains = []
    for index, (functions, expression) in converters.items():
        steps = [
            _one_step(function, expression, connection) or functools.partial(_convert_with, function, expression, connection)
            for function in functions
        ]
        chains.append((index, steps[0] if len(steps) == 1 else functools.partial(_chain, steps)))
    return tuple(chains)


def _one_step(function: Callable[..., Any], expression: Any, connection: Any) -> Optional[Callable[[Any], Any]]:
    """What ``function(value, expression, connection)`` does, without the calls around it,
    for the converters a prepared read meets on every row (a run with its state and flow
    run has some forty converted columns); None for any other."""
    ops = connection.ops
    owner = getattr(function, "__self__", None)
    if getattr(function, "__func__", None) is models.JSONField.from_db_value:
        if owner.decoder is not None or isinstance(expression, KeyTransform):
            return None
        return _json_value
    if owner is not ops or connection.vendor != "sqlite":
        return None
    name = function.__name__
    if name == "convert_uuidfield_value":
        return _sqlite_uuid
    if name == "convert_booleanfield_value":
        return _sqlite_boolean
    if name == "convert_durationfield_value":
        return _microseconds_duration
    if name == "convert_datetimefield_value" and connection.timezone is dt.timezone.utc:
        return functools.partial(_sqlite_datetime, functools.partial(_convert_with, function, expression, connection))
    return None


def _convert_with(function: Callable[[Any, Any, Any], Any], expression: Any, connection: Any, value: Any) -> Any:
    return function(value, expression, connection)


def _chain(steps: Sequence[Callable[[Any], Any]], value: Any) -> Any:
    for step in steps:
        value = step(value)
    return value


def _json_value(value: Any) -> Any:
    """``JSONField.from_db_value`` without a decoder: the parsed text, or the value as it came."""
    if value is None:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _sqlite_uuid(value: Any) -> Any:
    return None if value is None else uuid.UUID(value)


def _sqlite_boolean(value: Any) -> Any:
    return bool(value) if value in (1, 0) else value


def _microseconds_duration(value: Any) -> Any:
    return None if value is None else dt.timedelta(0, 0, value)


def _sqlite_datetime(slow: Callable[[Any], Any], value: Any) -> Any:
    """Django's ``convert_datetimefield_value`` (``parse_datetime``, then aware in UTC) for
    the text Django writes; anything else takes Django's path."""
    if type(value) is str:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return slow(value)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.timezone.utc)
    return None if value is None else slow(value)


def _converted(row: tuple, converters: tuple[tuple[int, Callable[[Any], Any]], ...]) -> list[Any]:
    values = list(row)
    for index, convert in converters:
        values[index] = convert(values[index])
    return values


class PreparedQuery(Generic[M]):
    """``build(*args)`` returns a queryset whose shape does not depend on the values of
    ``args`` (declared by ``arg_types``); ``PreparedQuery(build, ...).all(*values)`` runs it."""

    def __init__(self, build: Callable[..., QuerySet[M]], *arg_types: type) -> None:
        for arg_type in arg_types:
            if arg_type not in _ARGUMENT_TYPES:
                raise TypeError(f"PreparedQuery arguments are UUID, str or int, not {arg_type!r}")
        self.build = build
        self.arg_types = arg_types
        self._compiled: dict[str, _Compiled] = {}
        self._model: Optional[type[Model]] = None
        self._lock = threading.Lock()

    def all(self, *values: Any) -> list[Any]:
        """Every row for these argument values: model instances (tuples for a
        ``values_list()`` shape)."""
        alias = router.db_for_read(self._model) if self._model is not None else None
        compiled = self._compiled.get(alias) if alias is not None else None
        if compiled is None:
            queryset = self.build(*self._stand_ins(0))
            alias = queryset.db
            compiled = self._compile(alias, queryset)
        params = list(compiled.params)
        for index, argument in compiled.slots:
            value = values[argument]
            if isinstance(value, uuid.UUID) and not compiled.native_uuid:
                value = value.hex
            params[index] = value
        with connections[alias].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        return self._hydrate(alias, compiled, rows)

    def first(self, *values: Any) -> Optional[M]:
        """The first row for these values (the shape should say ``[:1]``), or None."""
        rows = self.all(*values)
        return rows[0] if rows else None

    def _compile(self, alias: str, queryset: QuerySet[M]) -> _Compiled:
        with self._lock:
            if alias in self._compiled:
                return self._compiled[alias]
            other = self.build(*self._stand_ins(1))
            compiler = queryset.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            other_sql, other_params = other.query.get_compiler(using=alias).as_sql()
            if sql != other_sql or len(params) != len(other_params):
                raise ValueError("PreparedQuery: the queryset's shape depends on its arguments")
            slots = []
            for index, (a, b) in enumerate(zip(params, other_params)):
                if a != b:
                    slots.append((index, self._argument_of(a)))
            if len(slots) < len(self.arg_types):
                raise ValueError("PreparedQuery: an argument does not reach the SQL")
            iterable = queryset._iterable_class
            if iterable not in (ModelIterable, ValuesListIterable):
                raise TypeError("PreparedQuery: model instances or values_list() tuples only")
            klass_info = compiler.klass_info if iterable is ModelIterable else None
            columns = [s[0] for s in compiler.select[0 : compiler.col_count]]
            init_list = model_slice = None
            if klass_info is not None:
                select_fields = klass_info["select_fields"]
                start, end = select_fields[0], select_fields[-1] + 1
                init_list = [f[0].target.attname for f in compiler.select[start:end]]
                model_slice = slice(start, end)
            compiled = _Compiled(
                sql=sql,
                params=tuple(params),
                slots=tuple(slots),
                native_uuid=connections[alias].features.has_native_uuid_field,
                converters=_row_converters(compiler.get_converters(columns), connections[alias]),
                init_list=init_list,
                model_slice=model_slice,
                model_cls=klass_info["model"] if klass_info is not None else None,
                populators=get_related_populators(klass_info, compiler.select, alias) if klass_info is not None else [],
            )
            self._compiled[alias] = compiled
            self._model = queryset.model
            return compiled

    def _stand_ins(self, version: int) -> list[Any]:
        return [_stand_in(t, version, i) for i, t in enumerate(self.arg_types)]

    def _argument_of(self, param: Any) -> int:
        for argument, stand_in in enumerate(self._stand_ins(0)):
            if param == stand_in or param == getattr(stand_in, "hex", None):
                return argument
        raise ValueError(f"PreparedQuery: unexpected parameter {param!r}")

    @staticmethod
    def _hydrate(alias: str, compiled: _Compiled, rows: list[tuple]) -> list[Any]:
        if not rows:
            return []
        if compiled.converters:
            rows = [_converted(row, compiled.converters) for row in rows]
        if compiled.model_cls is None:
            return [tuple(row) for row in rows]
        results = []
        for row in rows:
            obj = compiled.model_cls.from_db(alias, compiled.init_list, row[compiled.model_slice])
            for populator in compiled.populators:
                populator.populate(row, obj)
            results.append(obj)
        return results


_TEXT_FIELDS = (models.CharField, models.TextField)
_INTEGER_FIELDS = (
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
)


def db_parameter(field: models.Field, connection: Any) -> Callable[[Any], Any]:
    """``value -> field.get_db_prep_save(value, connection)``, with one-step conversions
    for the usual value types of Django's own field classes (exact classes only: a subclass
    may convert differently). ``tests/crud/test_prepared.py`` holds them equal."""
    slow = functools.partial(field.get_db_prep_save, connection=connection)
    kind = type(field)
    if isinstance(field, models.ForeignKey) and kind is models.ForeignKey:
        target = db_parameter(field.target_field, connection)
        return lambda value: None if value is None else (slow(value) if value == "" else target(value))
    fast: Optional[Callable[[Any], Any]] = None
    if kind is models.DateTimeField and not (field.auto_now or field.auto_now_add):
        fast = _datetime_parameter(connection)
    elif kind is models.UUIDField:
        native = connection.features.has_native_uuid_field
        fast = _typed(uuid.UUID, (lambda value: value) if native else (lambda value: value.hex))
    elif kind in _TEXT_FIELDS:
        fast = _typed(str, lambda value: value)
    elif kind in _INTEGER_FIELDS:
        adapt, internal_type = connection.ops.adapt_integerfield_value, field.get_internal_type()
        fast = _typed(int, lambda value: adapt(value, internal_type))
    elif kind is models.BooleanField:
        fast = _typed(bool, lambda value: value)
    elif kind is models.DurationField and not connection.features.has_native_duration_field:
        fast = _typed(dt.timedelta, duration_microseconds)
    elif kind is models.JSONField and field.encoder is None and connection.vendor == "sqlite":
        # SQLite's adapt_json_value is json.dumps; PostgreSQL's wraps it in Jsonb.
        dumps = json.dumps
        return lambda value: None if value is None else (dumps(value) if type(value) in (dict, list) else slow(value))
    if fast is None:
        return slow
    return lambda value: None if value is None else fast(value, slow)


def _typed(kind: type, convert: Callable[[Any], Any]) -> Callable[[Any, Callable[[Any], Any]], Any]:
    """``convert`` for values of exactly ``kind``; others go to the field's own path."""
    return lambda value, slow: convert(value) if type(value) is kind else slow(value)


def _datetime_parameter(connection: Any) -> Optional[Callable[[Any, Callable[[Any], Any]], Any]]:
    """Aware datetimes as the backend's ``adapt_datetimefield_value`` gives them: UTC text
    without an offset on SQLite (Django's ``str()`` of the naive UTC value), the value
    itself on PostgreSQL. Naive values (Django warns and assumes its time zone) go the slow way."""
    if connection.vendor == "postgresql":
        return lambda value, slow: value if type(value) is dt.datetime and value.tzinfo is not None else slow(value)
    if connection.vendor != "sqlite" or connection.timezone is not dt.timezone.utc:
        return None
    utc = dt.timezone.utc

    def sqlite_text(value: Any, slow: Callable[[Any], Any]) -> Any:
        if type(value) is dt.datetime and value.tzinfo is not None:
            return str(value.astimezone(utc).replace(tzinfo=None))
        return slow(value)

    return sqlite_text


class PreparedInsert(Generic[M]):
    """The one-row ``INSERT`` of ``model``, its SQL built once per database.

    ``insert(obj)`` writes an unsaved instance as ``obj.save(force_insert=True)`` would
    (field defaults and ``pre_save`` applied, an auto-increment key read back), without the
    insert compiler's per-call work or the save signals, which no model of ours listens to.
    """

    def __init__(self, model: type[M]) -> None:
        self.model = model
        meta = model._meta
        self._auto_pk = meta.pk if meta.pk.db_returning else None
        self._fields = [f for f in meta.local_concrete_fields if f is not self._auto_pk]
        self._built: dict[str, tuple[str, list[tuple[Callable[..., Any], Callable[[Any], Any]]]]] = {}

    def insert(self, obj: M) -> M:
        """Write ``obj`` (in the caller's transaction, if one is open) and return it."""
        alias = router.db_for_write(self.model, instance=obj)
        connection = connections[alias]
        sql, columns = self._built.get(alias) or self._build(alias)
        params = [parameter(value_of(obj)) for value_of, parameter in columns]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if self._auto_pk is not None:
                setattr(obj, self._auto_pk.attname, cursor.fetchone()[0])
        obj._state.adding = False
        obj._state.db = alias
        remember = getattr(obj, "remember_saved_values", None)  # api.models.base.ORMBaseModel
        if remember is not None:
            remember()
        return obj

    def _build(self, alias: str) -> tuple[str, list[tuple[Callable[..., Any], Callable[[Any], Any]]]]:
        connection = connections[alias]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self._fields)
        placeholders = ", ".join(["%s"] * len(self._fields))
        sql = f"INSERT INTO {quote(self.model._meta.db_table)} ({columns}) VALUES ({placeholders})"
        if self._auto_pk is not None:
            sql += f" RETURNING {quote(self._auto_pk.column)}"
        built = (sql, [(_value_getter(f, add=True), db_parameter(f, connection)) for f in self._fields])
        self._built[alias] = built
        return built


class PreparedUpdate(Generic[M]):
    """The one-row ``UPDATE`` of some columns of ``model`` by primary key, its SQL built once
    per database and set of columns.

    ``update(obj, attnames)`` writes as ``obj.save(update_fields=attnames)`` would
    (``pre_save`` applied, ``DatabaseError`` when no row has the key), without the query
    building of every call (a third of a state change's CPU) or the save signals, which no
    model of ours listens to.
    """

    def __init__(self, model: type[M]) -> None:
        self.model = model
        meta = model._meta
        self._pk = meta.pk
        self._columns = [f for f in meta.local_concrete_fields if f is not meta.pk]
        self._built: dict[tuple[str, tuple[str, ...]], tuple[str, list[Any], Callable[[Any], Any]]] = {}

    def update(self, obj: M, attnames: Sequence[str]) -> None:
        """Write the ``attnames`` columns of ``obj`` (in the caller's transaction, if one is open)."""
        alias = router.db_for_write(self.model, instance=obj)
        connection = connections[alias]
        key = (alias, tuple(attnames))
        sql, columns, key_parameter = self._built.get(key) or self._build(key)
        params = [parameter(value_of(obj)) for value_of, parameter in columns]
        params.append(key_parameter(obj.pk))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            updated = cursor.rowcount
        if not updated:
            raise DatabaseError("Save with update_fields did not affect any rows.")
        obj._state.adding = False
        obj._state.db = alias

    def _build(self, key: tuple[str, tuple[str, ...]]) -> tuple[str, list[Any], Callable[[Any], Any]]:
        alias, attnames = key
        wanted = set(attnames)
        # In the model's column order, as the ORM writes them.
        fields = [f for f in self._columns if f.attname in wanted]
        if len(fields) != len(wanted):
            raise ValueError(f"PreparedUpdate: not columns of {self.model.__name__}: {sorted(wanted - {f.attname for f in fields})}")
        connection = connections[alias]
        quote = connection.ops.quote_name
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        sql = f"UPDATE {quote(self.model._meta.db_table)} SET {assignments} WHERE {quote(self._pk.column)} = %s"
        columns = [(_value_getter(f, add=False), db_parameter(f, connection)) for f in fields]
        # The key as get_db_prep_value gives it (not _save: a key is not a saved value).
        built = (sql, columns, functools.partial(self._pk.get_db_prep_value, connection=connection))
        self._built[key] = built
        return built


def _value_getter(field: models.Field, add: bool) -> Callable[[Model], Any]:
    """``obj -> field.pre_save(obj, add)``: a plain attribute read where that is all
    ``pre_save`` does (Django's base one, or a date field's without ``auto_now``)."""
    stamped = isinstance(field, models.DateField) and (field.auto_now or field.auto_now_add)
    if type(field).pre_save in (models.Field.pre_save, models.DateField.pre_save, models.DateTimeField.pre_save) and not stamped:
        return operator.attrgetter(field.attname)
    return lambda obj: field.pre_save(obj, add)

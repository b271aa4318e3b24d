"""Base models and field types shared by every wire schema (Django-free).

Datetimes travel as UTC ISO-8601 with microseconds and ``+00:00``; durations as float
seconds; explicit JSON ``null`` means "use the default"; action and filter models reject
unknown keys while multi-parameter request bodies ignore them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any, ClassVar, Optional
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from api.errors import InvalidLimitError

UTC = dt.timezone.utc


# The datetimes the API stores: UTC years 1..9999 minus a day at each end, so that a
# value can still be shifted by a time zone or a day (history buckets, schedules)
# without leaving Python's range.
DATETIME_MIN = dt.datetime(1, 1, 2, tzinfo=dt.timezone.utc)
DATETIME_MAX = dt.datetime(9999, 12, 30, tzinfo=dt.timezone.utc)


def _out_of_range() -> PydanticCustomError:
    return PydanticCustomError(
        "value_error.datetime_range",
        "Datetime must be between {min} and {max} (UTC).",
        {"min": format_datetime(DATETIME_MIN), "max": format_datetime(DATETIME_MAX)},
    )


def _to_utc(value: dt.datetime) -> dt.datetime:
    # Naive input is taken as UTC, as the original server does.
    try:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # an offset that pushes the instant past year 1 or 9999
        raise _out_of_range() from None
    if not DATETIME_MIN <= value <= DATETIME_MAX:
        raise _out_of_range()
    return value


def format_datetime(value: dt.datetime) -> str:
    """Render a datetime the way the client and UI expect: UTC, microseconds, ``+00:00``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def format_duration(value: dt.timedelta) -> float:
    """Render a duration as float seconds."""
    return value.total_seconds()


DateTime = Annotated[
    dt.datetime,
    AfterValidator(_to_utc),
    PlainSerializer(format_datetime, return_type=str),
]
Duration = Annotated[dt.timedelta, PlainSerializer(format_duration, return_type=float)]


class LimitConfig:
    """The page-size bound; ``api.apps`` sets it from ``PREFECT_API_DEFAULT_LIMIT``."""

    default_limit: int = 200
    # PREFECT_API_TASK_CACHE_KEY_MAX_LENGTH: longer task-run cache keys are a 422.
    cache_key_max_length: int = 2000


def _check_limit(value: Optional[int]) -> int:
    if value is None:
        return LimitConfig.default_limit
    if value > LimitConfig.default_limit:
        raise InvalidLimitError(f"Invalid limit: must be less than or equal to {LimitConfig.default_limit}.")
    if value < 0:
        raise InvalidLimitError("Invalid limit: must be greater than or equal to 0.")
    return value


# Raises InvalidLimitError (not a ValueError), so it escapes pydantic as a plain-detail 422.
# validate_default: an omitted (or null) limit must still become the default limit.
Limit = Annotated[Optional[int], AfterValidator(_check_limit), Field(validate_default=True)]

# Integers the database columns can hold, the same bound on SQLite and PostgreSQL:
# PostgreSQL's smallint / integer / bigint (SQLite would take any 64-bit value).
SmallInt = Annotated[int, Field(ge=-(2**15), le=2**15 - 1)]
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
Offset = Annotated[int, Field(ge=0, le=2**63 - 1)]

# Names and keys live in indexed text columns; a PostgreSQL b-tree entry holds at most
# 2704 bytes, and some indexes pair two such values, so each is held to 1024 bytes of UTF-8.
INDEXED_TEXT_MAX_BYTES = 1024


def check_text_bytes(value: str, max_bytes: int) -> str:
    """Refuse ``value`` when its UTF-8 form is longer than ``max_bytes`` (an index bound)."""
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise PydanticCustomError(
            "value_error.too_long",
            "String is too long to index: at most {max_bytes} bytes of UTF-8, got {size}.",
            {"max_bytes": max_bytes, "size": size},
        )
    return value


def _check_indexed_text(value: str) -> str:
    return check_text_bytes(value, INDEXED_TEXT_MAX_BYTES)


IndexedText = Annotated[str, AfterValidator(_check_indexed_text)]

# --- What the databases can store --------------------------------------------------
# Neither PostgreSQL text nor jsonb holds U+0000, neither database driver encodes a lone
# surrogate, and JSON columns hold no NaN/Infinity; such input is a 422 on both databases,
# checked on the raw body before any field is parsed.
_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_STORAGE_ERRORS = 20


def _string_problem(value: str) -> Optional[str]:
    if "\x00" in value:
        return "String contains a NUL character (\\u0000), which cannot be stored."
    if not value.isascii():
        match = _SURROGATE.search(value)
        if match:
            return f"String contains a lone surrogate (\\u{ord(match.group()):04x}), which is not valid Unicode."
    return None


def _storage_problems(value: Any, loc: tuple[Any, ...], errors: list[InitErrorDetails]) -> None:
    if len(errors) >= _MAX_STORAGE_ERRORS:
        return
    problem: Optional[str] = None
    if isinstance(value, str):
        problem = _string_problem(value)
    elif isinstance(value, float):
        problem = None if math.isfinite(value) else "Number must be finite."
    elif isinstance(value, dict):
        for key, item in value.items():
            key_problem = _string_problem(key) if isinstance(key, str) else None
            if key_problem:
                errors.append(_storage_error((*loc, key), "Key: " + key_problem, key))
            _storage_problems(item, (*loc, key), errors)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _storage_problems(item, (*loc, index), errors)
    if problem:
        errors.append(_storage_error(loc, problem, value))


def _storage_error(loc: tuple[Any, ...], message: str, value: Any) -> InitErrorDetails:
    return InitErrorDetails(type=PydanticCustomError("value_error.unstorable", message), loc=loc, input=value)


def check_storable(cls: type[BaseModel], data: Any) -> Any:
    """Refuse a raw body holding NUL characters, lone surrogates or non-finite numbers.

    Each offending value is reported at its own location (``["body", "parameters", "x"]``).
    """
    errors: list[InitErrorDetails] = []
    _storage_problems(data, (), errors)
    if errors:
        raise ValidationError.from_exception_data(cls.__name__, errors)
    return data


def _drop_nulls(cls: type[BaseModel], data: Any, keep: frozenset[str] = frozenset()) -> Any:
    """Remove explicit nulls for optional fields so their defaults apply; the nulls of the
    fields in ``keep`` stay (there, null is a value)."""
    if isinstance(data, dict) and None in data.values():
        fields = cls.model_fields
        return {
            key: value
            for key, value in data.items()
            if value is not None or key not in fields or fields[key].is_required() or key in keep
        }
    return data


class PrefectBaseModel(BaseModel):
    """Base of response and core models: built from ORM rows or dicts, unknown keys ignored."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True, extra="ignore")


class ORMBaseModel(PrefectBaseModel):
    """A row with the common ``id``/``created``/``updated`` columns."""

    id: UUID
    created: DateTime
    updated: DateTime


class ActionBaseModel(BaseModel):
    """Base of create/update bodies: unknown keys are a 422, null means default (except in
    ``nullable_fields``), values the databases cannot store are a 422."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    #: Fields where an explicit null is kept: an update clears the (nullable) column, a
    #: filter lifts its default.
    nullable_fields: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        return check_storable(cls, data)

    @model_validator(mode="before")
    @classmethod
    def _nulls_mean_default(cls, data: Any) -> Any:
        return _drop_nulls(cls, data, cls.nullable_fields)


class FilterBaseModel(ActionBaseModel):
    """Base of filter objects: unknown keys are a 422 at every level."""


class RequestBody(BaseModel):
    """A body made of several parameters: unknown top-level keys ignored, null means
    default (a body of ``null`` too, as a missing body), values the databases cannot
    store are a 422."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        return {} if data is None else check_storable(cls, data)

    @model_validator(mode="before")
    @classmethod
    def _nulls_mean_default(cls, data: Any) -> Any:
        return _drop_nulls(cls, data)


class Confirm(RequestBody):
    """The ``{"confirm": true}`` body of the admin database routes."""

    confirm: bool = False

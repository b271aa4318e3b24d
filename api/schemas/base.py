"""Base models and field types shared by every wire schema (Django-free).

Datetimes travel as UTC ISO-8601 with microseconds and ``+00:00``; durations as float
seconds; explicit JSON ``null`` means "use the default"; action and filter models reject
unknown keys while multi-parameter request bodies ignore them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Optional
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

from api.errors import InvalidLimitError

UTC = dt.timezone.utc


def _to_utc(value: dt.datetime) -> dt.datetime:
    # Naive input is taken as UTC, as the original server does.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_datetime(value: dt.datetime) -> str:
    """Render a datetime the way the client and UI expect: UTC, microseconds, ``+00:00``."""
    return _to_utc(value).isoformat(timespec="microseconds")


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
Offset = Annotated[int, Field(ge=0)]


def _drop_nulls(cls: type[BaseModel], data: Any) -> Any:
    """Remove explicit nulls for optional fields so their defaults apply."""
    if isinstance(data, dict) and None in data.values():
        fields = cls.model_fields
        return {
            key: value
            for key, value in data.items()
            if value is not None or key not in fields or fields[key].is_required()
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
    """Base of create/update bodies: unknown keys are a 422, null means default."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _nulls_mean_default(cls, data: Any) -> Any:
        return _drop_nulls(cls, data)


class FilterBaseModel(ActionBaseModel):
    """Base of filter objects: unknown keys are a 422 at every level."""


class RequestBody(BaseModel):
    """A body made of several parameters: unknown top-level keys ignored, null means default."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _nulls_mean_default(cls, data: Any) -> Any:
        return _drop_nulls(cls, data)


class Confirm(RequestBody):
    """The ``{"confirm": true}`` body of the admin database routes."""

    confirm: bool = False

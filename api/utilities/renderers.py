"""JSON rendering for API responses (orjson; datetimes and durations pre-formatted by schemas)."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from typing import Any

import orjson
from django.http import HttpRequest
from ninja.renderers import BaseRenderer

_OPTIONS = orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def dumps(data: Any) -> bytes:
    """Serialize ``data`` to JSON bytes, formatting datetimes with microseconds and +00:00.

    Integers beyond 64 bits (valid JSON, stored as sent) and lone surrogates (echoed in a
    422) are outside what orjson writes; those rare documents go through the standard
    library instead, which writes both (surrogates as ``\\u`` escapes).
    """
    try:
        # orjson drops a zero microsecond part; passthrough hands every datetime to _default.
        return orjson.dumps(data, default=_default, option=_OPTIONS | orjson.OPT_PASSTHROUGH_DATETIME)
    except TypeError:
        return json.dumps(data, default=_default, separators=(",", ":")).encode()


class ORJSONRenderer(BaseRenderer):
    """Ninja renderer using orjson."""

    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        """Render ``data`` as JSON."""
        return dumps(data)

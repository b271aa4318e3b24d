"""Criteria of log lines."""

from __future__ import annotations

from typing import Optional

from django.db.models import Q

from api.crud.filters.common import any_of, combine, time_range
from api.schemas import filters as f


def log_filter_q(flt: Optional[f.LogFilter]) -> Q:
    """Criteria of a ``LogFilter`` on log lines."""
    if flt is None:
        return Q()
    criteria = [
        time_range("timestamp", flt.timestamp),
        any_of("flow_run_id", flt.flow_run_id),
        any_of("task_run_id", flt.task_run_id),
    ]
    if flt.level is not None:
        if flt.level.ge_ is not None:
            criteria.append(Q(level__gte=flt.level.ge_))
        if flt.level.le_ is not None:
            criteria.append(Q(level__lte=flt.level.le_))
    return combine(criteria, flt.operator)

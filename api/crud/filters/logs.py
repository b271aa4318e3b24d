"""Criteria of log lines."""

from __future__ import annotations

from django.db.models import Q

from api.crud.filters.common import any_of, joined_criteria, time_range
from api.schemas import filters as f


@joined_criteria
def log_filter_q(flt: f.LogFilter) -> list[Q]:
    """Criteria of a ``LogFilter`` on log lines."""
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
    return criteria

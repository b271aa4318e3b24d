"""Criteria of work pools, work queues and workers."""

from __future__ import annotations

from django.db.models import Q

from api.crud.filters.common import any_of, combine, id_q, joined_criteria, time_range
from api.schemas import filters as f


@joined_criteria
def work_pool_filter_q(flt: f.WorkPoolFilter) -> list[Q]:
    """Criteria of a ``WorkPoolFilter`` on work pools."""
    return [id_q(flt.id), any_of("name", flt.name), any_of("type", flt.type)]


@joined_criteria
def work_queue_filter_q(flt: f.WorkQueueFilter) -> list[Q]:
    """Criteria of a ``WorkQueueFilter`` on work queues (name prefixes are OR-ed)."""
    criteria = [id_q(flt.id)]
    if flt.name is not None:
        criteria.append(any_of("name", flt.name))
        if flt.name.startswith_ is not None:
            prefixes = [Q(name__istartswith=prefix) for prefix in flt.name.startswith_]
            # An empty prefix list matches nothing, like an empty ``any_``.
            criteria.append(combine(prefixes, f.Operator.or_) if prefixes else Q(pk__in=[]))
    return criteria


@joined_criteria
def worker_filter_q(flt: f.WorkerFilter) -> list[Q]:
    """Criteria of a ``WorkerFilter`` on workers."""
    return [time_range("last_heartbeat_time", flt.last_heartbeat_time)]

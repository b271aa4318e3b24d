"""Criteria of work pools, work queues and workers."""

from __future__ import annotations

from typing import Optional

from django.db.models import Q

from api.crud.filters.common import any_of, combine, id_q, time_range
from api.schemas import filters as f


def work_pool_filter_q(flt: Optional[f.WorkPoolFilter]) -> Q:
    """Criteria of a ``WorkPoolFilter`` on work pools."""
    if flt is None:
        return Q()
    return combine([id_q(flt.id), any_of("name", flt.name), any_of("type", flt.type)], flt.operator)


def work_queue_filter_q(flt: Optional[f.WorkQueueFilter]) -> Q:
    """Criteria of a ``WorkQueueFilter`` on work queues (name prefixes are OR-ed)."""
    if flt is None:
        return Q()
    criteria = [id_q(flt.id)]
    if flt.name is not None:
        criteria.append(any_of("name", flt.name))
        if flt.name.startswith_ is not None:
            prefixes = [Q(name__istartswith=prefix) for prefix in flt.name.startswith_]
            # An empty prefix list matches nothing, like an empty ``any_``.
            criteria.append(combine(prefixes, f.Operator.or_) if prefixes else Q(pk__in=[]))
    return combine(criteria, flt.operator)


def worker_filter_q(flt: Optional[f.WorkerFilter]) -> Q:
    """Criteria of a ``WorkerFilter`` on workers."""
    if flt is None:
        return Q()
    return combine([time_range("last_heartbeat_time", flt.last_heartbeat_time)], flt.operator)

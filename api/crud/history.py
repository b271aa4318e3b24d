"""Run history: runs bucketed by expected start time into fixed intervals, counted per
state, with their run time and lateness summed (``/flow_runs/history``,
``/task_runs/history``) and the UI's per-run history points."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Optional

from django.db.models import Q
from django.utils import timezone

from api import models
from api.crud.filters import flow_runs_q, task_runs_q
from api.crud.runs import ZERO, estimated_run_time, estimated_start_time_delta
from api.schemas import filters
from api.schemas.responses import HistoryResponse, HistoryResponseState, SimpleFlowRun

MAX_INTERVALS = 500
MIN_INTERVAL = dt.timedelta(seconds=1)
_COLUMNS = ("expected_start_time", "state_type", "state_name", "state_timestamp", "start_time", "total_run_time")


def intervals(start: dt.datetime, end: dt.datetime, step: dt.timedelta) -> list[tuple[dt.datetime, dt.datetime]]:
    """``[start, start + step)``, ... while the interval starts before ``end`` (at most
    ``MAX_INTERVALS``; the last one may pass ``end``)."""
    result = []
    while start < end and len(result) < MAX_INTERVALS:
        result.append((start, start + step))
        start += step
    return result


def _history(
    model: type[models.FlowRun] | type[models.TaskRun],
    criteria: Q,
    start: dt.datetime,
    end: dt.datetime,
    step: dt.timedelta,
) -> list[HistoryResponse]:
    buckets = intervals(start, end, step)
    if not buckets:
        return []
    now = timezone.now()
    counts: dict[tuple[int, str, str], list] = defaultdict(lambda: [0, ZERO, ZERO])
    runs = (
        model.objects.filter(criteria)
        .filter(expected_start_time__gte=start, expected_start_time__lt=buckets[-1][1], state_type__isnull=False)
        .order_by()
        .values_list(*_COLUMNS, named=True)
    )
    # One streamed query of plain tuples: memory per chunk, not per table.
    for run in runs.iterator(chunk_size=2000):
        index = int((run.expected_start_time - start) / step)
        entry = counts[(index, run.state_type, run.state_name)]
        entry[0] += 1
        entry[1] += max(estimated_run_time(run, now), ZERO)
        entry[2] += max(estimated_start_time_delta(run, now), ZERO)
    per_bucket: dict[int, list[HistoryResponseState]] = defaultdict(list)
    for (index, state_type, state_name), (count, run_time, lateness) in sorted(counts.items()):
        per_bucket[index].append(
            HistoryResponseState(
                state_type=state_type,
                state_name=state_name,
                count_runs=count,
                sum_estimated_run_time=run_time,
                sum_estimated_lateness=lateness,
            )
        )
    return [
        HistoryResponse(interval_start=low, interval_end=high, states=per_bucket.get(index, []))
        for index, (low, high) in enumerate(buckets)
    ]


def flow_run_history(
    history_start: dt.datetime,
    history_end: dt.datetime,
    history_interval: dt.timedelta,
    flows: Optional[filters.FlowFilter] = None,
    flow_runs: Optional[filters.FlowRunFilter] = None,
    task_runs: Optional[filters.TaskRunFilter] = None,
    deployments: Optional[filters.DeploymentFilter] = None,
    work_pools: Optional[filters.WorkPoolFilter] = None,
    work_queues: Optional[filters.WorkQueueFilter] = None,
) -> list[HistoryResponse]:
    """History of the flow runs matching the filters."""
    criteria = flow_runs_q(flows, flow_runs, task_runs, deployments, work_pools, work_queues)
    return _history(models.FlowRun, criteria, history_start, history_end, history_interval)


def task_run_history(
    history_start: dt.datetime,
    history_end: dt.datetime,
    history_interval: dt.timedelta,
    flows: Optional[filters.FlowFilter] = None,
    flow_runs: Optional[filters.FlowRunFilter] = None,
    task_runs: Optional[filters.TaskRunFilter] = None,
    deployments: Optional[filters.DeploymentFilter] = None,
) -> list[HistoryResponse]:
    """History of the task runs matching the filters."""
    criteria = task_runs_q(flows, flow_runs, task_runs, deployments)
    return _history(models.TaskRun, criteria, history_start, history_end, history_interval)


def simple_flow_runs(runs: list[models.FlowRun]) -> list[SimpleFlowRun]:
    """The UI's history points of these runs: when each started (or should have), how
    long it ran and how late it was."""
    now = timezone.now()
    return [
        SimpleFlowRun(
            id=run.id,
            state_type=run.state_type,
            timestamp=run.start_time or run.expected_start_time,
            duration=estimated_run_time(run, now),
            lateness=estimated_start_time_delta(run, now),
        )
        for run in runs
    ]

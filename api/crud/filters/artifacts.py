"""Criteria of artifacts."""

from __future__ import annotations

from typing import Optional

from django.db.models import Q

from api import models
from api.crud.filters.common import any_of, combine, id_q, joined_criteria, like, related
from api.crud.filters.runs import flow_run_filter_q, task_run_filter_q
from api.schemas import filters as f


@joined_criteria
def artifact_filter_q(flt: f.ArtifactFilter) -> list[Q]:
    """Criteria of an ``ArtifactFilter`` on artifacts."""
    criteria = [
        id_q(flt.id),
        any_of("key", flt.key),
        like("key", flt.key.like_ if flt.key else None),
        any_of("flow_run_id", flt.flow_run_id),
        any_of("task_run_id", flt.task_run_id),
    ]
    return criteria


def artifacts_q(
    artifacts: Optional[f.ArtifactFilter] = None,
    flow_runs: Optional[f.FlowRunFilter] = None,
    task_runs: Optional[f.TaskRunFilter] = None,
) -> Q:
    """Artifacts matching ``artifacts`` whose flow run and task run match the others."""
    criteria = [
        artifact_filter_q(artifacts),
        related(models.FlowRun, flow_run_filter_q, flow_runs, pk="flow_run_id"),
        related(models.TaskRun, task_run_filter_q, task_runs, pk="task_run_id"),
    ]
    return combine(criteria)

"""Filter objects as SQL: tag containment on both databases, operators, and the
cross-object EXISTS semantics."""

from __future__ import annotations

import uuid

import pytest

from api import models
from api.crud import filters as q
from api.schemas import filters as f
from tests.fixtures.rows import (
    new_deployment,
    new_flow,
    new_flow_run,
    new_task_run,
    new_work_pool,
    new_work_queue,
    set_columns,
    state,
)

pytestmark = pytest.mark.django_db


def _flow_names(criteria) -> list[str]:
    return sorted(models.Flow.objects.filter(criteria).values_list("name", flat=True))


def _run_names(criteria) -> list[str]:
    return sorted(models.FlowRun.objects.filter(criteria).values_list("name", flat=True))


def test_tags_all_matches_rows_holding_every_tag():
    new_flow("both", tags=["a", "b", 'quote"d'])
    new_flow("one", tags=["a"])
    new_flow("none")
    new_flow("lookalike", tags=["ab", "a b"])

    def tagged(*tags):
        return _flow_names(q.flow_filter_q(f.FlowFilter(tags=f.Tags(all_=list(tags)))))

    assert tagged("a") == ["both", "one"]
    assert tagged("a", "b") == ["both"]
    assert tagged("a", "a") == ["both", "one"]
    assert tagged('quote"d') == ["both"]
    assert tagged("b", "missing") == []
    assert tagged() == ["both", "lookalike", "none", "one"]
    assert tagged("a b") == ["lookalike"]


def test_tags_all_text_prefilter_is_not_the_answer():
    # A tag's JSON text inside another tag passes SQLite's substring prefilter; the
    # element test still rules it out. Escaped and non-ASCII tags are found.
    new_flow("inner", tags=['x"a"'])
    new_flow("plain", tags=["a"])
    new_flow("accented", tags=["café", "naïve/τ"])

    def tagged(*tags):
        return _flow_names(q.flow_filter_q(f.FlowFilter(tags=f.Tags(all_=list(tags)))))

    assert tagged("a") == ["plain"]
    assert tagged('x"a"') == ["inner"]
    assert tagged("café", "naïve/τ") == ["accented"]
    assert tagged("cafe") == []


def test_tags_is_null_means_empty_list():
    new_flow("tagged", tags=["t"])
    new_flow("untagged")
    assert _flow_names(q.flow_filter_q(f.FlowFilter(tags=f.Tags(is_null_=True)))) == ["untagged"]
    assert _flow_names(q.flow_filter_q(f.FlowFilter(tags=f.Tags(is_null_=False)))) == ["tagged"]
    either = f.Tags(operator=f.Operator.or_, is_null_=True, all_=["t"])
    assert _flow_names(q.flow_filter_q(f.FlowFilter(tags=either))) == ["tagged", "untagged"]


def test_tags_all_inside_exists_subqueries():
    # The containment test must address the subquery's own alias, not the outer table.
    team = new_flow("team", tags=["shared"])
    new_flow_run(team, name="tagged-run", tags=["prod", "eu"])
    solo = new_flow("solo", tags=["prod", "eu"])
    new_flow_run(solo, name="plain-run")

    by_runs = q.flows_q(q.RunFilterSet(flow_runs=f.FlowRunFilter(tags=f.Tags(all_=["prod", "eu"]))))
    assert _flow_names(by_runs) == ["team"]
    by_flow = q.flow_runs_q(q.RunFilterSet(flows=f.FlowFilter(tags=f.Tags(all_=["prod"]))))
    assert _run_names(by_flow) == ["plain-run"]
    both = q.flow_runs_q(q.RunFilterSet(flows=f.FlowFilter(tags=f.Tags(all_=["shared"])), flow_runs=f.FlowRunFilter(tags=f.Tags(all_=["eu"]))))
    assert _run_names(both) == ["tagged-run"]


def test_operator_or_ignores_absent_criteria_and_empty_lists_match_nothing():
    new_flow("x")
    new_flow("y")
    only_name = f.FlowFilter(operator=f.Operator.or_, name=f.NameAnyLike(any_=["x"]), tags=f.Tags())
    assert _flow_names(q.flow_filter_q(only_name)) == ["x"]
    assert _flow_names(q.flow_filter_q(f.FlowFilter(id=f.IdAny(any_=[])))) == []
    assert _flow_names(q.flow_filter_q(f.FlowFilter())) == ["x", "y"]
    assert _flow_names(q.flow_filter_q(None)) == ["x", "y"]


def test_flow_filter_by_runs_and_task_runs_uses_one_run():
    # The run must match the run filter AND own the matching task run.
    flow = new_flow("split")
    tagged = new_flow_run(flow, name="tagged", tags=["prod"])
    other = new_flow_run(flow, name="other")
    new_task_run(other, initial=state("FAILED"))
    new_task_run(tagged, initial=state("COMPLETED"))
    runs = f.FlowRunFilter(tags=f.Tags(all_=["prod"]))
    failed = f.TaskRunFilter(state=f.RunState(type=f.StateTypeAny(any_=["FAILED"])))
    completed = f.TaskRunFilter(state=f.RunState(type=f.StateTypeAny(any_=["COMPLETED"])))
    assert _flow_names(q.flows_q(q.RunFilterSet(flow_runs=runs, task_runs=failed))) == []
    assert _flow_names(q.flows_q(q.RunFilterSet(flow_runs=runs, task_runs=completed))) == ["split"]
    assert _flow_names(q.flows_q(q.RunFilterSet(task_runs=failed))) == ["split"]


def test_deployments_filter_runs_and_pools():
    flow = new_flow("deployed")
    new_work_pool("docker-pool", pool_type="docker")
    deployment = new_deployment(flow, "prod", tags=["x"], work_pool_name="docker-pool", work_queue_name="default")
    new_deployment(flow, "idle", is_schedule_active=False)
    run = new_flow_run(flow, name="deployed-run", initial=state("COMPLETED"))
    set_columns(run, deployment_id=deployment.id)

    def deployment_names(criteria):
        return sorted(models.Deployment.objects.filter(criteria).values_list("name", flat=True))

    completed = f.FlowRunFilter(state=f.RunState(type=f.StateTypeAny(any_=["COMPLETED"])))
    assert deployment_names(q.deployments_q(q.RunFilterSet(flow_runs=completed))) == ["prod"]
    assert deployment_names(q.deployments_q(q.RunFilterSet(work_pools=f.WorkPoolFilter(type=f.StrAny(any_=["docker"]))))) == ["prod"]
    assert deployment_names(q.deployments_q(q.RunFilterSet(work_queues=f.WorkQueueFilter(name=f.NameAnyStartswith(startswith_=["DEF"]))))) == ["prod"]
    inactive = f.DeploymentFilter(is_schedule_active=f.BoolEq(eq_=False))
    assert deployment_names(q.deployments_q(q.RunFilterSet(deployments=inactive))) == ["idle"]
    assert deployment_names(q.deployments_q(q.RunFilterSet(flows=f.FlowFilter(name=f.NameAnyLike(like_="deploy"))))) == ["idle", "prod"]
    assert deployment_names(q.deployments_q(q.RunFilterSet(deployments=f.DeploymentFilter(tags=f.Tags(all_=["x"]))))) == ["prod"]


def test_work_queue_name_prefixes_are_or_ed_and_empty_prefixes_match_nothing():
    new_work_queue("pool", "alpha")
    new_work_queue("pool", "beta")
    new_work_queue("pool", "gamma")

    def queue_names(flt):
        return sorted(models.WorkQueue.objects.filter(q.work_queue_filter_q(flt)).values_list("name", flat=True))

    assert queue_names(f.WorkQueueFilter(name=f.NameAnyStartswith(startswith_=["AL", "be"]))) == ["alpha", "beta"]
    assert queue_names(f.WorkQueueFilter(name=f.NameAnyStartswith(startswith_=[]))) == []
    assert queue_names(f.WorkQueueFilter(id=f.IdAny(any_=[uuid.uuid4()]))) == []



def test_run_filters_of_a_body_takes_what_it_has_and_reads_work_pool_queues_as_work_queues():
    class Body:
        flows = f.FlowFilter(name=f.NameAnyLike(any_=["x"]))
        work_pool_queues = f.WorkQueueFilter(name=f.NameAnyStartswith(startswith_=["q"]))

    filters = q.RunFilterSet.of(Body())
    assert filters == q.RunFilterSet(flows=Body.flows, work_queues=Body.work_pool_queues)
    assert q.RunFilterSet.of(object()) == q.NO_FILTERS

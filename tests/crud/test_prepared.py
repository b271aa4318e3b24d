"""``api.crud.prepared``: a prepared read gives what its queryset gives, related rows
included, with each argument in its own slot; a prepared insert writes what ``save()``
writes, a prepared update what ``save(update_fields=...)`` writes; ``save_changed()``
updates only the columns that changed, through either."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, connection, connections
from django.test.utils import CaptureQueriesContext

from api import models
from api.crud.prepared import PreparedInsert, PreparedQuery, PreparedUpdate, db_parameter
from tests.fixtures.rows import new_flow, new_flow_run, new_task_run, state

pytestmark = pytest.mark.django_db

_BY_ID = PreparedQuery(lambda run_id: models.TaskRun.objects.select_related("state", "flow_run").filter(pk=run_id)[:1], uuid.UUID)
_BY_KEY = PreparedQuery(
    lambda flow_run_id, task_key, dynamic_key: models.TaskRun.objects.filter(
        flow_run_id=flow_run_id, task_key=task_key, dynamic_key=dynamic_key
    ).order_by("id"),
    uuid.UUID,
    str,
    str,
)
_IDS = PreparedQuery(lambda flow_id: models.FlowRun.objects.filter(flow_id=flow_id).values_list("id").order_by("id"), uuid.UUID)


def test_a_prepared_read_matches_its_queryset_with_related_rows_loaded():
    run = new_flow_run(initial=state("RUNNING"))
    task = new_task_run(run, state("COMPLETED"), task_key="k", dynamic_key="1")
    expected = models.TaskRun.objects.select_related("state", "flow_run").get(pk=task.pk)
    with CaptureQueriesContext(connection) as queries:
        found = _BY_ID.first(task.id)
        for name in ("state", "flow_run"):
            getattr(found, name)
    assert len(queries) == 1, "related rows come with the row"
    assert (found.pk, found.state.type, found.flow_run.id, found.state.timestamp) == (
        expected.pk, "COMPLETED", run.id, expected.state.timestamp,
    )
    assert found.task_inputs == expected.task_inputs and found.created == expected.created
    assert _BY_ID.first(uuid.uuid4()) is None
    other = new_task_run(new_flow_run(), state("FAILED"))
    again = _BY_ID.first(other.id)  # the related rows of another call are its own
    assert (again.state.type, again.flow_run.id) == ("FAILED", other.flow_run_id)
    assert (found.state.type, found.flow_run.id) == ("COMPLETED", run.id)


def test_each_argument_has_its_own_slot_even_of_the_same_type():
    run = new_flow_run()
    a = new_task_run(run, task_key="k", dynamic_key="0")
    b = new_task_run(run, task_key="0", dynamic_key="k")
    assert [r.id for r in _BY_KEY.all(run.id, "k", "0")] == [a.id]
    assert [r.id for r in _BY_KEY.all(run.id, "0", "k")] == [b.id]
    assert _BY_KEY.all(run.id, "k", "k") == []


def test_a_values_list_shape_gives_tuples():
    flow = new_flow()
    runs = sorted([new_flow_run(flow=flow).id, new_flow_run(flow=flow).id])
    assert _IDS.all(flow.id) == [(runs[0],), (runs[1],)]


def test_a_shape_that_depends_on_its_arguments_is_refused():
    varying = PreparedQuery(lambda name: models.Flow.objects.filter(name=name) if name.endswith("1") else models.Flow.objects.all(), str)
    with pytest.raises(ValueError):
        varying.all("x")
    with pytest.raises(TypeError):
        PreparedQuery(lambda when: models.Flow.objects.all(), float)


def test_a_prepared_insert_writes_defaults_and_reads_back_an_auto_key():
    event = PreparedInsert(models.AuditEvent).insert(models.AuditEvent(method="POST", path="/api/x", status=201, outcome="committed"))
    stored = models.AuditEvent.objects.get(pk=event.pk)
    assert (stored.path, stored.status, stored.at) == ("/api/x", 201, event.at)
    flow = new_flow()
    artifact = PreparedInsert(models.Artifact).insert(models.Artifact(data={"a": [1]}, key="k"))
    assert models.Artifact.objects.get(pk=artifact.pk).data == {"a": [1]} and flow.pk


def test_save_changed_updates_only_what_changed():
    run = models.FlowRun.objects.get(pk=new_flow_run().pk)
    run.run_count = 7
    run.empirical_policy["retries"] = 2
    with CaptureQueriesContext(connection) as queries:
        run.save_changed()
    (update,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert '"run_count"' in update and '"empirical_policy"' in update and '"updated"' in update
    assert '"name"' not in update and '"state_type"' not in update
    again = models.FlowRun.objects.get(pk=run.pk)
    assert (again.run_count, again.empirical_policy["retries"]) == (7, 2)
    again.save_changed()  # nothing but "updated" changed: still a valid UPDATE
    assert models.FlowRun.objects.get(pk=run.pk).updated >= run.updated


def test_a_prepared_update_writes_what_save_with_update_fields_writes():
    update = PreparedUpdate(models.FlowRun)
    run = models.FlowRun.objects.get(pk=new_flow_run().pk)
    name = run.name
    run.run_count, run.tags, run.name = 3, ["a", "b"], "not written"
    with CaptureQueriesContext(connection) as queries:
        update.update(run, ["run_count", "tags"])
        update.update(run, ["run_count", "tags"])  # the second one reuses the statement
    assert len(queries) == 2
    stored = models.FlowRun.objects.get(pk=run.pk)
    assert (stored.run_count, stored.tags, stored.name) == (3, ["a", "b"], name)
    gone = models.FlowRun(id=uuid.uuid4(), flow_id=run.flow_id, name="gone")
    with pytest.raises(DatabaseError):
        update.update(gone, ["name"])
    with pytest.raises(ValueError):
        update.update(run, ["no_such_column"])


def test_save_changed_through_a_prepared_update_bumps_updated_and_remembers():
    run = models.FlowRun.objects.get(pk=new_flow_run().pk)
    before = run.updated
    run.run_count = 5
    with CaptureQueriesContext(connection) as queries:
        run.save_changed(PreparedUpdate(models.FlowRun).update)
    (update,) = [q["sql"] for q in queries.captured_queries]
    assert '"run_count"' in update and '"updated"' in update and '"name"' not in update
    stored = models.FlowRun.objects.get(pk=run.pk)
    assert (stored.run_count, stored.updated) == (5, run.updated) and run.updated >= before
    with CaptureQueriesContext(connection) as queries:
        run.save_changed(PreparedUpdate(models.FlowRun).update)
    (update,) = [q["sql"] for q in queries.captured_queries]
    assert '"run_count"' not in update, "what was written counts as saved"


_SAMPLES = (
    None,
    "",
    "text",
    0,
    7,
    True,
    False,
    1.5,
    uuid.UUID(int=0x1234),
    "0000000000000000000000000000abcd",
    dt.datetime(2026, 12, 3, 9, 30, 1, 250, tzinfo=dt.timezone.utc),
    dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    dt.datetime(2026, 12, 3, 9, 30, 5, tzinfo=ZoneInfo("Europe/Paris")),
    dt.timedelta(seconds=3, microseconds=7),
    {"a": [1, 2.5, None], "b": {"c": "é"}},
    [],
    ["x", 1],
)


@pytest.mark.parametrize("model", [models.FlowRun, models.TaskRun, models.FlowRunState, models.TaskRunState,
                                   models.Artifact, models.AuditEvent, models.Log])
def test_db_parameter_is_get_db_prep_save(model):
    """The one-step conversions give what the field's own path gives, for every column of
    the prepared models and any value of the types they take (others fall back)."""
    wrapper = connections["default"]  # what the prepared statements get, not the proxy
    for field in model._meta.local_concrete_fields:
        parameter = db_parameter(field, wrapper)
        for value in _SAMPLES:
            try:
                expected = field.get_db_prep_save(value, wrapper)
            except Exception as error:  # noqa: BLE001 - the fast path must fail alike
                with pytest.raises(type(error)):
                    parameter(value)
                continue
            got = parameter(value)
            assert type(got) is type(expected) and _comparable(got) == _comparable(expected), (field.name, value)


def _comparable(value):
    """psycopg's wrappers (Int4, Jsonb) compare by what they wrap."""
    return getattr(value, "obj", value)


def test_a_prepared_read_converts_every_column_as_the_queryset_does():
    run = new_flow_run(initial=state("RUNNING"))
    task = new_task_run(run, state("COMPLETED"), task_key="k", dynamic_key="2")
    expected = models.TaskRun.objects.select_related("state", "flow_run").get(pk=task.pk)
    found = _BY_ID.first(task.id)
    for got, want in ((found, expected), (found.state, expected.state), (found.flow_run, expected.flow_run)):
        for field in type(want)._meta.concrete_fields:
            a, b = getattr(got, field.attname), getattr(want, field.attname)
            assert type(a) is type(b) and a == b, field.attname
            if isinstance(b, dt.datetime):
                assert a.tzinfo == b.tzinfo, field.attname

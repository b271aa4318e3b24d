"""Every index earns its writes: no plain index of an API table is the leading part of
another index or unique constraint of the same table (that one serves the same lookups),
and the ids rows get are time-ordered, so inserts reach the right-hand edge of each index."""

from __future__ import annotations

import uuid

import pytest
from django.apps import apps
from django.db import connection

from api import models
from tests.fixtures.http import post
from tests.fixtures.rows import new_flow, new_flow_run

pytestmark = pytest.mark.django_db


def _partial_indexes() -> set[str]:
    """Indexes with a condition: they serve only the rows it picks, so they stand in for no other."""
    return {
        index.name
        for model in apps.get_app_config("api").get_models()
        for index in model._meta.indexes
        if index.condition is not None
    }


def _redundant_indexes(table: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    partial = _partial_indexes()
    # Expression indexes list None for their expressions: they never lead with a column.
    keyed = {name: c["columns"] for name, c in constraints.items() if (c["index"] or c["unique"]) and c["columns"]}
    redundant = []
    for name, columns in keyed.items():
        info = constraints[name]
        if info["unique"] or info["primary_key"] or None in columns:
            continue
        for other, other_columns in keyed.items():
            if other in partial:
                continue
            if other != name and len(other_columns) > len(columns) and other_columns[: len(columns)] == columns:
                redundant.append((name, other))
                break
    return redundant


def test_no_plain_index_is_the_prefix_of_another():
    tables = {model._meta.db_table for model in apps.get_app_config("api").get_models()}
    found = {table: _redundant_indexes(table) for table in sorted(tables)}
    assert {table: pairs for table, pairs in found.items() if pairs} == {}


def test_lookups_by_a_dropped_index_column_still_use_an_index():
    run = new_flow_run(new_flow())
    sql = f"SELECT id FROM task_run WHERE flow_run_id = '{run.id.hex if connection.vendor == 'sqlite' else run.id}'"
    explain = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(explain + sql)
        plan = " ".join(str(cell) for row in cursor.fetchall() for cell in row)
    assert "uq_task_run__flow_run_id_task_key_dynamic_key" in plan or "ix_task_run__flow_run_state_ts" in plan


def test_row_ids_are_time_ordered_uuids(client):
    flow = post(client, "/flows/", {"name": "ids"}).json()
    runs = [post(client, "/flow_runs/", {"flow_id": flow["id"], "state": {"type": "SCHEDULED"}}).json() for _ in range(20)]
    ids = [uuid.UUID(run["id"]) for run in runs]
    assert {value.version for value in ids} == {7}
    assert ids == sorted(ids)
    # Server-made ids of other rows too: states and log lines.
    post(
        client,
        "/logs/",
        [
            {"name": "x", "level": 20, "message": str(n), "timestamp": "2026-12-01T00:00:00Z", "flow_run_id": runs[0]["id"]}
            for n in range(5)
        ],
    )
    logs = list(models.Log.objects.filter(flow_run_id=runs[0]["id"]).order_by("message").values_list("id", flat=True))
    assert len(logs) == 5 and {value.version for value in logs} == {7} and logs == sorted(logs)
    assert models.FlowRunState.objects.get(flow_run_id=runs[0]["id"]).id.version == 7

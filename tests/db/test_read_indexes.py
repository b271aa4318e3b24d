"""The read indexes of migrations 0070 and 0080 exist on their database, and the reads
they are for use them (the timings are bench/reads_scale.py's)."""

from __future__ import annotations

import pytest
from django.db import connection

from django.test.utils import CaptureQueriesContext

from api.crud import flow_runs
from api.crud.filters import RunFilterSet
from api.schemas import filters as f
from api.schemas.sorting import FlowRunSort
from tests.fixtures.rows import new_flow, new_flow_run

pytestmark = pytest.mark.django_db

SQLITE_ONLY = {"ix_flow_run__start_name", "ix_flow_run__tags", "ix_flow_run__subflows"}
POSTGRES_ONLY = {"ix_flow_run__name_trgm", "ix_flow_run__tags_gin"}


def _flow_run_indexes() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, "flow_run"))


def _plan(sql: str) -> str:
    """The database's plan of ``sql``, a captured statement with its values inlined
    (no parameters: ``%`` in a LIKE value is not a placeholder)."""
    explain = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(explain + sql)
        return "\n".join(" ".join(str(cell) for cell in row) for row in cursor.fetchall())




def test_each_database_has_its_search_indexes():
    indexes = _flow_run_indexes()
    assert {"ix_flow_run__type_start", "ix_flow_run__type_end"} <= indexes
    if connection.vendor == "sqlite":
        assert SQLITE_ONLY <= indexes and not POSTGRES_ONLY & indexes
    else:
        assert POSTGRES_ONLY <= indexes and not SQLITE_ONLY & indexes


def test_name_search_and_tag_count_read_their_indexes():
    flow = new_flow()
    for index in range(30):
        new_flow_run(flow, name=f"run-{index}", tags=[f"t-{index % 3}"])
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        if postgres:
            # Thirty rows fit one page, where a scan is always cheapest: ask for the plan
            # a large table gets.
            cursor.execute("SET LOCAL enable_seqscan = off")
    name = RunFilterSet(flow_runs=f.FlowRunFilter(name=f.NameAnyLike(like_="run-1")))
    with CaptureQueriesContext(connection) as queries:
        assert flow_runs.count_flow_runs(name) == 11
        flow_runs.read_flow_runs(name, FlowRunSort.START_TIME_DESC, 50)
    if not postgres:
        # (PostgreSQL's trigram index wins only over many pages; bench/reads_scale.py
        # --explain shows it there.)
        assert "ix_flow_run__start_name" in _plan(queries.captured_queries[-1]["sql"])
    tags = RunFilterSet(flow_runs=f.FlowRunFilter(tags=f.Tags(all_=["t-1"])))
    with CaptureQueriesContext(connection) as queries:
        assert flow_runs.count_flow_runs(tags) == 10
    plan = _plan(queries.captured_queries[-1]["sql"])
    assert ("ix_flow_run__tags_gin" if postgres else "COVERING INDEX ix_flow_run__tags") in plan

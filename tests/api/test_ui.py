"""``/ui/flow_runs/history``: one point per flow run for the UI's run-history chart."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.fixtures.http import count_queries, post
from tests.fixtures.rows import new_flow, new_flow_run, set_columns, state

pytestmark = pytest.mark.django_db


def test_history_points_show_start_duration_and_lateness(client):
    now = timezone.now()
    started = new_flow_run(new_flow("etl"), initial=state("COMPLETED"))
    set_columns(
        started,
        expected_start_time=now - dt.timedelta(minutes=10),
        start_time=now - dt.timedelta(minutes=9),
        total_run_time=dt.timedelta(seconds=42),
    )
    waiting = new_flow_run(new_flow("other"), initial=state("SCHEDULED", state_details={"scheduled_time": (now + dt.timedelta(hours=1)).isoformat()}))

    points = post(client, "/ui/flow_runs/history").json()
    assert [point["id"] for point in points] == [str(waiting.id), str(started.id)]
    point = points[1]
    assert set(point) == {"id", "state_type", "timestamp", "duration", "lateness"}
    assert point["state_type"] == "COMPLETED"
    assert point["timestamp"] == (now - dt.timedelta(minutes=9)).isoformat(timespec="microseconds")
    assert point["duration"] == 42.0 and point["lateness"] == 60.0
    assert points[0]["timestamp"] == (now + dt.timedelta(hours=1)).isoformat(timespec="microseconds")
    assert points[0]["lateness"] == 0.0


def test_history_filters_sorts_and_its_own_limit(client):
    runs = [new_flow_run(new_flow(name)) for name in ("a", "b", "c")]
    only_b = post(client, "/ui/flow_runs/history", {"flows": {"name": {"any_": ["b"]}}}).json()
    assert [point["id"] for point in only_b] == [str(runs[1].id)]
    ascending = post(client, "/ui/flow_runs/history", {"sort": "EXPECTED_START_TIME_ASC", "limit": 2, "offset": 1}).json()
    assert [point["id"] for point in ascending] == [str(runs[1].id), str(runs[2].id)]
    assert len(post(client, "/ui/flow_runs/history", {"limit": 1000}).json()) == 3
    too_many = post(client, "/ui/flow_runs/history", {"limit": 1001})
    assert too_many.status_code == 422
    assert too_many.json()["exception_detail"][0]["loc"] == ["body", "limit"]
    assert post(client, "/ui/flow_runs/history", {"limit": None}).status_code == 200


def test_history_runs_one_query_whatever_the_number_of_points(client, django_assert_num_queries):
    new_flow_run(new_flow("first"))
    one, response = count_queries(client, "POST", "/ui/flow_runs/history", {})
    assert response.status_code == 200 and len(response.json()) == 1
    for name in ("second", "third", "fourth"):
        new_flow_run(new_flow(name), initial=state("RUNNING"))
    with django_assert_num_queries(one):
        assert len(post(client, "/ui/flow_runs/history").json()) == 4

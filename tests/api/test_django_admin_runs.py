"""The Django admin pages of flows, runs, logs and concurrency limits: read-mostly
inspection with the state history inline."""

from __future__ import annotations

import pytest

from tests.fixtures.http import post
from tests.fixtures.rows import new_flow, new_flow_run, new_task_run, state

pytestmark = pytest.mark.django_db


def test_run_pages_show_state_history_and_are_read_only(admin_client):
    run = new_flow_run(new_flow("admin-flow"), name="admin-run")
    post(admin_client, f"/flow_runs/{run.id}/set_state", {"state": {"type": "RUNNING", "message": "going"}})
    task = new_task_run(run, name="admin-task", initial=state("COMPLETED", message="done"))

    page = admin_client.get(f"/admin/api/flowrun/{run.id}/change/").content.decode()
    assert "Pending" in page and "going" in page
    assert page.index("Pending") < page.index("going")
    assert 'name="_save"' not in page
    assert "done" in admin_client.get(f"/admin/api/taskrun/{task.id}/change/").content.decode()

    listing = admin_client.get("/admin/api/flowrun/", {"state_type__exact": "RUNNING"}).content.decode()
    assert "admin-run" in listing
    assert "admin-run" not in admin_client.get("/admin/api/flowrun/", {"state_type__exact": "FAILED"}).content.decode()
    assert "admin-task" in admin_client.get("/admin/api/taskrun/", {"q": "admin-task"}).content.decode()
    assert admin_client.get("/admin/api/flowrun/add/").status_code == 403
    assert admin_client.get(f"/admin/api/flowrun/{run.id}/delete/").status_code == 403


def test_log_and_concurrency_limit_pages(admin_client):
    run = new_flow_run()
    line = {"name": "admin.logger", "level": 40, "message": "something broke", "timestamp": "2024-01-01T00:00:00Z", "flow_run_id": str(run.id)}
    post(admin_client, "/logs/", [line])
    assert "something broke" in admin_client.get("/admin/api/log/", {"level__exact": 40}).content.decode()
    assert "something broke" not in admin_client.get("/admin/api/log/", {"level__exact": 20}).content.decode()

    limit = post(admin_client, "/concurrency_limits/", {"tag": "db", "concurrency_limit": 3}).json()
    assert "db" in admin_client.get("/admin/api/concurrencylimit/", {"q": "db"}).content.decode()
    change = admin_client.post(
        f"/admin/api/concurrencylimit/{limit['id']}/change/", {"tag": "db", "concurrency_limit": 7}
    )
    assert change.status_code == 302
    assert admin_client.get("/api/concurrency_limits/tag/db").json()["concurrency_limit"] == 7

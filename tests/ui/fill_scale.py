"""Fill a server's database with a scale load, fast (bulk inserts); used by
tests/ui/test_scale.py (modest sizes) and bench/ui_scale.py (large ones).

    python -m tests.ui.fill_scale <flow_run_id> <task_runs> <flow_runs>

Run with the server's own database settings in the environment. Adds ``task_runs``
finished task runs to the (API-made) flow run ``flow_run_id``, spread over its first
hour, and ``flow_runs`` runs of a flow named ``many``, 25 s apart going back from now, in
assorted states. Bulk inserts stand in for days of real traffic; logs go through the
API by the callers.
"""

from __future__ import annotations

import os
import sys
import uuid
from datetime import datetime, timedelta, timezone

STATES = [("COMPLETED", "Completed"), ("FAILED", "Failed"), ("RUNNING", "Running"), ("SCHEDULED", "Scheduled"), ("CRASHED", "Crashed")]


def main(flow_run_id: str, task_runs: int, flow_runs: int) -> None:
    """Insert the rows (see the module docstring)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orion_project.settings")
    import django

    django.setup()
    from api import models

    run = models.FlowRun.objects.get(id=flow_run_id)
    start = run.start_time or datetime.now(timezone.utc)
    tasks = []
    for index in range(task_runs):
        began = start + timedelta(seconds=index * 0.7)
        state_type, state_name = STATES[0] if index % 97 else STATES[1]
        tasks.append(models.TaskRun(
            flow_run=run, name=f"task-{index:05d}", task_key=f"task-{index}", dynamic_key="0",
            state_type=state_type, state_name=state_name, state_timestamp=began + timedelta(seconds=2),
            run_count=1, expected_start_time=began, start_time=began, end_time=began + timedelta(seconds=2),
            total_run_time=timedelta(seconds=2),
        ))
    models.TaskRun.objects.bulk_create(tasks, batch_size=1000)

    flow, _ = models.Flow.objects.get_or_create(name="many")
    now = datetime.now(timezone.utc)
    batch = []
    for index in range(flow_runs):
        expected = now - timedelta(seconds=index * 25)  # 100,000 runs over 29 days: a 30-day window holds them for a while
        state_type, state_name = STATES[index % len(STATES)]
        started = None if state_type == "SCHEDULED" else expected
        batch.append(models.FlowRun(
            id=uuid.uuid4(), flow=flow, name=f"many-{index:06d}", state_type=state_type, state_name=state_name,
            state_timestamp=expected, run_count=0 if started is None else 1, expected_start_time=expected,
            start_time=started, end_time=None if state_type in ("SCHEDULED", "RUNNING") else expected + timedelta(seconds=30),
            total_run_time=timedelta(seconds=30 if started else 0),
        ))
        if len(batch) == 5000:
            models.FlowRun.objects.bulk_create(batch)
            batch = []
    models.FlowRun.objects.bulk_create(batch)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))

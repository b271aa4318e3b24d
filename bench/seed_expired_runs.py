"""Seed finished flow runs that ended long ago, for measuring a retention purge under load.

    PREFECT_API_DATABASE_CONNECTION_URL=... .venv/bin/python bench/seed_expired_runs.py --runs 50000

Each run: COMPLETED, ended ``--days-ago`` days ago (default 100), two flow-run states,
``--tasks`` task runs with two states each and ``--logs`` log lines per task run. Rows are
written straight through the ORM in large transactions (a benchmark fixture, not API
traffic); run ``manage.py migrate`` first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orion_project.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from api import models  # noqa: E402
from api.utilities.ids import new_id  # noqa: E402

CHUNK = 2000


def seed(runs: int, tasks: int, logs: int, days_ago: float) -> None:
    """Insert ``runs`` expired runs in chunks of ``CHUNK``."""
    flow, _ = models.Flow.objects.get_or_create(name="bench-expired")
    end = timezone.now() - dt.timedelta(days=days_ago)
    start = end - dt.timedelta(minutes=1)
    for offset in range(0, runs, CHUNK):
        count = min(CHUNK, runs - offset)
        flow_runs, flow_states, task_runs, task_states, log_rows = [], [], [], [], []
        for _ in range(count):
            run_id, final_id = new_id(), new_id()
            flow_runs.append(
                models.FlowRun(
                    id=run_id, flow=flow, name=f"expired-{run_id.hex[:8]}", state_id=final_id,
                    state_type="COMPLETED", state_name="Completed", state_timestamp=end,
                    start_time=start, end_time=end, created=start, updated=end,
                )
            )
            flow_states.append(models.FlowRunState(flow_run_id=run_id, type="RUNNING", name="Running", timestamp=start))
            flow_states.append(models.FlowRunState(id=final_id, flow_run_id=run_id, type="COMPLETED", name="Completed", timestamp=end))
            for index in range(tasks):
                task_id, task_final = new_id(), new_id()
                task_runs.append(
                    models.TaskRun(
                        id=task_id, flow_run_id=run_id, name=f"t-{index}", task_key="t", dynamic_key=str(index),
                        state_id=task_final, state_type="COMPLETED", state_name="Completed", state_timestamp=end,
                        start_time=start, end_time=end,
                    )
                )
                task_states.append(models.TaskRunState(task_run_id=task_id, type="RUNNING", name="Running", timestamp=start))
                task_states.append(
                    models.TaskRunState(id=task_final, task_run_id=task_id, type="COMPLETED", name="Completed", timestamp=end)
                )
                log_rows.extend(
                    models.Log(name="bench", level=20, message="x" * 60, timestamp=start, flow_run_id=run_id, task_run_id=task_id)
                    for _ in range(logs)
                )
        with transaction.atomic():
            models.FlowRun.objects.bulk_create(flow_runs, batch_size=500)
            models.FlowRunState.objects.bulk_create(flow_states, batch_size=500)
            models.TaskRun.objects.bulk_create(task_runs, batch_size=500)
            models.TaskRunState.objects.bulk_create(task_states, batch_size=500)
            models.Log.objects.bulk_create(log_rows, batch_size=500)
        print(f"{offset + count} runs seeded", file=sys.stderr)


def main() -> None:
    """Parse the options and seed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50000)
    parser.add_argument("--tasks", type=int, default=2)
    parser.add_argument("--logs", type=int, default=5)
    parser.add_argument("--days-ago", type=float, default=100.0)
    options = parser.parse_args()
    started = time.monotonic()
    seed(options.runs, options.tasks, options.logs, options.days_ago)
    print(f"seeded {options.runs} runs in {time.monotonic() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()

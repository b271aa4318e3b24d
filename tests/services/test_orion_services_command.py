"""``manage.py orion_services``: lists the services, runs the enabled ones against the
database until SIGTERM, then stops cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

from tests.fixtures.processes import REPO_ROOT, run_django_script, run_manage

_SEED_LATE_RUN = textwrap.dedent(
    """
    import datetime as dt
    from django.utils import timezone
    from api.crud import flow_runs, flows
    from api.schemas.actions import FlowCreate, FlowRunCreate
    from api.schemas.states import StateCreate
    flow, _ = flows.create_flow(FlowCreate(name="cmd-flow"))
    due = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    run, _ = flow_runs.create_flow_run(FlowRunCreate(flow_id=flow.id, state=StateCreate.model_validate(
        {"type": "SCHEDULED", "state_details": {"scheduled_time": due}})))
    print(run.id)
    """
)

_STATE_NAME = textwrap.dedent(
    """
    from api.models import FlowRun
    print(FlowRun.objects.get(id=RUN_ID).state_name)
    """
)

SERVICE_FLAGS = {
    "PREFECT_API_SERVICES_SCHEDULER_ENABLED": "false",
    "PREFECT_API_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",
    "PREFECT_API_SERVICES_CANCELLATION_CLEANUP_ENABLED": "false",
    "PREFECT_API_SERVICES_FLOW_RUN_NOTIFICATIONS_ENABLED": "false",
    "PREFECT_API_SERVICES_CRASHED_RUNS_ENABLED": "false",
    "PREFECT_API_SERVICES_RETENTION_ENABLED": "false",
    "PREFECT_API_SERVICES_LATE_RUNS_ENABLED": "true",
    "PREFECT_API_SERVICES_LATE_RUNS_LOOP_SECONDS": "0.2",
}


def test_list_shows_each_service_and_its_flag(scratch_database_env) -> None:
    env = {**scratch_database_env, "PREFECT_API_SERVICES_LATE_RUNS_ENABLED": "false"}
    done = run_manage(env, "orion_services", "--list", timeout=60)

    assert done.returncode == 0, done.stderr
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines())
    assert {name: status.split()[0] for name, status in lines.items()} == {
        "Scheduler": "enabled",
        "RecentDeploymentsScheduler": "enabled",
        "MarkLateRuns": "disabled",
        "FailExpiredPauses": "enabled",
        "CancellationCleanup": "enabled",
        "FlowRunNotifications": "enabled",
        "CrashedRuns": "enabled",
        "Retention": "enabled",
    }


def test_runs_the_enabled_services_until_sigterm(scratch_database_env) -> None:
    run_id = run_django_script(_SEED_LATE_RUN, scratch_database_env).strip()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "orion_services"],
        cwd=REPO_ROOT,
        env={**scratch_database_env, **SERVICE_FLAGS},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        state_name = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            state_name = run_django_script(f"RUN_ID = {run_id!r}\n" + _STATE_NAME, scratch_database_env).strip()
            if state_name == "Late":
                break
            time.sleep(0.2)
        assert state_name == "Late"
        assert process.poll() is None, "the command must keep running until it is told to stop"

        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, err
    assert "Orion services running: MarkLateRuns." in out
    assert "Orion services stopped." in out
    assert "Stopped MarkLateRuns" in err

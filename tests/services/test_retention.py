"""Retention: the service deletes finished runs older than PREFECT_API_SERVICES_RETENTION_DAYS;
``orion_purge`` does it by hand (``--dry-run`` only counts); ``orion_vacuum`` gives the
space back to the file system on SQLite."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError

from api import models
from api.services.retention import Retention
from tests.fixtures.rows import ago, state
from tests.fixtures.processes import run_django_script

pytestmark = pytest.mark.django_db


def finished(make_flow_run, days_ago: float) -> models.FlowRun:
    run = make_flow_run(state("RUNNING"), state("COMPLETED"))
    models.FlowRun.objects.filter(id=run.id).update(end_time=ago(days=days_ago))
    return run


def test_the_service_deletes_what_ended_before_the_retention_period(make_flow_run, settings) -> None:
    settings.PREFECT_API_SERVICES_RETENTION_DAYS = 7.5
    old = finished(make_flow_run, 8)
    young = finished(make_flow_run, 7)
    running = make_flow_run(state("RUNNING"))

    Retention().run_once()

    assert set(models.FlowRun.objects.values_list("id", flat=True)) == {young.id, running.id}
    assert not models.FlowRunState.objects.filter(flow_run_id=old.id).exists()


def test_the_service_follows_its_flags(settings) -> None:
    settings.PREFECT_API_SERVICES_RETENTION_LOOP_SECONDS = 120.0
    assert Retention().loop_seconds == 120.0
    assert Retention.is_enabled() is True
    assert Retention.is_enabled({"PREFECT_API_SERVICES_RETENTION_ENABLED": False}) is False


def purge_output(*args: str) -> dict[str, int]:
    out = io.StringIO()
    call_command("orion_purge", *args, stdout=out)
    return {name: int(count) for name, count in re.findall(r"^  (\w+): (\d+)$", out.getvalue(), re.M)}


def test_orion_purge_reports_counts_and_dry_run_deletes_nothing(make_flow_run, make_task_run) -> None:
    old = finished(make_flow_run, 40)
    make_task_run(old, state("COMPLETED"))
    finished(make_flow_run, 10)

    planned = purge_output("--older-than-days", "30", "--dry-run")

    assert planned["flow_runs"] == 1 and planned["task_runs"] == 1
    assert models.FlowRun.objects.count() == 2

    assert purge_output("--older-than-days", "30") == planned
    assert models.FlowRun.objects.count() == 1
    assert purge_output("--older-than-days", "30")["flow_runs"] == 0


def test_orion_purge_refuses_a_negative_age() -> None:
    with pytest.raises(CommandError, match="must not be negative"):
        call_command("orion_purge", "--older-than-days", "-1")


VACUUM_SCRIPT = """
import uuid
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from api import models
now = timezone.now()
run_id = uuid.uuid4()
# Volume only (freed pages for the vacuum): rows written directly, fast.
models.Log.objects.bulk_create(
    models.Log(name="x", level=20, message="y" * 2000, timestamp=now, flow_run_id=run_id) for _ in range(3000)
)
models.Log.objects.filter(flow_run_id=run_id).delete()
call_command("orion_vacuum")
call_command("orion_vacuum", "--incremental")
call_command("orion_vacuum")
"""


def test_orion_vacuum_reclaims_the_space_of_deleted_rows(scratch_database_env) -> None:
    output = run_django_script(VACUUM_SCRIPT, scratch_database_env, timeout=120)

    if "postgresql" in scratch_database_env["PREFECT_API_DATABASE_CONNECTION_URL"]:
        assert output.count("Nothing to do on postgresql") == 3
        return
    full, switched, incremental = re.findall(r"^(.+): (\d+) bytes before, (\d+) bytes after", output, re.M)
    assert full[0] == "VACUUM" and int(full[1]) - int(full[2]) > 3000 * 2000 // 2
    assert switched[0] == "VACUUM"
    assert incremental[0] == "incremental vacuum"


def test_settings_that_would_destroy_data_are_configuration_errors(settings) -> None:
    settings.PREFECT_API_SERVICES_RETENTION_DAYS = 0.0
    settings.PREFECT_API_SERVICES_CRASHED_RUNS_AFTER_SECONDS = -5.0
    with pytest.raises(SystemCheckError) as raised:
        call_command("check")
    message = str(raised.value)
    assert "PREFECT_API_SERVICES_RETENTION_DAYS is 0; it must be > 0." in message
    assert "PREFECT_API_SERVICES_CRASHED_RUNS_AFTER_SECONDS is -5; it must be > 0." in message

    settings.PREFECT_API_SERVICES_RETENTION_DAYS = 0.5
    settings.PREFECT_API_SERVICES_CRASHED_RUNS_AFTER_SECONDS = 60.0
    call_command("check")

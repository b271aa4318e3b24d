"""Upgrades: a database migrated by a newer release is refused with one clear line (by a
serving process, by ``orion_services`` and by ``migrate``), and ``migrate --check`` tells
a deploy script whether migrations are due."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from api.checks import check_database_not_newer
from api.crud import schema_version
from tests.compat import harness
from tests.fixtures.processes import REPO_ROOT, run_django_script, run_manage

FUTURE = "0999_from_a_newer_release"
RECORD_FUTURE = (
    "from django.db import connection\n"
    "from django.db.migrations.recorder import MigrationRecorder\n"
    f"MigrationRecorder(connection).record_applied('api', '{FUTURE}')\n"
)


@pytest.mark.django_db
def test_only_our_unknown_migrations_count() -> None:
    assert schema_version.unknown_applied_migrations() == []
    recorder = MigrationRecorder(connection)
    recorder.record_applied("another_project", "0001_initial")  # not an app of ours
    assert schema_version.unknown_applied_migrations() == []
    assert check_database_not_newer(databases=["default"]) == []

    recorder.record_applied("api", FUTURE)

    assert schema_version.unknown_applied_migrations() == [f"api.{FUTURE}"]
    [error] = check_database_not_newer(databases=["default"])
    assert error.id == "orion_ops.E001"
    assert f"api.{FUTURE}" in error.msg
    # Without a database to check (plain ``manage.py check``) nothing is queried.
    assert check_database_not_newer(databases=None) == []


def test_a_server_refuses_a_newer_database_with_one_line(scratch_database_env, tmp_path: Path) -> None:
    run_django_script(RECORD_FUTURE, scratch_database_env)
    env = {**scratch_database_env, "DJANGO_SETTINGS_MODULE": "orion_project.settings", "PYTHONUNBUFFERED": "1"}
    daphne = Path(sys.executable).parent / "daphne"
    command = [str(daphne), "-b", "127.0.0.1", "-p", str(harness.free_port()), "orion_project.asgi:application"]
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        code = process.wait(timeout=60)
    finally:
        harness.stop_process(process, harness.SERVER_STOP_TIMEOUT)

    output = log_path.read_text().strip().splitlines()
    assert code != 0
    assert len(output) == 1, output
    assert "Refusing to serve" in output[0] and f"api.{FUTURE}" in output[0]


def test_the_services_process_and_migrate_refuse_it_too(scratch_database_env) -> None:
    run_django_script(RECORD_FUTURE, scratch_database_env)

    services = run_manage(scratch_database_env, "orion_services")
    migrate = run_manage(scratch_database_env, "migrate", "--check")

    assert services.returncode != 0
    assert "Refusing to serve" in services.stderr and "Traceback" not in services.stderr
    assert migrate.returncode != 0
    assert "orion_ops.E001" in migrate.stderr and f"api.{FUTURE}" in migrate.stderr


def test_migrate_check_says_whether_migrations_are_due(scratch_database_env) -> None:
    assert run_manage(scratch_database_env, "migrate", "--check").returncode == 0

    assert run_manage(scratch_database_env, "migrate", "api", "0001", "--verbosity", "0").returncode == 0
    due = run_manage(scratch_database_env, "migrate", "--check")

    assert due.returncode != 0
    assert run_manage(scratch_database_env, "migrate", "--verbosity", "0").returncode == 0
    assert run_manage(scratch_database_env, "migrate", "--check").returncode == 0

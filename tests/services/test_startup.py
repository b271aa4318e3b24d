"""Start-up of a real serving process: ``create_app()`` -> ``start_if_serving()`` applies
migrations when ``PREFECT_API_DATABASE_MIGRATE_ON_START`` says so and starts the services;
``runserver`` and daphne serve the same app; management commands never start anything.

Every server here is a subprocess on a free loopback port with a fresh ``PREFECT_HOME``
(and, on PostgreSQL runs, a fresh database), stopped by its PID.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils.module_loading import import_string

from api.services import launcher
from tests.compat import harness
from tests.fixtures.processes import REPO_ROOT, run_manage
API_TABLES = {"flow", "flow_run", "task_run", "block_type", "deployment", "log"}
STARTED = re.compile(r"Starting (\w+) \(every")


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """A database URL no process has touched yet (SQLite file, or a new PostgreSQL db)."""
    outer = harness.outer_database_url()
    if harness.is_postgres_url(outer):
        url, drop = harness.create_postgres_database(outer)
        try:
            yield url
        finally:
            drop()
    else:
        yield f"sqlite:///{tmp_path / 'home' / 'orion.db'}"


def tables_in(db_url: str) -> set[str]:
    """The tables that exist in the database at ``db_url``."""
    if harness.is_postgres_url(db_url):
        import psycopg

        with psycopg.connect(db_url, connect_timeout=10) as conn:
            rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
        return {row[0] for row in rows}
    path = db_url.split(":///", 1)[1]
    if not Path(path).exists():
        return set()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {row[0] for row in rows}


def environment(tmp_path: Path, db_url: str, **extra: str) -> dict[str, str]:
    """A server environment on ``db_url`` with the services fast and logging at INFO."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = harness.server_environment(home, db_url, services=True, env_extra=extra)
    env["ORION_LOG_LEVEL"] = "INFO"
    return env


@contextlib.contextmanager
def serving(command: list[str], env: dict[str, str], log_path: Path, port: int) -> Iterator[str]:
    """Run ``command`` (a server on ``port``) until the block ends; yield its API URL once
    /api/health answers true. The whole process group is stopped, so a reloader's child
    goes with its parent."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        api_url = f"http://127.0.0.1:{port}/api"
        problem = harness.wait_for_health(f"{api_url}/health", process, time.monotonic() + 60)
        assert problem is None, f"{problem}\n{harness.log_tail(log_path)}"
        yield api_url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def daphne_command(port: int) -> list[str]:
    """daphne serving the project's ASGI application, as ``make run`` starts it."""
    return [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "orion_project.asgi:application"]


def started_services(log_path: Path) -> list[str]:
    """Names of the services a server log says were started."""
    return STARTED.findall(log_path.read_text(errors="replace"))


def expected_services() -> list[str]:
    """Every service the launcher knows (the test environment enables them all)."""
    return sorted(import_string(dotted).__name__ for dotted in launcher.SERVICES)


def wait_for_log(log_path: Path, count: int, deadline: float) -> list[str]:
    """Poll the log until ``count`` services have started or the deadline passes."""
    names = started_services(log_path)
    while len(names) < count and time.monotonic() < deadline:
        time.sleep(0.2)
        names = started_services(log_path)
    return names


@pytest.mark.parametrize("migrate", [True, False], ids=["migrate-on", "migrate-off"])
def test_daphne_migrates_on_start_only_when_enabled(tmp_path: Path, fresh_database: str, migrate: bool) -> None:
    assert not tables_in(fresh_database) & API_TABLES
    env = environment(tmp_path, fresh_database, PREFECT_API_DATABASE_MIGRATE_ON_START=str(migrate).lower())
    port = harness.free_port()
    with serving(daphne_command(port), env, tmp_path / "daphne.log", port):
        tables = tables_in(fresh_database)
        if migrate:
            assert API_TABLES <= tables
        else:
            assert not tables & API_TABLES, sorted(tables & API_TABLES)


@pytest.mark.parametrize("module", [False, True], ids=["daphne-script", "python-m-daphne"])
def test_daphne_starts_every_enabled_service_once(tmp_path: Path, fresh_database: str, module: bool) -> None:
    env = environment(tmp_path, fresh_database)
    port = harness.free_port()
    log_path = tmp_path / "daphne.log"
    expected = expected_services()
    command = daphne_command(port)
    if module:
        command = [sys.executable, "-m", "daphne", *command[1:]]
    with serving(command, env, log_path, port):
        names = wait_for_log(log_path, len(expected), time.monotonic() + 30)
    assert sorted(names) == expected, harness.log_tail(log_path)


def test_disabled_services_do_not_start(tmp_path: Path, fresh_database: str) -> None:
    env = environment(tmp_path, fresh_database)
    for name in harness.SERVICE_NAMES:
        env[f"PREFECT_API_SERVICES_{name}_ENABLED"] = "false"
    port = harness.free_port()
    log_path = tmp_path / "daphne.log"
    with serving(daphne_command(port), env, log_path, port):
        # Services start before the server listens; allow their threads a moment to log.
        names = wait_for_log(log_path, 1, time.monotonic() + 3)
    assert names == [], harness.log_tail(log_path)


@pytest.mark.parametrize("reload", [False, True], ids=["noreload", "autoreload"])
def test_runserver_serves_the_same_app(tmp_path: Path, fresh_database: str, reload: bool) -> None:
    env = environment(tmp_path, fresh_database)
    port = harness.free_port()
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"]
    if not reload:
        command.append("--noreload")
    log_path = tmp_path / "runserver.log"
    expected = expected_services()
    with serving(command, env, log_path, port) as api_url:
        import httpx

        assert httpx.get(f"{api_url}/version").json() == "0.8.4"
        assert httpx.get(f"{api_url}/hello").json() == "👋"
        assert httpx.get(f"http://127.0.0.1:{port}/ui-settings").json()["flags"] == ["work_pools"]
        assert API_TABLES <= tables_in(fresh_database)
        names = wait_for_log(log_path, len(expected), time.monotonic() + 30)
    # With the autoreloader only its serving child starts services, and only once.
    assert sorted(names) == expected, harness.log_tail(log_path)


@pytest.mark.parametrize(
    "args",
    [["migrate", "--verbosity", "0"], ["check"], ["shell", "-c", "import orion_project.asgi"]],
    ids=["migrate", "check", "shell"],
)
def test_management_commands_never_start_services(tmp_path: Path, fresh_database: str, args: list[str]) -> None:
    env = environment(tmp_path, fresh_database)
    result = run_manage(env, *args)
    assert result.returncode == 0, result.stderr
    assert STARTED.findall(result.stdout + result.stderr) == []
    if args[0] == "shell":
        # Building the ASGI app outside a server did not migrate either.
        assert not tables_in(fresh_database) & API_TABLES


def test_make_run_command_serves_health(tmp_path: Path, fresh_database: str) -> None:
    """``make run``'s recipe, as make would run it, on a free port instead of 4200."""
    dry = subprocess.run(
        ["make", "-n", "run"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    [recipe] = [line for line in dry.stdout.splitlines() if "orion_serve" in line]
    assert "--port 4200" in recipe and "--host 127.0.0.1" in recipe and "--workers" not in recipe
    port = harness.free_port()
    command = ["sh", "-c", recipe.replace("--port 4200", f"--port {port}")]
    with serving(command, environment(tmp_path, fresh_database), tmp_path / "make-run.log", port) as api_url:
        import httpx

        assert httpx.get(f"{api_url}/health").json() is True
        assert API_TABLES <= tables_in(fresh_database)


def test_daphne_without_ui_serves_only_the_api(tmp_path: Path, fresh_database: str) -> None:
    env = environment(tmp_path, fresh_database, PREFECT_UI_ENABLED="false")
    port = harness.free_port()
    with serving(daphne_command(port), env, tmp_path / "daphne.log", port) as api_url:
        import httpx

        root = f"http://127.0.0.1:{port}"
        for path in ("/", "/flow-runs", "/ui-settings", "/app.css", "/index.html"):
            assert httpx.get(root + path).status_code == 404, path
        assert httpx.get(f"{api_url}/hello").json() == "👋"



def test_servers_starting_together_on_a_new_database_log_no_traceback(tmp_path: Path, fresh_database: str) -> None:
    """Three daphne processes start at once on an empty database: they take turns through
    migrations and block registration (the start-up lock) instead of racing on them."""
    env = environment(tmp_path, fresh_database)
    for name in harness.SERVICE_NAMES:
        env[f"PREFECT_API_SERVICES_{name}_ENABLED"] = "false"
    ports = [harness.free_port() for _ in range(3)]
    logs = [tmp_path / f"daphne-{i}.log" for i in range(3)]
    with contextlib.ExitStack() as stack:
        processes = []
        for port, log_path in zip(ports, logs):
            with open(log_path, "wb") as log:
                process = subprocess.Popen(
                    daphne_command(port), cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
                )
            stack.callback(harness.stop_process, process, 15)
            processes.append(process)
        for port, log_path, process in zip(ports, logs, processes):
            problem = harness.wait_for_health(f"http://127.0.0.1:{port}/api/health", process, time.monotonic() + 90)
            assert problem is None, f"{problem}\n{harness.log_tail(log_path)}"
    for log_path in logs:
        assert "Traceback" not in log_path.read_text(errors="replace"), harness.log_tail(log_path)
    assert API_TABLES <= tables_in(fresh_database)

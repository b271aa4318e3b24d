"""Fixtures for the compatibility tests: the real ``prefect==2.8.7`` client in its own
virtualenv, and one live server per test session.

``run_client(script)`` / ``run_cli(args)`` run the client against ``orion_server``;
both raise an AssertionError showing stdout and stderr when the process fails (pass
``check=False`` to assert on a failure yourself, and ``format_process`` to show it).
``ORION_COMPAT_AUTH=1`` runs the whole suite against a server with
``ORION_AUTH_REQUIRED=true``, the clients configured with only ``PREFECT_API_KEY``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import pytest

from tests.compat import harness

COMPAT_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/compat as ``compat`` so ``-m "not compat"`` skips them.

    This hook sees the whole session's items, hence the path filter.
    """
    for item in items:
        if COMPAT_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.compat)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the server log tail to a failing compat test: a 500 or a crash is
    explained there, not in the client's traceback."""
    report = yield
    server = getattr(item, "funcargs", {}).get("orion_server")
    if report.failed and isinstance(server, harness.OrionServer):
        report.sections.append(("orion server log (tail)", server.log_tail(80)))
    return report


class ClientRunner(Protocol):
    """Signature of the ``run_client`` fixture."""

    def __call__(
        self,
        script: str,
        env_extra: Mapping[str, str] | None = None,
        timeout: float = harness.DEFAULT_CLIENT_TIMEOUT,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]: ...


class CliRunner(Protocol):
    """Signature of the ``run_cli`` fixture."""

    def __call__(
        self,
        args: str | Sequence[str],
        env_extra: Mapping[str, str] | None = None,
        timeout: float = harness.DEFAULT_CLIENT_TIMEOUT,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]: ...


@pytest.fixture(scope="session")
def prefect_venv() -> Path:
    """The client virtualenv (built once into .compat-venv/, reused while the pins hold)."""
    return harness.ensure_prefect_venv()


@pytest.fixture(scope="session")
def orion_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.OrionServer]:
    """One live server for the session, on a throw-away database.

    Services run with short loops; set ``ORION_COMPAT_SERVICES=0`` to start the server
    with every service disabled.
    """
    services = os.environ.get("ORION_COMPAT_SERVICES", "1").strip().lower() not in ("0", "false", "no", "off")
    env_extra = {"ORION_AUTH_REQUIRED": "true"} if _auth_required() else None
    server = harness.start_server(tmp_path_factory.mktemp("orion-server"), services=services, env_extra=env_extra)
    try:
        yield server
    finally:
        server.stop()


def _auth_required() -> bool:
    return os.environ.get("ORION_COMPAT_AUTH", "0").strip().lower() in ("1", "true", "yes", "on")


@pytest.fixture(scope="session")
def client_auth_env(orion_server: harness.OrionServer) -> dict[str, str]:
    """With ``ORION_COMPAT_AUTH=1`` the session server requires auth, and every client and
    CLI run gets an admin token as PREFECT_API_KEY (and nothing else changes)."""
    if not _auth_required():
        return {}
    created = harness.run_manage(orion_server, ["orion_token", "create", "--user", "compat", "--role", "admin"])
    return {"PREFECT_API_KEY": created.stdout.strip().splitlines()[-1]}


@pytest.fixture(scope="session")
def run_client(
    prefect_venv: Path,
    orion_server: harness.OrionServer,
    tmp_path_factory: pytest.TempPathFactory,
    client_auth_env: dict[str, str],
) -> ClientRunner:
    """Run a Python script with the client's interpreter against ``orion_server``.

    Each call gets its own working directory and PREFECT_HOME.
    """

    def run(
        script: str,
        env_extra: Mapping[str, str] | None = None,
        timeout: float = harness.DEFAULT_CLIENT_TIMEOUT,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        __tracebackhide__ = True
        return harness.run_client(
            prefect_venv,
            orion_server.api_url,
            script,
            workdir=tmp_path_factory.mktemp("client"),
            env_extra={**client_auth_env, **(env_extra or {})},
            timeout=timeout,
            check=check,
        )

    return run


@pytest.fixture(scope="session")
def run_cli(
    prefect_venv: Path,
    orion_server: harness.OrionServer,
    tmp_path_factory: pytest.TempPathFactory,
    client_auth_env: dict[str, str],
) -> CliRunner:
    """Run ``prefect <args>`` from the client venv against ``orion_server``."""

    def run(
        args: str | Sequence[str],
        env_extra: Mapping[str, str] | None = None,
        timeout: float = harness.DEFAULT_CLIENT_TIMEOUT,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        __tracebackhide__ = True
        return harness.run_cli(
            prefect_venv,
            orion_server.api_url,
            args,
            workdir=tmp_path_factory.mktemp("cli"),
            env_extra={**client_auth_env, **(env_extra or {})},
            timeout=timeout,
            check=check,
        )

    return run

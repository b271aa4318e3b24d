"""Fixtures for the compatibility tests: the real prefect clients in their own
virtualenvs, and one live server per client version.

Every compat test runs with ``prefect==2.8.7``; the tests of the modules in
:data:`LATER_CLIENT_MODULES` (flows, blocks, deployments, agents, workers and the CLI)
run again with each later version of ``harness.CLIENT_VERSIONS``, against a server of
their own. The test id says which: ``test_x[2.10.21]``; ``ORION_COMPAT_CLIENTS=2.10.21``
(comma-separated) runs only the versions named.

``run_client(script)`` / ``run_cli(args)`` run the client against ``orion_server``;
both raise an AssertionError showing stdout and stderr when the process fails (pass
``check=False`` to assert on a failure yourself, and ``format_process`` to show it).
``ORION_COMPAT_AUTH=1`` runs the whole suite against a server with
``ORION_AUTH_REQUIRED=true``, the clients configured with only ``PREFECT_API_KEY``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import pytest

from tests.compat import harness

COMPAT_DIR = Path(__file__).resolve().parent
LATER_CLIENT_MODULES = frozenset({"test_flows", "test_blocks", "test_deployments", "test_agents"})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that uses a client once per client version its module is for.

    Session scope groups the tests by version, so each version's venv and server are
    set up once.
    """
    if "client_version" not in metafunc.fixturenames:
        return
    later = Path(metafunc.definition.path).stem in LATER_CLIENT_MODULES
    versions = harness.CLIENT_VERSIONS if later else (harness.DEFAULT_CLIENT_VERSION,)
    metafunc.parametrize("client_version", selected_versions(versions), indirect=True, scope="session")


def selected_versions(versions: Sequence[str]) -> list[str]:
    """``versions`` narrowed to ``ORION_COMPAT_CLIENTS`` (comma-separated) when it is set."""
    wanted = {v.strip() for v in os.environ.get("ORION_COMPAT_CLIENTS", "").split(",") if v.strip()}
    unknown = wanted - set(harness.CLIENT_VERSIONS)
    if unknown:
        raise pytest.UsageError(f"ORION_COMPAT_CLIENTS names unknown versions {sorted(unknown)}; known: {harness.CLIENT_VERSIONS}")
    return [v for v in versions if not wanted or v in wanted]


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
def client_version(request: pytest.FixtureRequest) -> str:
    """The prefect client version under test (parametrised by ``pytest_generate_tests``)."""
    return str(request.param)


@pytest.fixture(scope="session")
def prefect_venv(client_version: str) -> Path:
    """The client virtualenv (built once into .compat-venv/, reused while the pins hold)."""
    return harness.ensure_prefect_venv(client_version)


@pytest.fixture(scope="session")
def orion_server(client_version: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.OrionServer]:
    """One live server per client version, on a throw-away database.

    Services run with short loops; set ``ORION_COMPAT_SERVICES=0`` to start the server
    with every service disabled.
    """
    services = os.environ.get("ORION_COMPAT_SERVICES", "1").strip().lower() not in ("0", "false", "no", "off")
    env_extra = {"ORION_AUTH_REQUIRED": "true"} if _auth_required() else None
    server = harness.start_server(tmp_path_factory.mktemp(f"orion-server-{client_version}"), services=services, env_extra=env_extra)
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


# (harness runner, working-directory name) -> that runner bound to the session's server.
RunnerBinder = Callable[[Callable[..., subprocess.CompletedProcess[str]], str], Callable[..., subprocess.CompletedProcess[str]]]


@pytest.fixture(scope="session")
def bind_runner(
    prefect_venv: Path,
    orion_server: harness.OrionServer,
    tmp_path_factory: pytest.TempPathFactory,
    client_auth_env: dict[str, str],
) -> RunnerBinder:
    """Bind a harness runner (``run_client`` or ``run_cli``) to ``orion_server`` and the
    client's credentials, with a fresh working directory (its own PREFECT_HOME) per call."""

    def bind(
        harness_run: Callable[..., subprocess.CompletedProcess[str]], workdir_name: str
    ) -> Callable[..., subprocess.CompletedProcess[str]]:
        def run(
            what: str | Sequence[str],
            env_extra: Mapping[str, str] | None = None,
            timeout: float = harness.DEFAULT_CLIENT_TIMEOUT,
            check: bool = True,
        ) -> subprocess.CompletedProcess[str]:
            __tracebackhide__ = True
            return harness_run(
                prefect_venv,
                orion_server.api_url,
                what,
                workdir=tmp_path_factory.mktemp(workdir_name),
                env_extra={**client_auth_env, **(env_extra or {})},
                timeout=timeout,
                check=check,
            )

        return run

    return bind


@pytest.fixture(scope="session")
def run_client(bind_runner: RunnerBinder) -> ClientRunner:
    """Run a Python script with the client's interpreter against ``orion_server``.

    Each call gets its own working directory and PREFECT_HOME.
    """
    return bind_runner(harness.run_client, "client")


@pytest.fixture(scope="session")
def run_cli(bind_runner: RunnerBinder) -> CliRunner:
    """Run ``prefect <args>`` from the client venv against ``orion_server``."""
    return bind_runner(harness.run_cli, "cli")

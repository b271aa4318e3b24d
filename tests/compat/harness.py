"""Harness for the compatibility tests: the real prefect clients against our server.

Three pieces, usable from pytest fixtures (``tests/compat/conftest.py``) and from the
command line (``python tests/compat/harness.py build-venv`` is what ``make compat-venv``
and so ``.ci/run`` use to build every client environment before the suites run):

* :func:`ensure_prefect_venv` builds, once, a virtualenv with one client version
  (:data:`CLIENT_VERSIONS`: ``prefect==2.8.7`` and ``prefect==2.10.21``) under
  ``.compat-venv/`` in the repository root, from that version's hashed lock
  ``requirements-prefect-<version>.txt`` (compiled by ``make lock`` from the ``.in``
  file beside it). The directory name carries the version and a hash of the lock and
  the interpreter version, so changing the pins builds a new one and nothing else does.
* :func:`start_server` runs the product under daphne on a free loopback port against a
  throw-away database (a temporary SQLite file, or a fresh PostgreSQL database when the
  test run itself uses PostgreSQL) and waits for ``/api/health``.
* :func:`run_client` / :func:`run_cli` run a Python script or a ``prefect`` command in
  the client virtualenv, pointed at a server.

Only the standard library and ``psycopg`` (already in the server's requirements) are
imported here, because this module runs inside the server's virtualenv, never the
client's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPAT_DIR = Path(__file__).resolve().parent
# The client versions the compat suite runs; the first is the one the server re-implements
# (every compat test runs with it), the later ones run the suite's client-facing modules.
CLIENT_VERSIONS = ("2.8.7", "2.10.21")
DEFAULT_CLIENT_VERSION = CLIENT_VERSIONS[0]
VENV_ROOT = REPO_ROOT / ".compat-venv"


def requirements_for(version: str) -> Path:
    """The hashed lock file of one client version."""
    return COMPAT_DIR / f"requirements-prefect-{version}.txt"


REQUIREMENTS = requirements_for(DEFAULT_CLIENT_VERSION)

# pip on a cold cache needs a minute or two (pendulum compiles from its sdist); a hung
# index must still end the build rather than the whole CI job.
VENV_BUILD_TIMEOUT = 20 * 60
SERVER_START_TIMEOUT = 60.0
SERVER_STOP_TIMEOUT = 15.0
DEFAULT_CLIENT_TIMEOUT = 120.0

# Services run with short loops so tests that depend on them (late runs, scheduling)
# finish in seconds; ORION_COMPAT_SERVICES=0 turns them all off.
SERVICE_NAMES = (
    "SCHEDULER",
    "LATE_RUNS",
    "PAUSE_EXPIRATIONS",
    "CANCELLATION_CLEANUP",
    "FLOW_RUN_NOTIFICATIONS",
    "CRASHED_RUNS",
    "RETENTION",
)
FAST_SERVICE_ENV: dict[str, str] = {
    "PREFECT_API_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
    "PREFECT_API_SERVICES_LATE_RUNS_LOOP_SECONDS": "1",
    "PREFECT_API_SERVICES_LATE_RUNS_AFTER_SECONDS": "5",
    "PREFECT_API_SERVICES_PAUSE_EXPIRATIONS_LOOP_SECONDS": "1",
    "PREFECT_API_SERVICES_CANCELLATION_CLEANUP_LOOP_SECONDS": "2",
    "PREFECT_API_SERVICES_FLOW_RUN_NOTIFICATIONS_LOOP_SECONDS": "1",
}

# Variables of the outer (test-run) environment that must not leak into a child: the
# server gets its own database, the client its own profile.
_DATABASE_VARS = ("DATABASE_URL", "PREFECT_API_DATABASE_CONNECTION_URL", "PREFECT_ORION_DATABASE_CONNECTION_URL")


# --------------------------------------------------------------------------------------
# The client virtualenv
# --------------------------------------------------------------------------------------


def venv_key(requirements: Path = REQUIREMENTS, python: str | None = None) -> str:
    """Return the cache key of the client virtualenv: pins + interpreter version."""
    python = python or client_base_python()
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version)"],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.strip()
    digest = hashlib.sha256(requirements.read_bytes() + b"\0" + version.encode()).hexdigest()
    return digest[:16]


def client_base_python() -> str:
    """Pick the interpreter for the client venv (``ORION_COMPAT_PYTHON`` overrides).

    The pins were tested on CPython 3.11, the same interpreter the server's venv uses,
    so the default is the base interpreter behind the running one.
    """
    explicit = os.environ.get("ORION_COMPAT_PYTHON")
    if explicit:
        return explicit
    # A venv's own python would work too, but the base one avoids venv-in-venv quirks.
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(base) if base.exists() else sys.executable


@contextlib.contextmanager
def _locked(path: Path, timeout: float) -> Iterator[None]:
    """Hold an exclusive ``fcntl`` lock on ``path``, waiting at most ``timeout`` seconds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"could not lock {path} within {timeout:.0f} s") from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_prefect_venv(
    version: str = DEFAULT_CLIENT_VERSION,
    root: Path = VENV_ROOT,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Return the path of a ready virtualenv of client ``version``, building it if needed.

    The venv lives in ``root/prefect-<version>-<key>/`` and counts as ready only once its
    ``.complete`` stamp exists, so a build interrupted half-way is thrown away and redone.
    Older builds of the same version are removed: only the current pins are worth the
    disk space (other versions' venvs are left alone).
    """
    say = log or (lambda message: print(message, file=sys.stderr, flush=True))
    requirements = requirements_for(version)
    python = client_base_python()
    prefix = f"prefect-{version}-"
    venv = root / f"{prefix}{venv_key(requirements, python)}"
    stamp = venv / ".complete"
    if stamp.exists():
        return venv
    with _locked(root / "build.lock", timeout=VENV_BUILD_TIMEOUT):
        if stamp.exists():  # another process built it while we waited for the lock
            return venv
        for stale in root.glob(f"{prefix}*"):
            if stale.is_dir() and stale != venv:
                shutil.rmtree(stale, ignore_errors=True)
        shutil.rmtree(venv, ignore_errors=True)
        say(f"[compat] building prefect {version} client venv {venv} (one-off, a minute or two)")
        started = time.monotonic()
        subprocess.run([python, "-m", "venv", str(venv)], check=True, timeout=300, stdin=subprocess.DEVNULL)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "--no-input"]
        result = subprocess.run(
            # The lock pins every package with its hashes: nothing unpinned or altered
            # gets in, and no resolver runs.
            [*pip, "install", "-q", "--require-hashes", "--no-deps", "-r", str(requirements)],
            capture_output=True,
            text=True,
            timeout=VENV_BUILD_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"pip install of {requirements.name} failed ({result.returncode}):\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-8000:]}"
            )
        stamp.write_text(f"{requirements.name} built in {time.monotonic() - started:.0f} s\n")
        say(f"[compat] client venv ready in {time.monotonic() - started:.0f} s")
    return venv


# --------------------------------------------------------------------------------------
# The server under test
# --------------------------------------------------------------------------------------


@dataclasses.dataclass
class OrionServer:
    """A running server subprocess and how to reach it."""

    url: str
    api_url: str
    pid: int
    db_url: str
    log_path: Path
    process: subprocess.Popen[bytes] = dataclasses.field(repr=False)
    home: Path = dataclasses.field(repr=False)
    _drop_database: Callable[[], None] | None = dataclasses.field(default=None, repr=False)

    def log_tail(self, lines: int = 60) -> str:
        """Return the last ``lines`` lines of the server log (for failure messages)."""
        return log_tail(self.log_path, lines)

    def stop(self) -> None:
        """Stop the server by its PID (terminate, then kill), then drop its database."""
        try:
            stop_process(self.process, SERVER_STOP_TIMEOUT)
        finally:
            if self._drop_database is not None:
                self._drop_database()
                self._drop_database = None


def log_tail(path: Path, lines: int = 60) -> str:
    """Return the last ``lines`` lines of a text file, or a note if it is missing."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"<no log at {path}>"
    return "\n".join(text.splitlines()[-lines:])


def stop_process(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM the process, wait up to ``timeout`` seconds, then SIGKILL it."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def outer_database_url(environ: Mapping[str, str] | None = None) -> str | None:
    """Return the database URL the test run itself uses, if one is configured."""
    environ = os.environ if environ is None else environ
    for name in _DATABASE_VARS:
        if environ.get(name):
            return environ[name]
    return None


def is_postgres_url(url: str | None) -> bool:
    """True for ``postgres://``, ``postgresql://`` and ``postgresql+driver://`` URLs."""
    if not url:
        return False
    scheme = urlsplit(url).scheme.split("+", 1)[0].lower()
    return scheme in ("postgres", "postgresql", "psql", "pgsql")


def _libpq_url(url: str, database: str | None = None) -> str:
    """Rewrite a (possibly SQLAlchemy-flavoured) postgres URL for libpq, optionally
    pointing it at another database."""
    parts = urlsplit(url)
    path = parts.path if database is None else "/" + database
    return urlunsplit(("postgresql", parts.netloc, path, parts.query, parts.fragment))


def create_postgres_database(base_url: str) -> tuple[str, Callable[[], None]]:
    """Create a throw-away database next to ``base_url``'s; return its URL and a dropper."""
    import psycopg  # only needed on PostgreSQL runs

    name = f"orion_compat_{uuid.uuid4().hex[:12]}"
    admin_url = _libpq_url(base_url)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
            # FORCE ends connections a killed server may have left behind (PG 13+).
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return _libpq_url(base_url, name), drop



@contextlib.contextmanager
def migrated_database_env(home: Path) -> Iterator[dict[str, str]]:
    """Environment for subprocesses sharing one fresh, migrated database: a throw-away
    PostgreSQL database when the test run uses PostgreSQL, else a SQLite file in ``home``."""
    outer = outer_database_url()
    drop = None
    if is_postgres_url(outer):
        db_url, drop = create_postgres_database(outer)
    else:
        db_url = f"sqlite:///{home / 'orion.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "DATABASE_URL"}
    env.update({"PREFECT_HOME": str(home), "PREFECT_API_DATABASE_CONNECTION_URL": db_url})
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
            cwd=REPO_ROOT,
            env=env,
            check=True,
            timeout=120,
        )
        yield env
    finally:
        if drop is not None:
            drop()

def server_environment(
    home: Path,
    db_url: str,
    services: bool,
    env_extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Build the environment of a server subprocess (inherits PATH, locale, REDIS_URL...)."""
    env = {k: v for k, v in os.environ.items() if k not in _DATABASE_VARS}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "orion_project.settings",
            "PREFECT_HOME": str(home),
            "PREFECT_API_DATABASE_CONNECTION_URL": db_url,
            "PREFECT_API_DATABASE_MIGRATE_ON_START": "true",
            "PYTHONUNBUFFERED": "1",
        }
    )
    for name in SERVICE_NAMES:
        env[f"PREFECT_API_SERVICES_{name}_ENABLED"] = "true" if services else "false"
    if services:
        env.update(FAST_SERVICE_ENV)
    env.update(env_extra or {})
    return env


def wait_for_health(url: str, process: subprocess.Popen[bytes], deadline: float) -> str | None:
    """Poll ``url`` until it answers ``true``; return None or the reason it never did."""
    last_error = "no attempt made"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"server exited with code {process.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                body = response.read().decode()
                if response.status == 200 and body.strip() == "true":
                    return None
                last_error = f"HTTP {response.status}: {body[:200]}"
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            last_error = repr(exc)
        time.sleep(0.2)
    return f"no healthy answer within the deadline (last: {last_error})"


def start_server(
    workdir: Path,
    services: bool = True,
    env_extra: Mapping[str, str] | None = None,
    startup_timeout: float = SERVER_START_TIMEOUT,
    database_url: str | None = None,
    daphne_args: Sequence[str] = (),
) -> OrionServer:
    """Start the product under daphne on a free loopback port and wait until healthy.

    ``workdir`` holds the server's PREFECT_HOME, its SQLite file and its log. When the
    test run uses PostgreSQL, the server gets a freshly created database on the same
    PostgreSQL server instead, dropped again by :meth:`OrionServer.stop`. An explicit
    ``database_url`` is used as it is (and not dropped); ``daphne_args`` go on daphne's
    command line (e.g. ``--root-path``).
    """
    home = workdir / "server-home"
    home.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "server.log"
    outer = outer_database_url()
    drop = None
    if database_url is not None:
        db_url = database_url
    elif is_postgres_url(outer):
        db_url, drop = create_postgres_database(outer)
    else:
        db_url = f"sqlite:///{home / 'orion.db'}"  # absolute path -> four slashes
    port = free_port()
    # The console script, as `make run` uses it (the app recognises a serving process by
    # its program name); `python -m daphne` only if the script is missing.
    script = Path(sys.executable).parent / "daphne"
    program = [str(script)] if script.exists() else [sys.executable, "-m", "daphne"]
    command = [*program, "-b", "127.0.0.1", "-p", str(port), *daphne_args, "orion_project.asgi:application"]
    with open(log_path, "ab") as log:
        log.write(f"$ {shlex.join(command)}\n".encode())
        log.flush()
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=server_environment(home, db_url, services, env_extra),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a ^C on the test run must not race our own shutdown
        )
    url = f"http://127.0.0.1:{port}"
    server = OrionServer(
        url=url,
        api_url=f"{url}/api",
        pid=process.pid,
        db_url=db_url,
        log_path=log_path,
        process=process,
        home=home,
        _drop_database=drop,
    )
    problem = wait_for_health(f"{server.api_url}/health", process, time.monotonic() + startup_timeout)
    if problem is not None:
        server.stop()
        raise RuntimeError(f"Orion server did not come up: {problem}\n--- {log_path} (tail) ---\n{server.log_tail()}")
    return server


def run_manage(server: OrionServer, args: Sequence[str], timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py <args>`` against ``server``'s database (e.g. ``orion_token create``)."""
    env = server_environment(server.home, server.db_url, services=False)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
        stdin=subprocess.DEVNULL,
    )


# --------------------------------------------------------------------------------------
# Running the client
# --------------------------------------------------------------------------------------


def client_environment(
    api_url: str, home: Path, env_extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Environment for the client: our server, a private profile, quiet and plain output."""
    env = {
        k: v
        for k, v in os.environ.items()
        # Drop the test run's own Prefect/Django/database settings and any active venv.
        if not k.startswith(("PREFECT_", "DJANGO_", "VIRTUAL_ENV", "PYTHON")) and k not in _DATABASE_VARS
    }
    env.update(
        {
            "PREFECT_API_URL": api_url,
            "PREFECT_HOME": str(home),
            "PREFECT_LOGGING_LEVEL": "INFO",  # INFO so flow/task run logs reach the API
            "PREFECT_LOGGING_COLORS": "false",
            "PREFECT_CLI_COLORS": "false",
            "PREFECT_CLI_WRAP_LINES": "false",
            "COLUMNS": "200",  # rich wraps tables at the terminal width
            "NO_COLOR": "1",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(env_extra or {})
    return env


def format_process(result: subprocess.CompletedProcess[str]) -> str:
    """Render a finished process for an assertion message: command, code, both streams."""
    args = result.args if isinstance(result.args, str) else shlex.join(map(str, result.args))
    return (
        f"$ {args}\nexit code: {result.returncode}\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )


def last_json_line(result: subprocess.CompletedProcess[str]) -> Any:
    """The JSON a client script printed on its last line (scripts print their findings as
    one JSON line, so log output before it does not matter)."""
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines, f"the client printed nothing\n{format_process(result)}"
    try:
        return json.loads(lines[-1])
    except ValueError as exc:
        raise AssertionError(f"last line is not JSON ({exc})\n{format_process(result)}") from None


def _run(
    command: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    timeout: float,
    check: bool,
) -> subprocess.CompletedProcess[str]:
    """Run a client command; a timeout or (with ``check``) a non-zero exit is an
    AssertionError that shows both output streams."""
    __tracebackhide__ = True  # the failure is the client's output, not this helper
    try:
        result = subprocess.run(
            list(command),
            env=dict(env),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise AssertionError(
            f"$ {shlex.join(command)}\ntimed out after {timeout} s\n--- stdout ---\n{out}\n--- stderr ---\n{err}"
        ) from None
    if check and result.returncode != 0:
        raise AssertionError(format_process(result))
    return result


def run_client(
    venv: Path,
    api_url: str,
    script: str,
    workdir: Path | None = None,
    env_extra: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_CLIENT_TIMEOUT,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a Python ``script`` (dedented) with the client venv's interpreter.

    The script runs in ``workdir`` (a new temporary directory if None), which also
    serves as the client's PREFECT_HOME unless ``env_extra`` says otherwise.
    """
    __tracebackhide__ = True
    workdir = Path(workdir or tempfile.mkdtemp(prefix="orion-client-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"client_{uuid.uuid4().hex[:8]}.py"
    path.write_text(textwrap.dedent(script).lstrip())
    env = client_environment(api_url, workdir / "prefect-home", env_extra)
    return _run([str(venv / "bin" / "python"), str(path)], env, workdir, timeout, check)


def run_cli(
    venv: Path,
    api_url: str,
    args: str | Sequence[str],
    workdir: Path | None = None,
    env_extra: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_CLIENT_TIMEOUT,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``prefect <args>`` from the client venv (``args`` a string is shell-split)."""
    __tracebackhide__ = True
    workdir = Path(workdir or tempfile.mkdtemp(prefix="orion-cli-"))
    workdir.mkdir(parents=True, exist_ok=True)
    argv = shlex.split(args) if isinstance(args, str) else [str(a) for a in args]
    env = client_environment(api_url, workdir / "prefect-home", env_extra)
    return _run([str(venv / "bin" / "prefect"), *argv], env, workdir, timeout, check)


def main(argv: Sequence[str]) -> int:
    """Command line: ``build-venv [VERSION ...]`` builds the client venvs (every version
    of :data:`CLIENT_VERSIONS` when none is named) and prints their paths."""
    args = list(argv)
    if args[:1] == ["build-venv"] and set(args[1:]) <= set(CLIENT_VERSIONS):
        for version in args[1:] or CLIENT_VERSIONS:
            print(ensure_prefect_venv(version))
        return 0
    print(f"usage: harness.py build-venv [{' | '.join(CLIENT_VERSIONS)} ...]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

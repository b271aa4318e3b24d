"""A private PostgreSQL cluster for tests that stop and restart the database.

The cluster lives in a temporary directory, listens on a free loopback port with its unix
socket in that directory, and is controlled with ``pg_ctl`` on its own data directory, so
nothing else on the machine is touched. ``initdb`` refuses to run as root; as root the
commands run as the ``postgres`` user (``runuser``), which owns the directory.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.compat.harness import free_port

PG_BIN = Path(os.environ.get("ORION_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
COMMAND_TIMEOUT = 60


def missing_binaries() -> str | None:
    """Why a private cluster cannot run here, or None if it can."""
    for name in ("initdb", "pg_ctl"):
        if not (PG_BIN / name).is_file():
            return f"PostgreSQL server binaries not found in {PG_BIN} (tests/proxy/install_servers.sh installs them)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run initdb as"
    return None


class PrivateCluster:
    """One ``initdb``-created cluster: ``start()``, ``stop()``, ``url``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, stdin=subprocess.DEVNULL
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def init(self) -> None:
        """Create the cluster (trust authentication: it only listens on loopback)."""
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "-o", options)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: disconnect clients and shut down cleanly)."""
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "30")

    def running(self) -> bool:
        """Whether the cluster's postmaster is up."""
        command = [str(PG_BIN / "pg_ctl"), "status", "-D", str(self.data)]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, timeout=COMMAND_TIMEOUT).returncode == 0


@contextlib.contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """A started private cluster, stopped and deleted afterwards."""
    root = Path(tempfile.mkdtemp(prefix="orion-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres")
    cluster = PrivateCluster(root)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        if cluster.data.exists() and cluster.running():
            cluster.stop(mode="immediate")
        shutil.rmtree(root, ignore_errors=True)

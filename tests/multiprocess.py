"""Helpers of the multi-process tests: ``manage.py orion_serve`` as a subprocess, which
worker serves a given connection.

Which worker serves a connection is read from Linux's ``/proc`` (the server end of a
loopback TCP connection belongs to exactly one process), so the product needs no header
naming its pids.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from tests.compat import harness
from tests.fixtures.polling import wait_for
from tests.fixtures.processes import REPO_ROOT

WORKER_STARTED = re.compile(r"Started worker (\d+) \(pid (\d+)\)")
SERVING_ON = re.compile(r"Serving on http://[\d.]+:(\d+) with")


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(int(target[8:-1]))
    return inodes


def _server_end_inode(client: socket.socket) -> int | None:
    """The socket inode of the server end of ``client``'s IPv4 loopback connection."""
    client_port = client.getsockname()[1]
    server_port = client.getpeername()[1]
    with open("/proc/net/tcp") as table:
        for line in list(table)[1:]:
            fields = line.split()
            local_port = int(fields[1].split(":")[1], 16)
            remote_port = int(fields[2].split(":")[1], 16)
            if (local_port, remote_port) == (server_port, client_port) and int(fields[9]):
                return int(fields[9])
    return None


def serving_pid(client: socket.socket, pids: set[int], timeout: float = 10.0) -> int | None:
    """Which of ``pids`` holds the server end of ``client``'s connection (None if none
    did before ``timeout``: a connection not yet accepted has no owner)."""

    def owner() -> int | None:
        inode = _server_end_inode(client)
        if inode is None:
            return None
        return next((pid for pid in pids if inode in _socket_inodes(pid)), None)

    return wait_for(owner, timeout)


class OrionServe:
    """``manage.py orion_serve`` in a subprocess on a free port, logging to a file."""

    def __init__(self, env: Mapping[str, str], log_path: Path, workers: int, *daphne_args: str) -> None:
        self.log_path = log_path
        command = [sys.executable, "manage.py", "orion_serve", "--workers", str(workers), "--host", "127.0.0.1", "--port", "0"]
        if daphne_args:
            command += ["--", *daphne_args]
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env={**env, "ORION_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        port = wait_for(self._port, 60)
        assert port, f"orion_serve did not start:\n{self.log_tail()}"
        self.port = int(port)
        self.api_url = f"http://127.0.0.1:{self.port}/api"

    def log(self) -> str:
        """The whole log so far."""
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 80) -> str:
        """The end of the log, for failure messages."""
        return harness.log_tail(self.log_path, lines)

    def _port(self) -> str | None:
        match = SERVING_ON.search(self.log())
        return match[1] if match else None

    def worker_pids(self) -> dict[int, int]:
        """The latest pid of each worker slot, as the supervisor logged them."""
        return {int(index): int(pid) for index, pid in WORKER_STARTED.findall(self.log())}

    def wait_healthy(self, workers: int, timeout: float = 60.0) -> dict[int, int]:
        """Wait until ``workers`` workers were started and the port answers health."""
        assert wait_for(lambda: len(self.worker_pids()) >= workers, timeout), self.log_tail()
        problem = harness.wait_for_health(f"{self.api_url}/health", self.process, time.monotonic() + timeout)
        assert problem is None, f"{problem}\n{self.log_tail()}"
        return self.worker_pids()

    def stop(self) -> int:
        """SIGTERM the supervisor by its pid (it stops its workers); its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        return self.process.returncode


@contextlib.contextmanager
def orion_serve(env: Mapping[str, str], log_path: Path, workers: int, *daphne_args: str) -> Iterator[OrionServe]:
    """Run ``orion_serve`` for the block; stopped (and its workers with it) afterwards."""
    server = OrionServe(env, log_path, workers, *daphne_args)
    try:
        yield server
    finally:
        server.stop()


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False

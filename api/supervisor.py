"""The serving supervisor behind ``manage.py orion_serve``: N daphne workers on one port.

The supervisor binds the listening socket(s) itself and starts each worker as
``python -m daphne --fd <socket> orion_project.asgi:application``, so every worker
serves the same port. On Linux each worker gets its own ``SO_REUSEPORT`` socket and the
kernel spreads new connections evenly across them (a shared socket lets one busy worker
accept a whole burst); elsewhere the workers share one socket. The supervisor keeps the
sockets open, so connections that arrive while a worker restarts wait in its queue
instead of being refused.

A worker that exits is started again (at once if it had been up for a while, after a
growing pause of up to 30 s if it keeps dying young). SIGTERM or SIGINT stops every
worker (SIGTERM, then SIGKILL after a grace period) and ends the supervisor. On Linux a
worker also gets SIGTERM when the supervisor itself dies, so no orphan keeps the port.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from types import FrameType

logger = logging.getLogger("orion.serve")

APPLICATION = "orion_project.asgi:application"
BACKLOG = 1024
POLL_SECONDS = 0.5
# A worker that lived this long is restarted at once; one that died sooner waits.
STABLE_SECONDS = 10.0
MAX_RESTART_DELAY = 30.0
STOP_TIMEOUT = 15.0
_PR_SET_PDEATHSIG = 1


def default_workers(vendor: str) -> int:
    """Workers when none are asked for: 1 on SQLite (it has one writer at a time), else
    one per core this process may use."""
    if vendor == "sqlite":
        return 1
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _reuse_port_balances() -> bool:
    # Only Linux spreads connections across SO_REUSEPORT sockets; BSDs hand them all to one.
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` listening sockets on ``host:port`` (IPv4), one per worker: separate
    ``SO_REUSEPORT`` sockets on Linux, else the same socket ``count`` times.

    ``port`` 0 picks a free port; every socket ends up on the same one.
    """
    try:
        address = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
    except socket.gaierror as exc:
        raise ValueError(f"{host!r} is not an IPv4 address or host name ({exc})") from None
    separate = _reuse_port_balances()
    sockets: list[socket.socket] = []
    try:
        for _ in range(count if separate else 1):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if separate:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((address, port))
            sock.listen(BACKLOG)
            sock.set_inheritable(True)
            port = sock.getsockname()[1]
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets if separate else sockets * count


def _die_with_parent() -> None:
    """In the child before exec (Linux): SIGTERM this worker when the supervisor dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclasses.dataclass
class Worker:
    """One worker slot: its socket and, while it runs, its process."""

    index: int
    sock: socket.socket
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    restart_delay: float = 0.0
    start_at: float = 0.0


class Supervisor:
    """Run ``workers`` daphne processes on ``host:port`` until SIGTERM/SIGINT."""

    def __init__(
        self,
        host: str,
        port: int,
        workers: int,
        daphne_args: Sequence[str] = (),
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("at least one worker is needed")
        self.host = host
        self.daphne_args = list(daphne_args)
        self.environ = dict(os.environ if environ is None else environ)
        self.sockets = listening_sockets(host, port, workers)
        self.port = self.sockets[0].getsockname()[1]
        self.workers = [Worker(index=i + 1, sock=sock) for i, sock in enumerate(self.sockets)]
        self._stopping = threading.Event()

    def command(self, worker: Worker) -> list[str]:
        """The command line of one worker."""
        return [sys.executable, "-m", "daphne", "--fd", str(worker.sock.fileno()), *self.daphne_args, APPLICATION]

    def start_worker(self, worker: Worker) -> None:
        """Start (or restart) the process of one worker slot."""
        worker.process = subprocess.Popen(
            self.command(worker),
            env=self.environ,
            pass_fds=(worker.sock.fileno(),),
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        worker.started = time.monotonic()
        logger.info("Started worker %d (pid %d)", worker.index, worker.process.pid)

    def request_stop(self, signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
        """Ask the supervisor to stop every worker and return (a signal handler)."""
        self._stopping.set()

    def run(self) -> int:
        """Start the workers, restart the ones that exit, stop them all when asked."""
        previous = {sig: signal.signal(sig, self.request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            logger.info("Serving on http://%s:%d with %d worker(s)", self.host, self.port, len(self.workers))
            for worker in self.workers:
                if not self._stopping.is_set():
                    self.start_worker(worker)
            while not self._stopping.wait(POLL_SECONDS):
                self._tend()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for sock in set(self.sockets):
                sock.close()
        logger.info("Stopped all workers")
        return 0

    def _tend(self) -> None:
        """Notice exited workers and start them again when their pause is over."""
        now = time.monotonic()
        for worker in self.workers:
            if worker.process is not None and worker.process.poll() is not None:
                code = worker.process.returncode
                lived = now - worker.started
                if lived >= STABLE_SECONDS:
                    worker.restart_delay = 0.0
                else:
                    worker.restart_delay = min(max(1.0, worker.restart_delay * 2), MAX_RESTART_DELAY)
                how = f"signal {-code}" if code < 0 else f"code {code}"
                logger.warning(
                    "Worker %d (pid %d) exited with %s after %.1f s; restarting in %.0f s",
                    worker.index,
                    worker.process.pid,
                    how,
                    lived,
                    worker.restart_delay,
                )
                worker.process = None
                worker.start_at = now + worker.restart_delay
            if worker.process is None and now >= worker.start_at:
                self.start_worker(worker)

    def _stop_all(self) -> None:
        """SIGTERM every worker, wait up to STOP_TIMEOUT, then SIGKILL the rest."""
        running = [w.process for w in self.workers if w.process is not None and w.process.poll() is None]
        for process in running:
            try:
                process.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("Worker pid %d did not stop in %.0f s; killing it", process.pid, STOP_TIMEOUT)
                process.kill()
                process.wait()

"""A private nginx reverse proxy in front of a live server, for the URL-prefix tests.

nginx runs in the foreground (``daemon off``) with its own configuration, prefix
directory, pid file and logs in a temporary directory, on a free loopback port, and is
stopped by its PID. It proxies ``/prefect/`` (HTTP and websocket upgrades) to the server
in one of two ways real deployments use:

* ``forward``: the path is passed on as it is (``/prefect/api/flows/``); the server is told
  its prefix by ``ORION_URL_PREFIX`` or ``daphne --root-path``.
* ``strip``: nginx removes the prefix (``/api/flows/``) and names it in the
  ``Daphne-Root-Path`` header, which daphne turns into the ASGI ``root_path``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.compat.harness import free_port, log_tail, stop_process

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
PREFIX = "/prefect"
START_TIMEOUT = 15.0

_CONFIG = """\
daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    client_max_body_size 20m;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{port};
        location {prefix}/ {{
            proxy_pass http://127.0.0.1:{upstream}{upstream_path};
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            {extra}
            proxy_read_timeout 300s;
        }}
    }}
}}
"""


def missing_nginx() -> str | None:
    """Why the proxy tests cannot run here, or None."""
    if NGINX is None:
        return "nginx is not installed: run tests/proxy/install_servers.sh as root"
    return None


@dataclasses.dataclass
class Proxy:
    """A running nginx: ``url`` is the prefixed address (``http://127.0.0.1:PORT/prefect``)."""

    origin: str
    url: str
    root: Path

    def error_log(self) -> str:
        """The tail of nginx's error log (for failure messages)."""
        return log_tail(self.root / "error.log")


def _wait_for_port(port: int, process: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}:\n{log_tail(root / 'error.log')}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {port} within {START_TIMEOUT} s")


@contextlib.contextmanager
def reverse_proxy(upstream_port: int, mode: str = "forward", prefix: str = PREFIX) -> Iterator[Proxy]:
    """Run nginx proxying ``prefix`` to ``127.0.0.1:upstream_port`` (``forward`` or ``strip``)."""
    if mode not in ("forward", "strip"):
        raise ValueError(f"unknown proxy mode {mode!r}")
    root = Path(tempfile.mkdtemp(prefix="orion-nginx-"))
    (root / "tmp").mkdir()
    if os.geteuid() == 0:
        # As root, nginx's worker runs as an unprivileged user that writes the temp files.
        (root / "tmp").chmod(0o777)
    port = free_port()
    config = _CONFIG.format(
        root=root,
        port=port,
        prefix=prefix,
        upstream=upstream_port,
        upstream_path="/" if mode == "strip" else "",
        extra=f"proxy_set_header Daphne-Root-Path {prefix};" if mode == "strip" else "",
    )
    (root / "nginx.conf").write_text(config)
    with open(root / "stderr.log", "wb") as stderr:
        process = subprocess.Popen(
            [str(NGINX), "-p", str(root), "-c", str(root / "nginx.conf"), "-e", str(root / "error.log")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        _wait_for_port(port, process, root)
        origin = f"http://127.0.0.1:{port}"
        yield Proxy(origin=origin, url=origin + prefix, root=root)
    finally:
        stop_process(process, 15)
        shutil.rmtree(root, ignore_errors=True)

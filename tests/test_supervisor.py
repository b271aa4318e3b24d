"""``manage.py orion_serve`` (``api.supervisor``): N daphne workers on one port.

Requests land on every worker, a killed worker is replaced, SIGTERM stops them all, and
with Redis a websocket on one worker hears a state change made through the other and
stays connected for over a minute. Servers run as subprocesses on a free loopback port
against a throw-away database (PostgreSQL on PostgreSQL runs), stopped by their pid.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websocket
from django.core.management import CommandError, call_command

from api import supervisor
from tests.compat import harness
from tests.fixtures.polling import wait_for
from tests.multiprocess import OrionServe, orion_serve, pid_alive, serving_pid

NO_SERVICES = {f"PREFECT_API_SERVICES_{name}_ENABLED": "false" for name in harness.SERVICE_NAMES}
REDIS_URL = "redis://127.0.0.1:6379/0"
# Longer than a minute: the idle time after which websockets died with 1011 was ~8 s.
IDLE_SECONDS = 65.0


@pytest.fixture
def database_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A fresh migrated database for the servers of one test, services off."""
    with harness.migrated_database_env(tmp_path / "home") as env:
        yield {**env, **NO_SERVICES}


def test_default_workers_are_one_on_sqlite_and_the_cores_elsewhere() -> None:
    assert supervisor.default_workers("sqlite") == 1
    assert supervisor.default_workers("postgresql") == len(os.sched_getaffinity(0))


def test_every_worker_gets_its_own_socket_on_one_port() -> None:
    sockets = supervisor.listening_sockets("127.0.0.1", 0, 3)
    try:
        assert len({sock.fileno() for sock in sockets}) == 3
        assert len({sock.getsockname() for sock in sockets}) == 1
        assert all(sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()


def test_an_ipv6_or_unknown_host_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not an IPv4 address"):
        supervisor.listening_sockets("::1", 0, 1)


def test_a_worker_runs_daphne_on_its_socket_with_the_options_given() -> None:
    serving = supervisor.Supervisor("127.0.0.1", 0, 2, daphne_args=["--proxy-headers"])
    try:
        for worker in serving.workers:
            fd = str(worker.sock.fileno())
            assert serving.command(worker)[1:] == ["-m", "daphne", "--fd", fd, "--proxy-headers", supervisor.APPLICATION]
    finally:
        for sock in serving.sockets:
            sock.close()


def test_a_port_in_use_is_a_command_error_before_anything_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"Cannot listen on 127.0.0.1:{port}"):
            call_command("orion_serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1")


def get(port: int, path: str) -> tuple[http.client.HTTPConnection, Any]:
    """GET ``path`` on a new keep-alive connection; the (still open) connection and the JSON."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    response = conn.getresponse()
    assert response.status == 200
    return conn, json.loads(response.read())


def connection_on(server: OrionServe, pid: int, pids: set[int]) -> http.client.HTTPConnection:
    """An open HTTP connection that worker ``pid`` serves (new connections until one is)."""
    for _ in range(200):
        conn, _ = get(server.port, "/api/health")
        if serving_pid(conn.sock, pids) == pid:
            return conn
        conn.close()
    raise AssertionError(f"no connection reached worker {pid} in 200 tries")


def test_workers_share_the_port_a_dead_one_is_replaced_and_sigterm_stops_all(database_env, tmp_path: Path) -> None:
    with orion_serve(database_env, tmp_path / "serve.log", 2) as server:
        pids = set(server.wait_healthy(2).values())
        assert len(pids) == 2
        served = set()
        for _ in range(200):
            conn, healthy = get(server.port, "/api/health")
            assert healthy is True
            served.add(serving_pid(conn.sock, pids))
            conn.close()
            if served == pids:
                break
        assert served == pids, "new connections must reach both workers"

        victim = server.worker_pids()[1]
        os.kill(victim, signal.SIGKILL)
        replacement = wait_for(lambda: server.worker_pids()[1] != victim and server.worker_pids()[1], 60)
        assert replacement, server.log_tail()
        assert f"Worker 1 (pid {victim}) exited with signal 9" in server.log()
        # The replacement serves the port too (the killed worker's socket was kept open).
        connection_on(server, replacement, {replacement, server.worker_pids()[2]}).close()
        every_pid = pids | {replacement}
    assert server.process.returncode == 0, server.log_tail()
    assert not any(pid_alive(pid) for pid in every_pid)
    assert "Stopped all workers" in server.log()
    assert "Traceback" not in server.log(), server.log_tail()


def test_several_workers_without_redis_say_live_updates_stay_in_one_worker(database_env, tmp_path: Path) -> None:
    env = {key: value for key, value in database_env.items() if key != "REDIS_URL"}
    with orion_serve(env, tmp_path / "serve.log", 2) as server:
        server.wait_healthy(2)
    assert "without REDIS_URL: live updates (/api/live) reach only the websockets of the worker" in server.log()


def post(conn: http.client.HTTPConnection, path: str, body: dict[str, Any]) -> Any:
    """POST JSON on an open connection; the decoded answer (2xx expected)."""
    conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    payload = response.read()
    assert 200 <= response.status < 300, payload
    return json.loads(payload)


def live_socket_on(server: OrionServe, pid: int, pids: set[int]) -> websocket.WebSocket:
    """A websocket to /api/live served by worker ``pid``, subscribed to the runs list."""
    for _ in range(200):
        ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/api/live", timeout=30)
        if serving_pid(ws.sock, pids) == pid:
            ws.send(json.dumps({"subscribe": "flow_runs"}))
            assert json.loads(ws.recv()) == {"subscribed": "flow_runs"}
            return ws
        ws.close()
    raise AssertionError(f"no websocket reached worker {pid} in 200 tries")


def assert_stay_open_and_quiet(sockets: list[websocket.WebSocket], seconds: float) -> None:
    """For ``seconds``, every socket stays open: only keep-alive pings arrive (answered by
    the client), never a close frame or a message."""
    deadline = time.monotonic() + seconds
    by_fd = {ws.sock.fileno(): ws for ws in sockets}
    while (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select(list(by_fd), [], [], left)
        for fd in readable:
            opcode, frame = by_fd[fd].recv_data_frame(control_frame=True)
            assert opcode in (websocket.ABNF.OPCODE_PING, websocket.ABNF.OPCODE_PONG), (
                f"websocket got opcode {opcode} ({frame.data[:2].hex() if frame.data else ''}) while idle"
            )


def state_event(ws: websocket.WebSocket) -> dict[str, Any]:
    """The next event on ``ws`` (a flow-run state change of the runs list)."""
    event = json.loads(ws.recv())
    assert event["event"] == "flow_run_state", event
    return event


def test_a_websocket_on_one_worker_hears_changes_made_through_the_other_and_stays_open(
    database_env, tmp_path: Path
) -> None:
    env = {**database_env, "REDIS_URL": REDIS_URL, "ORION_REDIS_PREFIX": f"orion-test-{uuid.uuid4().hex}"}
    with orion_serve(env, tmp_path / "serve.log", 2) as server:
        worker_a, worker_b = server.wait_healthy(2).values()
        pids = {worker_a, worker_b}
        listener_a = live_socket_on(server, worker_a, pids)
        listener_b = live_socket_on(server, worker_b, pids)
        writer = connection_on(server, worker_b, pids)
        flow = post(writer, "/api/flows/", {"name": f"scale-{uuid.uuid4().hex[:8]}"})
        run = post(writer, "/api/flow_runs/", {"flow_id": flow["id"], "state": {"type": "PENDING"}})
        assert post(writer, f"/api/flow_runs/{run['id']}/set_state", {"state": {"type": "RUNNING"}})["status"] == "ACCEPT"
        writer.close()

        # Made through worker B, heard on worker A (and on B): the run's creation, then RUNNING.
        for listener in (listener_a, listener_b):
            assert [state_event(listener)["state_type"] for _ in range(2)] == ["PENDING", "RUNNING"]

        assert_stay_open_and_quiet([listener_a, listener_b], IDLE_SECONDS)

        writer = connection_on(server, worker_b, pids)
        post(writer, f"/api/flow_runs/{run['id']}/set_state", {"state": {"type": "COMPLETED"}})
        writer.close()
        for listener in (listener_a, listener_b):
            assert state_event(listener) == {
                "event": "flow_run_state",
                "flow_run_id": run["id"],
                "state_type": "COMPLETED",
                "state_name": "Completed",
            }
        listener_a.close()
        listener_b.close()
    assert "Traceback" not in server.log(), server.log_tail()

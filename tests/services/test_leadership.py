"""Leader election of the services (``api.services.leadership``).

In-process: two electors stand for two processes (each with its own PostgreSQL lock
session, or its own lease holder on SQLite); exactly one runs a service, a release or
the leader's death hands it over at the other's next pass. Across processes:
``orion_serve`` with two workers runs each service in one of them, and when the leader
is killed with SIGKILL the other takes over without scheduling any run twice; two
schedulers racing without election do not either.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from api.crud import locks
from api.models import ServiceLease
from api.services import launcher, leadership
from api.services.base import LoopService
from tests.fixtures.polling import wait_for
from tests.multiprocess import orion_serve
from tests.fixtures.processes import DJANGO_PRELUDE, race, run_django_script

# A lease far longer than any test, so no keeper renews during one (renewal is exercised
# by the process tests).
LONG_LEASE = 3600.0


def elector(service: str) -> leadership.Leadership:
    """One process's view of ``service`` on this database."""
    if connection.vendor == "postgresql":
        return leadership.AdvisoryLockLeadership(service, session=locks.LockSession())
    return leadership.LeaseLeadership(service, lease_seconds=LONG_LEASE)


def die(leader: leadership.Leadership) -> None:
    """What the death of ``leader``'s process does to its hold on the service."""
    if isinstance(leader, leadership.AdvisoryLockLeadership):
        # PostgreSQL ends a dead process's session, and its locks with it.
        key = locks.advisory_key(f"service:{leader.service}") % 2**64
        # pg_locks spans the cluster: only this test database's holder.
        holder = (
            "FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid::bigint = %s AND objid::bigint = %s"
        )
        params = [key >> 32, key & 0xFFFFFFFF]
        other = locks.open_postgres_connection()
        try:
            other.execute(f"SELECT pg_terminate_backend(pid) {holder}", params)
            # Termination is asynchronous: the process is dead once its session is gone.
            assert wait_for(lambda: other.execute(f"SELECT count(*) {holder}", params).fetchone() == (0,), 30)
        finally:
            other.close()
    else:
        # Nobody renews a dead process's lease: it runs out.
        ServiceLease.objects.filter(name=leader.service).update(expires=timezone.now())


@pytest.fixture
def pair(transactional_db: None) -> Iterator[tuple[leadership.Leadership, leadership.Leadership]]:
    """Two electors for one service, released afterwards."""
    first, second = elector("TestService"), elector("TestService")
    yield first, second
    for each in (first, second):
        each.release()
        if isinstance(each, leadership.AdvisoryLockLeadership):
            each.session.close()


def test_one_of_two_processes_runs_the_service_and_keeps_it(pair) -> None:
    first, second = pair
    assert first.hold() is True
    assert second.hold() is False
    assert [first.hold(), second.hold(), first.hold()] == [True, False, True]


def test_a_release_hands_the_service_over_at_the_next_pass(pair) -> None:
    first, second = pair
    first.hold()
    second.hold()
    first.release()
    assert second.hold() is True
    assert first.hold() is False


def test_when_the_leader_dies_the_other_takes_over_at_its_next_pass(pair, caplog) -> None:
    first, second = pair
    assert first.hold() and not second.hold()
    die(first)
    assert second.hold() is True
    with caplog.at_level(logging.INFO, logger="orion.services"):
        # The old leader (were it alive after all) stands by from its next pass on.
        assert first.hold() is False
        assert first.hold() is False
    assert "TestService: another process runs it" in caplog.text


def test_an_election_that_fails_counts_as_not_leading(pair, monkeypatch, caplog) -> None:
    first, _ = pair

    def broken() -> bool:
        raise RuntimeError("database unreachable")

    monkeypatch.setattr(first, "_hold", broken)
    with caplog.at_level(logging.WARNING, logger="orion.services"):
        assert first.hold() is False
    assert "TestService: could not check which process runs it" in caplog.text


def test_the_database_decides_the_election_and_leases_last_one_interval(db) -> None:
    chosen = leadership.for_service("Scheduler", 5.0)
    if connection.vendor == "postgresql":
        assert isinstance(chosen, leadership.AdvisoryLockLeadership)
        assert chosen.session is leadership.process_lock_session()
    else:
        assert isinstance(chosen, leadership.LeaseLeadership)
        assert chosen.lease.total_seconds() == 5.0
        assert leadership.for_service("Scheduler", 0.1).lease.total_seconds() == leadership.MIN_LEASE_SECONDS


def test_the_launcher_starts_every_service_under_election(monkeypatch) -> None:
    started: list[LoopService] = []
    monkeypatch.setattr(LoopService, "start", lambda self: started.append(self))
    monkeypatch.setattr(leadership, "for_service", lambda service, loop_seconds: (service, loop_seconds))
    launcher.start_services()
    try:
        assert started and all(service.leadership == (service.name, service.loop_seconds) for service in started)
    finally:
        launcher.stop_services()


# --- Across processes --------------------------------------------------------------------

_SEED_DEPLOYMENT = textwrap.dedent(
    """
    from django.db import transaction
    from api.crud import deployments, flows
    from api.schemas.actions import DeploymentCreate, FlowCreate
    with transaction.atomic():  # as the API's write transaction
        flow, _ = flows.create_flow(FlowCreate(name="leader-flow"))
        row, _ = deployments.create_deployment(DeploymentCreate.model_validate(
            {"name": NAME, "flow_id": str(flow.id), "schedule": {"interval": 600}}))
    print(row.id)
    """
)

_RUN_COUNTS = textwrap.dedent(
    """
    from django.db.models import Count
    from api.models import FlowRun
    rows = FlowRun.objects.filter(auto_scheduled=True).values("deployment_id").annotate(
        runs=Count("id"), slots=Count("expected_start_time", distinct=True),
        keys=Count("idempotency_key", distinct=True))
    for row in rows:
        print(row["deployment_id"], row["runs"], row["slots"], row["keys"])
    """
)


def seed_deployment(env: dict[str, str], name: str) -> str:
    """Create a deployment scheduled every 10 minutes; its id."""
    return run_django_script(f"NAME = {name!r}\n" + _SEED_DEPLOYMENT, env).strip()


def run_counts(env: dict[str, str]) -> dict[str, tuple[int, int, int]]:
    """Per deployment: auto-scheduled runs, distinct start times, distinct idempotency keys."""
    out = run_django_script(_RUN_COUNTS, env)
    return {dep: (int(runs), int(slots), int(keys)) for dep, runs, slots, keys in (line.split() for line in out.splitlines())}


def leaders(log: str, service: str) -> list[int]:
    """The pids that took ``service`` over, in the order the log says they did."""
    return [int(pid) for pid in re.findall(rf"orion\.services: {service}: this process \(pid (\d+)\) runs it now", log)]


SCHEDULER_ONLY = {
    "PREFECT_API_SERVICES_SCHEDULER_ENABLED": "true",
    "PREFECT_API_SERVICES_SCHEDULER_LOOP_SECONDS": "1",
    "PREFECT_API_SERVICES_LATE_RUNS_ENABLED": "false",
    "PREFECT_API_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",
    "PREFECT_API_SERVICES_CANCELLATION_CLEANUP_ENABLED": "false",
    "PREFECT_API_SERVICES_FLOW_RUN_NOTIFICATIONS_ENABLED": "false",
}


def test_a_killed_leader_is_replaced_and_no_run_is_scheduled_twice(scratch_database_env, tmp_path: Path) -> None:
    env = {**scratch_database_env, **SCHEDULER_ONLY}
    first = seed_deployment(env, "before")
    with orion_serve(env, tmp_path / "serve.log", 2) as server:
        workers = set(server.wait_healthy(2).values())
        assert wait_for(lambda: leaders(server.log(), "Scheduler"), 60), server.log_tail()
        assert wait_for(lambda: first in run_counts(env), 60), server.log_tail()
        [leader] = leaders(server.log(), "Scheduler")
        assert leader in workers
        # Exactly one worker runs it; the other stands by.
        [survivor] = workers - {leader}
        assert wait_for(lambda: f"orion.services: Scheduler: another process runs it; pid {survivor} stands by" in server.log(), 30)

        os.kill(leader, signal.SIGKILL)
        second = seed_deployment(env, "after")
        assert wait_for(lambda: len(leaders(server.log(), "Scheduler")) >= 2, 60), server.log_tail()
        assert leaders(server.log(), "Scheduler")[1] == survivor
        assert wait_for(lambda: second in run_counts(env), 60), server.log_tail()
        # The supervisor restarts the killed worker; it finds the service taken.
        replacement = wait_for(lambda: set(server.worker_pids().values()) - workers, 60)
        assert replacement, server.log_tail()
        [replacement_pid] = replacement
        stands_by = f"orion.services: Scheduler: another process runs it; pid {replacement_pid} stands by"
        assert wait_for(lambda: stands_by in server.log(), 60), server.log_tail()

    counts = run_counts(env)
    for deployment in (first, second):
        runs, slots, keys = counts[deployment]
        assert runs == slots == keys > 0, counts
    assert leaders(server.log(), "Scheduler") == [leader, survivor]


_RACE = textwrap.dedent(
    """
    from api.services.scheduler import Scheduler
    for _ in range(PASSES):
        Scheduler().run_once()
    """
)


def test_schedulers_racing_without_election_never_schedule_a_run_twice(scratch_database_env) -> None:
    env = scratch_database_env
    deployments = [seed_deployment(env, f"race-{i}") for i in range(3)]
    race(DJANGO_PRELUDE + "PASSES = 5\n" + _RACE, env, 3)
    counts = run_counts(env)
    assert set(counts) == set(deployments)
    assert len({counts[d] for d in deployments}) == 1, counts  # same schedule, same runs
    for runs, slots, keys in counts.values():
        assert runs == slots == keys > 0, counts

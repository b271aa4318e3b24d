"""``LoopService`` during a database outage: one warning line per failed loop, no traceback,
and the loop goes on."""

from __future__ import annotations

import logging
import threading
import time

import psycopg_pool
import pytest
from django import db

from api.services.base import LoopService


def test_an_outage_logs_one_line_per_failed_loop(caplog: pytest.LogCaptureFixture) -> None:
    passes = threading.Semaphore(0)

    class NeedsTheDatabase(LoopService):
        default_loop_seconds = 0.01

        def run_once(self) -> None:
            passes.release()
            try:
                raise psycopg_pool.PoolTimeout("couldn't get a connection after 3.00 sec")
            except psycopg_pool.PoolTimeout as exc:
                raise db.OperationalError(str(exc)) from exc

    service = NeedsTheDatabase()
    with caplog.at_level(logging.WARNING, logger="orion.services"):
        service.start()
        try:
            deadline = time.monotonic() + 10
            for _ in range(3):
                assert passes.acquire(timeout=max(0.0, deadline - time.monotonic())), "the loop stopped"
        finally:
            service.stop()
    failures = [record for record in caplog.records if "NeedsTheDatabase failed" in record.getMessage()]
    assert len(failures) >= 2
    assert all(record.exc_info is None and record.levelno == logging.WARNING for record in failures)
    assert "database unavailable (OperationalError: couldn't get a connection" in failures[0].getMessage()


def test_other_failures_still_log_their_traceback(caplog: pytest.LogCaptureFixture) -> None:
    failed = threading.Event()

    class Buggy(LoopService):
        default_loop_seconds = 0.01

        def run_once(self) -> None:
            failed.set()
            raise KeyError("bug")

    service = Buggy()
    with caplog.at_level(logging.WARNING, logger="orion.services"):
        service.start()
        try:
            assert failed.wait(10)
        finally:
            service.stop()
    assert any(record.exc_info for record in caplog.records if "Buggy failed" in record.getMessage())

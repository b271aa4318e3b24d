"""Every ``LoopService`` records a heartbeat row after each successful loop (and only
then), which ``/api/ready`` and the service metrics read from any process."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import OperationalError

from api import models
from api.crud import monitoring
from api.services.base import LoopService
from tests.fixtures.polling import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


class Counting(LoopService):
    """A service that counts its loops and fails when told to."""

    default_loop_seconds = 0.01

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.fail = fail
        self.loops = 0
        self.lock = threading.Lock()

    def run_once(self) -> None:
        with self.lock:
            self.loops += 1
        if self.fail:
            raise RuntimeError("this loop fails")


def heartbeat(name: str) -> models.ServiceHeartbeat | None:
    """The service's row; None while the service's thread holds the table.

    The SQLite test database is in memory with a shared cache, where a read that meets
    another connection's write lock fails at once ("database table is locked") instead of
    waiting out the busy timeout, so the poll treats it as "not yet".
    """
    try:
        return models.ServiceHeartbeat.objects.filter(name=name).first()
    except OperationalError as exc:
        if "is locked" not in str(exc):
            raise
        return None


def test_a_successful_loop_records_when_how_long_and_where() -> None:
    service = Counting()
    service.start()
    try:
        assert wait_for(lambda: heartbeat("Counting") is not None)
        first = heartbeat("Counting")
        # Later loops move the same row forward instead of adding rows.
        assert wait_for(lambda: (row := heartbeat("Counting")) is not None and row.last_success > first.last_success)
    finally:
        service.stop()

    assert models.ServiceHeartbeat.objects.filter(name="Counting").count() == 1
    row = heartbeat("Counting")
    assert row.loop_seconds == pytest.approx(0.01)
    assert 0 <= row.last_duration_seconds < 10
    assert row.process.endswith(f":{os.getpid()}")


def test_a_failing_loop_records_nothing() -> None:
    service = Counting(fail=True)
    service.start()
    try:
        assert wait_for(lambda: service.loops >= 3)
    finally:
        service.stop()

    assert heartbeat("Counting") is None


def test_a_heartbeat_that_cannot_be_written_does_not_stop_the_loop(monkeypatch, caplog) -> None:
    def unavailable(*args: object, **kwargs: object) -> None:
        raise OperationalError("database is down")

    monkeypatch.setattr(monitoring, "record_heartbeat", unavailable)
    service = Counting()
    with caplog.at_level("WARNING", logger="orion.services"):
        service.start()
        try:
            assert wait_for(lambda: service.loops >= 3)
        finally:
            service.stop()

    warnings = [record for record in caplog.records if "could not record its heartbeat" in record.getMessage()]
    assert warnings and all(record.exc_info is None for record in warnings)  # one line each, no traceback


def test_the_interval_comes_from_the_service_setting(settings) -> None:
    class Configured(LoopService):
        loop_seconds_setting = "ORION_TEST_CONFIGURED_LOOP_SECONDS"
        default_loop_seconds = 7.0

        def run_once(self) -> None:
            """Nothing to do."""

    assert Configured.configured_loop_seconds() == 7.0
    settings.ORION_TEST_CONFIGURED_LOOP_SECONDS = 2.5
    assert Configured.configured_loop_seconds() == 2.5
    assert Configured().loop_seconds == 2.5
    assert Configured(loop_seconds=1).loop_seconds == 1.0

"""The launcher: which processes run services, and services that fail stay contained."""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Iterator

import pytest

from api.services import launcher, leadership
from api.services.base import LoopService
from tests.fixtures.polling import wait_for


@pytest.mark.parametrize(
    ("argv", "environ", "serving"),
    [
        (["/venv/bin/daphne", "-b", "127.0.0.1", "orion_project.asgi:application"], {}, True),
        (["/venv/bin/uvicorn", "orion_project.asgi:application"], {}, True),
        # ``python -m daphne``: argv[0] is the package's __main__.py.
        (["/venv/lib/site-packages/daphne/__main__.py", "orion_project.asgi:application"], {}, True),
        (["manage.py", "runserver", "127.0.0.1:4200"], {"RUN_MAIN": "true"}, True),
        (["manage.py", "runserver", "--noreload"], {}, True),
        # The autoreloader's parent only watches files; its child serves.
        (["manage.py", "runserver", "127.0.0.1:4200"], {}, False),
        (["manage.py", "migrate"], {}, False),
        (["manage.py", "shell"], {}, False),
        (["manage.py", "orion_services"], {}, False),
        (["/venv/bin/pytest", "tests"], {}, False),
        (["/venv/lib/site-packages/pytest/__main__.py", "tests"], {}, False),
        ([], {}, False),
    ],
)
def test_only_serving_processes_start_services(argv: list[str], environ: dict[str, str], serving: bool) -> None:
    assert launcher.is_serving_process(argv, environ) is serving


def test_this_test_process_is_not_armed() -> None:
    assert launcher.start_if_serving() is False


class _Recorder:
    """Counts calls across the fake services of one test."""

    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()

    def hit(self) -> int:
        with self.lock:
            self.calls += 1
            return self.calls


@pytest.fixture
def fake_services(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.SimpleNamespace]:
    """A module of fake services, installed as SERVICES (with one that cannot be imported)."""
    recorder = _Recorder()

    class Healthy(LoopService):
        default_loop_seconds = 0.01

        def run_once(self) -> None:
            recorder.hit()

    class CannotStart(LoopService):
        def __init__(self) -> None:
            raise RuntimeError("broken constructor")

        def run_once(self) -> None:
            """Never reached."""

    class Disabled(LoopService):
        enabled_setting = "ORION_TEST_FAKE_SERVICE_ENABLED"

        def run_once(self) -> None:
            recorder.hit()

    module = types.ModuleType("orion_fake_services")
    module.Healthy, module.CannotStart, module.Disabled = Healthy, CannotStart, Disabled
    monkeypatch.setitem(sys.modules, module.__name__, module)
    # These fakes test containment, not election (tests/services/test_leadership.py):
    # they run unelected, without a database.
    monkeypatch.setattr(leadership, "for_service", lambda service, loop_seconds: None)
    monkeypatch.setattr(
        launcher,
        "SERVICES",
        (
            "orion_fake_services.CannotStart",
            "orion_fake_services.Missing",
            "orion_fake_services.Disabled",
            "orion_fake_services.Healthy",
        ),
    )
    yield types.SimpleNamespace(recorder=recorder, Healthy=Healthy)
    launcher.stop_services()


def test_a_service_that_cannot_load_or_start_does_not_stop_the_others(fake_services) -> None:
    started = launcher.start_services({"ORION_TEST_FAKE_SERVICE_ENABLED": False})

    assert [type(service) for service in started] == [fake_services.Healthy]
    assert wait_for(lambda: fake_services.recorder.calls >= 2)


def test_stop_services_ends_the_threads(fake_services) -> None:
    started = launcher.start_services({"ORION_TEST_FAKE_SERVICE_ENABLED": False})
    threads = [service._thread for service in started]

    launcher.stop_services()

    assert threads and not any(thread.is_alive() for thread in threads)


def test_the_loop_survives_an_exception_in_run_once() -> None:
    recorder = _Recorder()

    class FailsFirst(LoopService):
        default_loop_seconds = 0.01

        def run_once(self) -> None:
            if recorder.hit() == 1:
                raise RuntimeError("first pass fails")

    service = FailsFirst()
    thread = service.start()
    try:
        assert wait_for(lambda: recorder.calls >= 3)
    finally:
        service.stop()
    assert not thread.is_alive()


def test_every_listed_service_has_its_enable_flag_and_interval(settings) -> None:
    classes = launcher.enabled_services()
    names = {cls.__name__ for cls in classes}
    assert names == {
        "Scheduler",
        "RecentDeploymentsScheduler",
        "MarkLateRuns",
        "FailExpiredPauses",
        "CancellationCleanup",
        "FlowRunNotifications",
        "CrashedRuns",
        "Retention",
    }
    settings.PREFECT_API_SERVICES_SCHEDULER_LOOP_SECONDS = 61
    settings.PREFECT_API_SERVICES_LATE_RUNS_LOOP_SECONDS = 6
    settings.PREFECT_API_SERVICES_PAUSE_EXPIRATIONS_LOOP_SECONDS = 7
    settings.PREFECT_API_SERVICES_CANCELLATION_CLEANUP_LOOP_SECONDS = 21
    settings.PREFECT_API_SERVICES_FLOW_RUN_NOTIFICATIONS_LOOP_SECONDS = 3
    settings.PREFECT_API_SERVICES_CRASHED_RUNS_LOOP_SECONDS = 62
    settings.PREFECT_API_SERVICES_RETENTION_LOOP_SECONDS = 3601
    intervals = {cls.__name__: cls().loop_seconds for cls in classes}
    assert intervals == {
        "Scheduler": 61.0,
        # The recent-deployments pass has a fixed 5 s interval.
        "RecentDeploymentsScheduler": 5.0,
        "MarkLateRuns": 6.0,
        "FailExpiredPauses": 7.0,
        "CancellationCleanup": 21.0,
        "FlowRunNotifications": 3.0,
        "CrashedRuns": 62.0,
        "Retention": 3601.0,
    }
    settings.PREFECT_API_SERVICES_LATE_RUNS_ENABLED = False
    settings.PREFECT_API_SERVICES_SCHEDULER_ENABLED = False
    settings.PREFECT_API_SERVICES_CRASHED_RUNS_ENABLED = False
    settings.PREFECT_API_SERVICES_RETENTION_ENABLED = False
    remaining = {cls.__name__ for cls in launcher.enabled_services()}
    assert remaining == {"FailExpiredPauses", "CancellationCleanup", "FlowRunNotifications"}

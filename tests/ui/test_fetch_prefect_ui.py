"""``manage.py orion_fetch_prefect_ui`` and the checks of ``PREFECT_UI_FLAVOR``, with a
stand-in wheel (the real download is exercised by tests/ui/test_prefect_ui.py)."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings

from ui import checks, prefect_ui


def make_wheel(directory: Path, members: dict[str, str]) -> Path:
    """A zip named like the prefect wheel, holding ``members``."""
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / prefect_ui.WHEEL_NAME
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return wheel


def pin(monkeypatch: pytest.MonkeyPatch, wheel: Path) -> None:
    monkeypatch.setattr(prefect_ui, "WHEEL_SHA256", hashlib.sha256(wheel.read_bytes()).hexdigest())


def test_a_cached_wheel_is_verified_and_only_its_ui_extracted(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    wheel = make_wheel(cache, {"prefect/server/ui/index.html": "<title>Prefect Server</title>", "prefect/server/ui/assets/a.js": "x", "prefect/__init__.py": ""})
    pin(monkeypatch, wheel)
    settings.PREFECT_UI_PREFECT_ROOT = str(tmp_path / "home" / "ui" / "prefect-2.8.7")
    call_command("orion_fetch_prefect_ui", "--cache-dir", str(cache))
    root = Path(settings.PREFECT_UI_PREFECT_ROOT)
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == ["assets/a.js", "index.html"]


def test_a_wheel_with_the_wrong_hash_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = make_wheel(tmp_path / "dl", {"prefect/server/ui/index.html": "tampered"})
    monkeypatch.setattr(prefect_ui, "WHEEL_SHA256", "0" * 64)

    def fake_pip(command: list[str], **kwargs: object) -> object:
        target = Path(command[command.index("-d") + 1]) / prefect_ui.WHEEL_NAME
        target.write_bytes(wheel.read_bytes())
        return type("Done", (), {"returncode": 0, "stderr": "", "stdout": ""})()

    monkeypatch.setattr(prefect_ui.subprocess, "run", fake_pip)
    with pytest.raises(CommandError, match="expected 0{64}"):
        call_command("orion_fetch_prefect_ui", "--cache-dir", str(tmp_path / "cache"))


def test_a_wheel_without_a_ui_is_refused_and_nothing_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = make_wheel(tmp_path, {"prefect/__init__.py": ""})
    target = tmp_path / "ui"
    (target).mkdir()
    (target / "index.html").write_text("old")
    with pytest.raises(prefect_ui.FetchError, match="no prefect/server/ui/index.html"):
        prefect_ui.extract_ui(wheel, target)
    assert (target / "index.html").read_text() == "old"


def test_flavor_checks(tmp_path: Path, settings: Settings) -> None:
    settings.PREFECT_UI_FLAVOR = "orion"
    assert checks.check_ui_flavor() == []
    settings.PREFECT_UI_FLAVOR = "fancy"
    assert [e.id for e in checks.check_ui_flavor()] == ["orion_ui.E001"]
    settings.PREFECT_UI_FLAVOR = "prefect"
    settings.PREFECT_UI_PREFECT_ROOT = str(tmp_path / "missing")
    assert [e.id for e in checks.check_ui_flavor()] == ["orion_ui.E002"]
    (tmp_path / "missing").mkdir()
    (tmp_path / "missing" / "index.html").write_text("ui")
    assert checks.check_ui_flavor() == []

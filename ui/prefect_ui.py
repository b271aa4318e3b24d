"""The official Prefect 2.8.7 UI as an option: fetch its wheel, extract the built UI.

The UI ships inside the published ``prefect==2.8.7`` wheel (``prefect/server/ui/``). The
wheel is downloaded with pip (so the user's index settings apply), checked against the
pinned sha256, and read as a zip archive: nothing is installed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PREFECT_VERSION = "2.8.7"
WHEEL_NAME = f"prefect-{PREFECT_VERSION}-py3-none-any.whl"
# sha256 of the wheel on PyPI (also pinned in tests/compat/requirements-prefect-2.8.7.txt).
WHEEL_SHA256 = "da14d0ca1d7b7be53ed93ab2eafff5269baae0fba970af093dba95ed20a54b70"
UI_PREFIX = "prefect/server/ui/"


class FetchError(Exception):
    """The wheel could not be downloaded, or is not the one pinned."""


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_wheel(cache_dir: Path) -> Path:
    """The verified wheel in ``cache_dir``, downloaded with ``pip download`` unless cached."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    wheel = cache_dir / WHEEL_NAME
    if wheel.exists() and sha256_of(wheel) == WHEEL_SHA256:
        return wheel
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
            "--disable-pip-version-check", "-q", "-d", tmp, f"prefect=={PREFECT_VERSION}",
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        downloaded = Path(tmp) / WHEEL_NAME
        if result.returncode != 0 or not downloaded.exists():
            raise FetchError(f"pip download prefect=={PREFECT_VERSION} failed: {(result.stderr or result.stdout).strip()[-500:]}")
        actual = sha256_of(downloaded)
        if actual != WHEEL_SHA256:
            raise FetchError(f"{WHEEL_NAME} has sha256 {actual}, expected {WHEEL_SHA256}")
        shutil.move(str(downloaded), wheel)
    return wheel


def extract_ui(wheel: Path, target: Path) -> int:
    """Replace ``target`` with the wheel's built UI; the number of files written."""
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    count = 0
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.infolist():
            if member.is_dir() or not member.filename.startswith(UI_PREFIX):
                continue
            relative = Path(member.filename[len(UI_PREFIX):])
            # Wheel members are plain relative paths; refuse anything that would escape.
            if relative.is_absolute() or ".." in relative.parts:
                raise FetchError(f"unexpected path in {wheel.name}: {member.filename}")
            destination = staging / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, destination.open("wb") as out:
                shutil.copyfileobj(source, out)
            count += 1
    if not (staging / "index.html").exists():
        raise FetchError(f"{wheel.name} has no {UI_PREFIX}index.html")
    # Swap in whole, so a server never sees half a UI.
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return count

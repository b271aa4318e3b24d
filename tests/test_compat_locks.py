"""The compat clients' locks: every client version the harness knows has a hashed lock
that pins every package (so ``pip install --require-hashes`` accepts it) and agrees with
the tested pin set it was compiled from (``make lock`` was run after the ``.in`` changed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.compat import harness

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def normalise(name: str) -> str:
    """A package name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(path: Path) -> list[str]:
    """The requirement entries of a requirements file, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def pins(lines: list[str]) -> dict[str, str]:
    """``{normalised name: version}`` of requirement lines that must all be exact pins."""
    found = {}
    for line in lines:
        match = PIN.match(line)
        assert match, f"not an exact pin: {line!r}"
        found[normalise(match.group(1))] = match.group(2)
    return found


@pytest.mark.parametrize("version", harness.CLIENT_VERSIONS)
def test_lock_pins_and_hashes_every_package(version: str) -> None:
    lines = requirement_lines(harness.requirements_for(version))
    unhashed = [line.split()[0] for line in lines if "--hash=sha256:" not in line]
    assert not unhashed, f"entries without a hash: {unhashed}"
    assert pins(lines)["prefect"] == version


@pytest.mark.parametrize("version", harness.CLIENT_VERSIONS)
def test_lock_matches_its_tested_pin_set(version: str) -> None:
    lock = harness.requirements_for(version)
    tested = pins(requirement_lines(lock.with_suffix(".in")))
    locked = pins(requirement_lines(lock))
    differing = {name: (pin, locked.get(name)) for name, pin in tested.items() if locked.get(name) != pin}
    assert not differing, f"{lock.name} is out of date with its .in file (run `make lock`): {differing}"

"""``api.utilities.twisted_http``: the cached Content-Type parsing answers exactly as
twisted's own, and is only put in place on the twisted release it was checked against."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import twisted
from twisted.web import http

from api.utilities import twisted_http

_CONTENT_TYPES = [
    b"application/json",
    b"Application/JSON; charset=utf-8",
    b"application/x-www-form-urlencoded",
    b"multipart/form-data; boundary=----x",
    b"text/plain;",
    b"",
    b"garbage",
    b"a/b/c",
    b"\xff\xfe/x",
]


@pytest.fixture
def original() -> Iterator[object]:
    """Twisted's own function, put back after the test."""
    parse = http._parseContentType
    own = getattr(parse, "__wrapped__", parse)
    http._parseContentType = own
    yield own
    http._parseContentType = parse


def test_the_cache_answers_as_twisted_does(original: object) -> None:
    assert twisted_http.cache_content_type_parsing()
    cached = http._parseContentType
    assert cached is not original
    for _ in range(2):  # computed, then remembered
        assert [cached(value) for value in _CONTENT_TYPES] == [original(value) for value in _CONTENT_TYPES]
    assert twisted_http.cache_content_type_parsing() and http._parseContentType is cached, "applied once"


def test_another_twisted_release_keeps_its_own_parsing(original: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(twisted, "__version__", "0.0.0")
    assert not twisted_http.cache_content_type_parsing()
    assert http._parseContentType is original


def test_the_pinned_release_is_the_checked_one() -> None:
    # Upgrading twisted: check _parseContentType is still pure, then move the pin.
    assert twisted.__version__ == twisted_http.CHECKED_TWISTED_VERSION

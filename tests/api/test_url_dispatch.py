"""``api.utilities.urls``: resolving an API path through its first segment's group gives
exactly the match of Django's scan over Ninja's flat list, for every route; misses still
end in the API's JSON 404."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

from api.server import default_api
from api.utilities.urls import SegmentDispatchResolver

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_SAMPLES = {"uuid": str(uuid.UUID(int=0xABC)), "uuidstr": str(uuid.UUID(int=0xABC)), "int": "7", "path": "a/b", "slug": "a-b", "str": "name", None: "name"}


def _path_for(route: str) -> str:
    return _CONVERTER.sub(lambda m: _SAMPLES.get(m.group(1), "name"), route)


def _flat_root() -> URLResolver:
    """The root URLconf as it was: Ninja's patterns in one list under ``api/``."""
    patterns, app_name, namespace = default_api().urls
    flat = URLResolver(RoutePattern("api/"), patterns, app_name=app_name, namespace=namespace)
    return URLResolver(RegexPattern(r"^/"), [flat])


def _key(match):
    # Not the view itself: Ninja builds new view wrappers each time it lists its URLs.
    return (match.args, match.kwargs, match.url_name, match.route, match.app_names, match.namespaces)


def test_the_api_resolver_dispatches_by_segment():
    assert any(isinstance(p, SegmentDispatchResolver) for p in get_resolver().url_patterns)


# Ninja's root route is shadowed on purpose by the project's own "api/" (a JSON 404).
@pytest.mark.parametrize("route", [str(p.pattern) for p in default_api().urls[0] if str(p.pattern)])
def test_every_route_resolves_as_with_the_flat_list(route):
    path = "/api/" + _path_for(route)
    assert _key(get_resolver().resolve(path)) == _key(_flat_root().resolve(path))


@pytest.mark.parametrize("path", ["/api/task_runs/x/y/z", "/api/no_such_group/1", "/api/flows/x/y"])
def test_a_miss_takes_the_full_scan_to_the_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")

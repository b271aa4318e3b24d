"""``api.crud.paging.page``: offsets and limits of every ``/filter`` route, edges included."""

from __future__ import annotations

import pytest

from api import models
from api.crud.paging import page
from tests.fixtures.rows import new_flow

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "offset,limit,expected",
    [(0, None, ["a", "b", "c"]), (1, None, ["b", "c"]), (0, 2, ["a", "b"]), (2, 5, ["c"]), (3, 1, []), (0, 0, [])],
)
def test_pages(offset, limit, expected):
    for name in ("c", "a", "b"):
        new_flow(name)
    flows = models.Flow.objects.order_by("name")
    assert [flow.name for flow in page(flows, offset=offset, limit=limit)] == expected

"""``api.crud.lookups``: each step answers a missing row, or a write that touched none,
with ``NotFoundError`` carrying the caller's wire message."""

from __future__ import annotations

import pytest

from api import models
from api.crud import lookups
from api.schemas.actions import FlowUpdate
from tests.fixtures.rows import new_flow, not_found

pytestmark = pytest.mark.django_db


def test_a_present_row_is_returned_and_a_missing_one_raises_with_the_message():
    flow = new_flow()
    assert lookups.first_or_not_found(models.Flow.objects.filter(pk=flow.pk), "Flow not found") == flow
    assert lookups.require(flow, "Flow not found") is flow
    with not_found("Flow not found"):
        lookups.first_or_not_found(models.Flow.objects.none(), "Flow not found")
    with not_found("Flow not found"):
        lookups.require(None, "Flow not found")


def test_writes_that_touch_no_row_raise_and_those_that_do_are_kept():
    flow = new_flow()
    rows = models.Flow.objects.filter(pk=flow.pk)
    lookups.update_sent(rows, FlowUpdate(tags=["kept"]), "Flow not found")
    assert rows.get().tags == ["kept"]
    with not_found("Flow not found."):
        lookups.update_or_not_found(models.Flow.objects.none(), "Flow not found.", tags=[])
    lookups.delete_or_not_found(rows, "Flow not found")
    with not_found("Flow not found"):
        lookups.delete_or_not_found(rows, "Flow not found")

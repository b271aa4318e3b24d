"""Columns shared by flow runs and task runs (state pointers, times, counts), and their indexes."""

import datetime as dt

from django.db import models

from api.models.base import NamedModel


# The columns both run tables index, each as ``ix_<table>__<suffix>``.
RUN_INDEXES = {
    "name": "name",
    "state_type": "state_type",
    "state_name": "state_name",
    "state_timestamp": "state_timestamp",
    "expected_start_time": "expected_start",
    "next_scheduled_start_time": "next_scheduled",
    "start_time": "start_time",
    "end_time": "end_time",
    "created": "created",
}


def run_indexes(table: str, skip: tuple[str, ...] = ()) -> list[models.Index]:
    """The indexes of ``RUN_INDEXES`` for the run table ``table``, but for the columns in
    ``skip`` (those another index of the table leads with)."""
    return [
        models.Index(fields=[column], name=f"ix_{table}__{suffix}")
        for column, suffix in RUN_INDEXES.items()
        if column not in skip
    ]


# What the history reads of a RUNNING run: in the index, SQLite need not visit the row.
RUNNING_HISTORY_COLUMNS = ["expected_start_time", "state_type", "state_name", "state_timestamp", "start_time",
                           "total_run_time"]


def running_index(table: str) -> models.Index:
    """RUNNING runs by expected start time: the history reads them from the run table
    (``api.models.history`` leaves them out), and at any time they are few."""
    return models.Index(
        fields=RUNNING_HISTORY_COLUMNS, condition=models.Q(state_type="RUNNING"), name=f"ix_{table}__running_expected"
    )


class RunBase(NamedModel):
    """Abstract run: denormalised current state and the run-time bookkeeping."""

    state_type = models.CharField(max_length=10, null=True, blank=True)
    state_name = models.TextField(null=True, blank=True)
    state_timestamp = models.DateTimeField(null=True, blank=True)
    run_count = models.IntegerField(default=0)
    expected_start_time = models.DateTimeField(null=True, blank=True)
    next_scheduled_start_time = models.DateTimeField(null=True, blank=True)
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    total_run_time = models.DurationField(default=dt.timedelta(0))
    empirical_policy = models.JSONField(default=dict)
    tags = models.JSONField(default=list)

    class Meta:
        abstract = True

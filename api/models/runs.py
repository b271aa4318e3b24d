"""Columns shared by flow runs and task runs (state pointers, times, counts)."""

import datetime as dt

from django.db import models

from api.models.base import ORMBaseModel


class RunBase(ORMBaseModel):
    """Abstract run: denormalised current state and the run-time bookkeeping."""

    name = models.TextField()
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

    def __str__(self) -> str:
        return self.name

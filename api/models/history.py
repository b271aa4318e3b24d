"""Run history kept ahead of time: per minute of expected start time ("granule") and per
state, how many runs there are and the sums ``/flow_runs/history`` and
``/task_runs/history`` report, so that a history over a week of a million runs reads a
few thousand of these rows instead of every run.

Database triggers (migration ``0082_run_history_bins``) keep the rows: every insert,
delete and change of a run's state, times or run time moves the run from its old row to
its new one, in the same transaction, whoever writes the run (the API, a service, a bulk
load, the admin). A run's figures can be kept ahead of time only where they do not
depend on the clock, so the rows leave out RUNNING runs (their run time grows) and, for
runs that have not started, keep what is needed to work out their lateness at read time
(``unstarted``, ``unstarted_offset_us``). ``api.crud.history`` reads the rest from the
run table.

Times and durations are whole microseconds on both databases, so the reads do the same
integer arithmetic everywhere.
"""

from django.db import models

# The width of one granule. A history interval's edges (and the current time) fall inside
# at most one granule each, whose runs are read from the run table: narrow granules keep
# that part small, wide ones keep the rows few. A week by the hour reads ~11,000 granules.
GRANULE_SECONDS = 60


class RunHistoryBin(models.Model):
    """One (granule, state type, state name): its runs, but RUNNING ones, and their sums."""

    # floor(seconds since 1970-01-01 UTC of expected_start_time / GRANULE_SECONDS)
    granule = models.BigIntegerField()
    state_type = models.CharField(max_length=10)
    state_name = models.TextField()
    count_runs = models.BigIntegerField()
    # Sum of max(total_run_time, 0).
    run_time_us = models.BigIntegerField()
    # Sum of max(start_time - expected_start_time, 0) of the runs that started.
    lateness_us = models.BigIntegerField()
    # Runs that have not started and are not in a terminal state: late by (now - expected
    # start) once their expected start has passed.
    unstarted = models.BigIntegerField()
    # Their sum of (expected_start_time - the granule's start).
    unstarted_offset_us = models.BigIntegerField()

    class Meta:
        abstract = True


def bin_key(table: str) -> models.UniqueConstraint:
    """One bin per (granule, state type, state name) of the bin table ``table``: the
    triggers' upserts conflict on it."""
    return models.UniqueConstraint(fields=["granule", "state_type", "state_name"], name=f"uq_{table}__key")


class FlowRunHistoryBin(RunHistoryBin):
    """History bins of flow runs."""

    class Meta:
        db_table = "flow_run_history_bin"
        constraints = [bin_key(db_table)]


class TaskRunHistoryBin(RunHistoryBin):
    """History bins of task runs."""

    class Meta:
        db_table = "task_run_history_bin"
        constraints = [bin_key(db_table)]

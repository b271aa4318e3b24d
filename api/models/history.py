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

Each run is kept twice: per minute and per hour (migration ``0084``). A history whose
intervals are an hour or longer takes each whole hour from its hour bin, and the part of an
hour past an interval edge from the minute bins, so a week by the hour reads about half
as many minute bins and a few hundred hour bins.

Times and durations are whole microseconds on both databases, so the reads do the same
integer arithmetic everywhere.
"""

from django.db import models

# The width of one granule. A history interval's edges (and the current time) fall inside
# at most one granule each, whose runs are read from the run table: narrow granules keep
# that part small, wide ones keep the rows few. A week holds ~10,000 minute granules.
GRANULE_SECONDS = 60
# The width of the hour bins' granules.
HOUR_SECONDS = 3600


class RunHistoryBin(models.Model):
    """One (granule, state type, state name): its runs, but RUNNING ones, and their sums."""

    # The key is the primary key, so the rows of a time range lie together: on SQLite the
    # tables are ``WITHOUT ROWID`` (migration ``0083``), ordered by it. With a separate
    # rowid, bins made by the triggers as runs arrive were scattered over the file, and
    # reading a week's ~35,000 of them took 97 ms (session 8). A later migration that makes
    # Django rebuild these tables on SQLite would give them a rowid again
    # (``tests/crud/test_history_bins.py`` checks).
    pk = models.CompositePrimaryKey("granule", "state_type", "state_name")
    # floor(seconds since 1970-01-01 UTC of expected_start_time / the granule's width)
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


class FlowRunHistoryBin(RunHistoryBin):
    """History bins of flow runs."""

    class Meta:
        db_table = "flow_run_history_bin"


class TaskRunHistoryBin(RunHistoryBin):
    """History bins of task runs."""

    class Meta:
        db_table = "task_run_history_bin"


class FlowRunHistoryHourBin(RunHistoryBin):
    """History bins of flow runs, per hour."""

    class Meta:
        db_table = "flow_run_history_hour_bin"


class TaskRunHistoryHourBin(RunHistoryBin):
    """History bins of task runs, per hour."""

    class Meta:
        db_table = "task_run_history_hour_bin"

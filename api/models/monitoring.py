"""Service heartbeats: one row per background service, for readiness and metrics."""

from django.db import models


class ServiceHeartbeat(models.Model):
    """When a service last finished a loop without error, and how long that loop took.

    Written by the service's own process at the end of every successful loop, so any
    serving process can tell whether services running elsewhere are alive.
    """

    name = models.CharField(max_length=100, primary_key=True)
    last_success = models.DateTimeField()
    loop_seconds = models.FloatField()
    last_duration_seconds = models.FloatField()
    # Where the loop ran (hostname:pid), for an operator reading the table.
    process = models.CharField(max_length=255, default="", blank=True)

    class Meta:
        db_table = "service_heartbeat"

    def __str__(self) -> str:
        return self.name

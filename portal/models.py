from __future__ import annotations

from django.db import models


class ProcessHeartbeat(models.Model):
    """When a background process last proved it works (beat's tick, run by a worker)."""

    name = models.CharField(max_length=100, primary_key=True)
    last_seen = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"

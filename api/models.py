from __future__ import annotations

from django.db import models


class IdempotentRequest(models.Model):
    """A POST sent with an ``Idempotency-Key``: what it asked (a hash of its method, path and body) and what it
    got, so a retry gets the same answer and the same key with another request is refused (422)."""

    caller = models.CharField(max_length=255)  # the token's subject: keys are each caller's own
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    operation = models.ForeignKey("portal.Operation", null=True, blank=True, on_delete=models.SET_NULL)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["caller", "key"], name="one_request_per_caller_key")]

    def __str__(self) -> str:
        return f"{self.caller}: {self.key}"

"""The Celery worker's consumer, made to survive a restart of a Redis broker (``CELERY_WORKER_CONSUMER``).

When the broker connection is lost, Celery 5.7.0 first collects the connection (kombu 5.7.0's Redis
transport then detaches itself from the connection, leaving the channel open when reading from it fails)
and then closes it: closing the channel tries to put the worker's unacknowledged messages back on the
broker through the detached transport, and fails with ``AttributeError: 'NoneType' object has no
attribute 'hostname'``. Celery counts that as an unrecoverable error and the worker exits: every restart
of Redis took every worker down (found by tests/reliability).

Those messages cannot be put back anyway (the broker is gone, and with it, if it kept nothing on disk,
every message); the operations they carried are recovered by the claim's stale timeout and the sweeper
(portal.operations). So that one failure of the close is logged and the consumer reconnects as it would
have. Remove this once Celery closes a collected connection safely.
"""

from __future__ import annotations

import logging

from celery.worker.consumer import Consumer as CeleryConsumer

log = logging.getLogger(__name__)


class Consumer(CeleryConsumer):
    def on_connection_error_after_connected(self, exc: Exception) -> None:
        connection = self.connection
        if connection is not None:
            close = connection.close

            def close_detached() -> None:
                try:
                    close()
                except AttributeError as error:
                    log.warning("the lost broker connection could not put unacknowledged messages back (%s); "
                                "the sweeper re-sends their operations", error)

            connection.close = close_detached
        super().on_connection_error_after_connected(exc)

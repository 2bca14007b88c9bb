"""A guard around one kombu bug that makes a worker exit when Redis goes away.

When the broker connection drops, the worker's consumer closes its channel, and closing tries to put
the tasks it held back on the queue through the connection that has just been torn down (kombu's Redis
`Channel._connparams` reads `connection.client`, by then None). The AttributeError is "unrecoverable":
the worker exits instead of reconnecting (the path of celery/kombu issues #582 and #970, seen again with
kombu 5.7 in the soak's Redis outage). The tasks are safe without that restore: they stay in Redis's
unacked hash and kombu's `restore_visible` puts them back after the visibility timeout (the sweeps
re-queue pushes sooner). So on a torn-down connection the restore is skipped, and the consumer
reconnects as it does after any other connection error.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def install() -> None:
    from kombu.transport import redis as kombu_redis

    original = kombu_redis.QoS.restore_unacked
    if getattr(original, "portal_guard", False):
        return

    def restore_unacked(self: Any, client: Any = None) -> Any:
        if client is None and getattr(self.channel.connection, "client", None) is None:
            logger.warning(
                "broker connection gone: %d unacknowledged tasks stay in Redis until its visibility timeout",
                len(self._delivered),
            )
            return None
        return original(self, client)

    restore_unacked.portal_guard = True  # type: ignore[attr-defined]
    kombu_redis.QoS.restore_unacked = restore_unacked  # type: ignore[method-assign]

"""The Redis intake buffer: where a verified order webhook waits between Shopify's 200 and the database.

Why it exists: a database commit per delivery (plus a task published per delivery) is most of the cost
of answering a webhook, and a burst of order webhooks (a sale, a bulk edit, Shopify replaying a backlog)
arrives faster than one commit each allows. Appending to a Redis stream is one round trip with no
disk wait; a worker then moves the stream into `WebhookDelivery` rows in batches (`drain`).

What it promises: an entry leaves the stream only after its row is committed (XACK after the INSERT),
so a drain that dies mid-batch leaves its entries pending and the next drain claims them again after
`RECLAIM_AFTER_MS` (the INSERT ignores webhook ids and events already stored, so a second pass stores
nothing twice, and one event buffered under two webhook ids is stored once).
Production Redis keeps an append-only file (docker-compose.yml), so a Redis restart keeps the stream;
only a whole-machine crash can lose the last second of it, and only order topics are buffered, which the
incremental sync repairs anyway (`topics.HEALED_BY_SYNC`).

The drain flag: every append also sets `<stream>:drain` if absent, and only the append that set it
schedules a drain task; a drain deletes the flag *before* reading. So an entry appended after a drain's
last read sets the flag again and schedules another drain, and a burst schedules one task, not thousands.
"""

from __future__ import annotations

import functools
import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.commands.core import Script
from redis.retry import Retry

GROUP = "drain"
RECLAIM_AFTER_MS = 60_000  # an entry read but not acknowledged this long belongs to a dead drain
DRAIN_FLAG_SECONDS = 60  # a lost drain task is replaced by the next append after this, or by the beat

# XADD and the flag in one command: one round trip, and Redis runs the two with nothing in between.
_APPEND = """
redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
return redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) and 1 or 0
"""


@dataclass(frozen=True)
class IncomingDelivery:
    """A webhook that passed the signature and header checks: what the view hands to storage."""

    webhook_id: str
    topic: str
    shop_domain: str
    api_version: str
    event_id: str
    triggered_at: datetime | None
    received_at: datetime
    body: bytes  # the raw JSON, stored as sent (the view has checked that it is a JSON object)

    @functools.cached_property  # parsed once: the view checks it, the database path stores it
    def payload(self) -> Any:
        return json.loads(self.body)

    def to_stream_fields(self) -> dict[str, str | bytes]:
        return {
            "webhook_id": self.webhook_id,
            "topic": self.topic,
            "shop_domain": self.shop_domain,
            "api_version": self.api_version,
            "event_id": self.event_id,
            "triggered_at": self.triggered_at.isoformat() if self.triggered_at else "",
            "received_at": self.received_at.isoformat(),
            "body": self.body,
        }

    @classmethod
    def from_stream_fields(cls, fields: dict[bytes, bytes]) -> IncomingDelivery:
        text = {key.decode(): value for key, value in fields.items()}
        triggered_at = text["triggered_at"].decode()
        return cls(
            webhook_id=text["webhook_id"].decode(),
            topic=text["topic"].decode(),
            shop_domain=text["shop_domain"].decode(),
            api_version=text["api_version"].decode(),
            event_id=text["event_id"].decode(),
            triggered_at=datetime.fromisoformat(triggered_at) if triggered_at else None,
            received_at=datetime.fromisoformat(text["received_at"].decode()),
            body=text["body"],
        )


@functools.lru_cache(maxsize=1)
def _connection(pid: int, url: str) -> tuple[redis.Redis, Script]:
    """A client (and its pool) with the append script registered, per process and URL: a forked child
    (a gunicorn or Celery worker) builds its own. Fail fast: the view falls back to the database when
    Redis does not answer; one retry covers a pooled connection that went stale when Redis restarted."""
    redis_client = redis.Redis.from_url(
        url, socket_connect_timeout=1, socket_timeout=2, retry=Retry(NoBackoff(), 1)
    )
    return redis_client, redis_client.register_script(_APPEND)  # EVALSHA; reloaded if Redis forgot it


def client() -> redis.Redis:
    return _connection(os.getpid(), settings.REDIS_URL)[0]


def _flag_key() -> str:
    return f"{settings.WEBHOOK_INTAKE_STREAM}:drain"


def append(delivery: IncomingDelivery) -> bool:
    """Add a delivery to the stream; True when the caller must schedule a drain. Raises RedisError."""
    _, script = _connection(os.getpid(), settings.REDIS_URL)
    fields = [item for pair in delivery.to_stream_fields().items() for item in pair]
    keys = [settings.WEBHOOK_INTAKE_STREAM, _flag_key()]
    return script(keys=keys, args=[DRAIN_FLAG_SECONDS, *fields]) == 1


def clear_drain_flag() -> None:
    """Before a drain reads (see the module's docstring), or when scheduling one failed."""
    client().delete(_flag_key())


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def read(*, consumer: str, count: int) -> list[tuple[bytes, dict[bytes, bytes]]]:
    """Up to `count` entries for this consumer: first those a dead drain left unacknowledged, then new."""
    redis_client, stream = client(), settings.WEBHOOK_INTAKE_STREAM
    try:
        redis_client.xgroup_create(stream, GROUP, id="0", mkstream=True)  # from the start: nothing skipped
    except redis.ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise
    _, entries, _ = redis_client.xautoclaim(
        stream, GROUP, consumer, min_idle_time=RECLAIM_AFTER_MS, start_id="0-0", count=count
    )
    entries = [(entry_id, fields) for entry_id, fields in entries if fields]
    if len(entries) < count:
        fresh = redis_client.xreadgroup(GROUP, consumer, {stream: ">"}, count=count - len(entries))
        # RESP2 (what `redis.Redis.from_url` speaks unless told otherwise): [[stream, [(id, fields), ...]]]
        if not isinstance(fresh, list):
            raise TypeError(f"XREADGROUP answered {type(fresh).__name__}, not the RESP2 list of streams")
        for _, new_entries in fresh:
            entries.extend(new_entries)
    return entries


def acknowledge(entry_ids: list[bytes]) -> None:
    """After the entries' rows are committed: they leave the stream for good."""
    if not entry_ids:
        return
    pipe = client().pipeline(transaction=False)
    pipe.xack(settings.WEBHOOK_INTAKE_STREAM, GROUP, *entry_ids)
    pipe.xdel(settings.WEBHOOK_INTAKE_STREAM, *entry_ids)
    pipe.execute()


def backlog() -> int:
    """Deliveries waiting in the stream (read or not): for operators (the webhook deliveries admin page)."""
    return client().xlen(settings.WEBHOOK_INTAKE_STREAM)

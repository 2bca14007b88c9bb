"""The one way the project puts a task on the broker: after the commit, fast, and never at a caller's cost.

A task names rows by primary key, so it is sent only once those rows are committed (`enqueue_on_commit`),
or a worker could look for a row that is not there yet. The publish itself runs in web requests (a
shopper's cancel, a merchant's approval, Shopify's webhook with its 5-second budget), so it must not hang
the page when the broker is slow or down: it is sent without kombu's retries, with the short socket
timeouts of `CELERY_BROKER_TRANSPORT_OPTIONS`, and a failure is logged and swallowed. Nothing is lost:
the row is committed, and a periodic sweep (`requests_sweep`, `webhook_deliveries_retry_unprocessed`,
the intake drain on beat) sends whatever was not queued.

The sweeps ask `broker_has_backlog` first: while the queue holds more than a sweep's worth of waiting
tasks, what a sweep would re-queue is most likely among them, and adding copies behind them only makes
the wait longer (a backlog older than the sweep's grace would otherwise grow by a copy a minute).

A sweep whose tasks run ahead of that backlog (a higher priority: the fulfilment holds) cannot wait for
it to clear, so it marks what it queued instead (`enqueue_unless_queued`): each task once in a while,
again only when the mark has expired (its copy was lost with the broker, or ran and found work left).

It lives in `shopify_sync`, the lowest of the apps, so that `cancellations` and `portal` use it too.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from celery import Task, current_app
from django.core.cache import cache
from django.db import transaction
from kombu import Queue
from kombu.exceptions import ChannelError

logger = logging.getLogger(__name__)


def enqueue(task: Task, *args: Any, on_failure: Callable[[], None] | None = None) -> bool:
    """Send `task(*args)` now; False (logged, and `on_failure` run) when the broker would not take it."""
    try:
        task.apply_async(args, retry=False)
    except Exception:  # the broker is down, slow or unreachable: the sweep sends it later
        logger.warning("could not queue %s%r; a sweep will", task.name, args, exc_info=True)
        if on_failure is not None:
            on_failure()
        return False
    return True


def enqueue_unless_queued(task: Task, *args: Any, within: float) -> bool:
    """`enqueue`, unless this task with these arguments was queued here in the last `within` seconds (a
    mark in the cache; a broker that restarted empty usually took the marks with it). False when
    marked or when the broker would not take it (the mark is then dropped, for the next sweep)."""
    key = enqueued_mark(task, *args)
    if not cache.add(key, 1, timeout=within):
        return False
    if enqueue(task, *args):
        return True
    cache.delete(key)
    return False


def enqueued_mark(task: Task, *args: Any) -> str:
    """The cache key `enqueue_unless_queued` marks this task with these arguments by."""
    return "enqueued:" + hashlib.sha256(repr((task.name, args)).encode()).hexdigest()


def enqueue_on_commit(task: Task, *args: Any, on_failure: Callable[[], None] | None = None) -> None:
    """`enqueue` once the current transaction commits (at once in autocommit)."""
    transaction.on_commit(partial(enqueue, task, *args, on_failure=on_failure))


# Redis priority (0 first; every task without one runs at settings.CELERY_TASK_DEFAULT_PRIORITY, 6) of the
# tasks that must not wait behind a backlog of webhooks and e-mails: a mirror known to be wrong, and in
# `cancellations` the holds, acknowledgements, returns decided in Shopify and the sweeps.
AHEAD_OF_THE_REST = 3

# More tasks than this waiting in the default queue and the sweeps leave the re-queueing for later.
SWEEP_BACKLOG_LIMIT = 200


def broker_backlog(up_to_priority: int | None = None) -> int | None:
    """How many tasks wait in the default queue (with `up_to_priority`, only those a worker takes before
    or with a task of that priority); None when the broker cannot say (it is down)."""
    app = current_app
    try:
        with app.connection_for_read() as connection:
            channel: Any = connection.default_channel  # kombu's Redis channel when it has `_q_for_pri`
            if up_to_priority is not None and hasattr(channel, "_q_for_pri"):
                # Redis keeps a list per priority step and serves the lower steps first; kombu names them
                # (a private helper, stable for years). The file broker has no priorities: all count.
                name = app.conf.task_default_queue
                with channel.conn_or_acquire() as client:
                    steps = [step for step in channel.priority_steps if step <= up_to_priority]
                    return sum(int(client.llen(channel._q_for_pri(name, step))) for step in steps)
            queue = Queue(app.conf.task_default_queue).bind(channel)
            declared = queue.queue_declare(passive=True)
    except ChannelError:  # the queue does not exist: Redis drops an emptied list
        return 0
    except Exception:  # down or unreachable: the sweep's own enqueues will find out and log it
        return None
    # kombu returns the broker's declare-ok (name, message_count, consumer_count); its stub says str.
    return int(declared.message_count)  # type: ignore[union-attr]


def broker_has_backlog(limit: int = SWEEP_BACKLOG_LIMIT, *, up_to_priority: int | None = None) -> bool:
    """Whether a sweep should wait: more than `limit` tasks are queued and not yet taken (of those, with
    `up_to_priority`, only the ones ahead of or level with the sweep's own tasks: a backlog of e-mails
    does not delay a push, so it need not delay the push's re-queueing either)."""
    waiting = broker_backlog(up_to_priority)
    if waiting is not None and waiting > limit:
        logger.info("%d tasks wait in the queue; the sweep re-queues nothing this time", waiting)
        return True
    return False

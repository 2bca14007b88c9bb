"""Putting work on the broker, never inside a transaction and never at the cost of a request.

Services call `enqueue_*_on_commit`: the task is sent only once the row it names is committed (a worker
must find it). If the broker is down at that moment the error is logged and swallowed: the request or the
e-mail is in the database already, and the sweeper (`requests_sweep`, every minute) sends it once the
broker is back.
"""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_push(request_id: int) -> bool:
    from cancellations.tasks import push_request

    try:
        push_request.delay(request_id)
    except Exception:  # the broker is down or unreachable: the sweeper will send it
        logger.warning("could not queue the push of request %s; the sweeper will", request_id, exc_info=True)
        return False
    return True


def enqueue_notification(event_id: int) -> bool:
    from cancellations.tasks import send_request_event_emails

    try:
        send_request_event_emails.delay(event_id)
    except Exception:
        logger.warning("could not queue the e-mails of event %s; the sweeper will", event_id, exc_info=True)
        return False
    return True


def enqueue_push_on_commit(request_id: int) -> None:
    transaction.on_commit(partial(enqueue_push, request_id))


def enqueue_notification_on_commit(event_id: int) -> None:
    transaction.on_commit(partial(enqueue_notification, event_id))

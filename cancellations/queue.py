"""The domain's tasks, queued the project's one way (`shopify_sync.enqueue`): after the commit, fast, and
never at the cost of the page that asked. What the broker refuses, the sweeper (`requests_sweep`, every
minute) sends later. The tasks are imported at call time: `cancellations.tasks` imports the services
that call these."""

from __future__ import annotations

from shopify_sync.enqueue import enqueue, enqueue_on_commit, enqueue_unless_queued

# Redis priorities (0 first; every other task runs at settings.CELERY_TASK_DEFAULT_PRIORITY, 6). A push
# of a decision to Shopify goes first; then (`shopify_sync.enqueue.AHEAD_OF_THE_REST`, 3) the tasks that
# must not wait behind a backlog of webhooks and e-mails: a hold that keeps an order from the warehouse
# after its reason has gone, the acknowledgement the law wants sent at once, the look at a return the
# merchant decided in Shopify, and the sweeps that re-queue all of these after a broker outage.
PUSH_PRIORITY = 0


def enqueue_push(request_id: int) -> bool:
    from cancellations.tasks import push_request

    return enqueue(push_request, request_id)


def enqueue_return_follow(request_id: int) -> bool:
    from cancellations.tasks import follow_return

    return enqueue(follow_return, request_id)


def enqueue_return_follow_on_commit(request_id: int) -> None:
    from cancellations.tasks import follow_return

    enqueue_on_commit(follow_return, request_id)


def enqueue_notification(event_id: int) -> bool:
    from cancellations.tasks import send_request_event_emails

    return enqueue(send_request_event_emails, event_id)


def enqueue_push_on_commit(request_id: int) -> None:
    from cancellations.tasks import push_request

    enqueue_on_commit(push_request, request_id)


def enqueue_notification_on_commit(event_id: int) -> None:
    from cancellations.tasks import send_request_event_emails

    enqueue_on_commit(send_request_event_emails, event_id)


def enqueue_hold_on_commit(order_id: int) -> None:
    from cancellations.tasks import hold_fulfilment

    enqueue_on_commit(hold_fulfilment, order_id)


def enqueue_hold_release(order_id: int, because: str) -> bool:
    from cancellations.tasks import release_fulfilment_holds

    return enqueue(release_fulfilment_holds, order_id, because)


# A sweep queues an order's hold task at most once in this long: a copy may still be waiting its turn.
HOLD_SWEEP_REQUEUE_SECONDS = 120


def enqueue_hold_from_sweep(order_id: int) -> bool:
    from cancellations.tasks import hold_fulfilment

    return enqueue_unless_queued(hold_fulfilment, order_id, within=HOLD_SWEEP_REQUEUE_SECONDS)


def enqueue_hold_release_from_sweep(order_id: int, because: str) -> bool:
    from cancellations.tasks import release_fulfilment_holds

    return enqueue_unless_queued(
        release_fulfilment_holds, order_id, because, within=HOLD_SWEEP_REQUEUE_SECONDS
    )


def enqueue_holds_after_request_on_commit(request_id: int) -> None:
    from cancellations.tasks import release_holds_after_request

    enqueue_on_commit(release_holds_after_request, request_id)


def enqueue_withdrawal_acknowledgement(withdrawal_id: int) -> bool:
    from cancellations.tasks import acknowledge_withdrawal

    return enqueue(acknowledge_withdrawal, withdrawal_id)


def enqueue_withdrawal_acknowledgement_on_commit(withdrawal_id: int) -> None:
    from cancellations.tasks import acknowledge_withdrawal

    enqueue_on_commit(acknowledge_withdrawal, withdrawal_id)

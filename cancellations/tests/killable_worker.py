"""A real Celery worker process for test_worker.py, with the push's waits shortened.

With `KILL_AFTER_CALL=1` it SIGKILLs itself right after its first Shopify mutation was answered, before
the answer is recorded: the crash the push must survive without sending the mutation again.
"""

from __future__ import annotations

import os
import signal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from django.conf import settings  # noqa: E402

from cancellations.services import push  # noqa: E402
from portal.celery import app  # noqa: E402

SHORT_WAITS = {
    "CANCELLATIONS_PUSH_LEASE_SECONDS": 3,
    "CANCELLATIONS_PUSH_RETRY_BASE_SECONDS": 0.05,
    "CANCELLATIONS_PUSH_SETTLE_SECONDS": 1.0,
    "CANCELLATIONS_PUSH_VERIFY_SECONDS": 0.2,
    "CANCELLATIONS_JOB_POLL_INTERVAL_SECONDS": 0.1,
}


def main() -> None:
    for name, value in SHORT_WAITS.items():
        setattr(settings, name, value)
    if os.environ.get("KILL_AFTER_CALL") == "1":
        push.HOOKS["after_call"].append(lambda request_id: os.kill(os.getpid(), signal.SIGKILL))
    app.worker_main(
        ["worker", "--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]
    )


if __name__ == "__main__":
    main()

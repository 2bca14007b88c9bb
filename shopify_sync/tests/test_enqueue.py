"""shopify_sync.enqueue: the one way tasks reach the broker, and what a page pays when the broker fails."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings

from portal.tasks import ping
from shopify_sync.enqueue import enqueue, enqueue_on_commit
from shopify_sync.tests.conftest import celery_app_in_use, queued


@contextmanager
def silent_broker() -> Iterator[int]:
    """A port that accepts connections and never says a word: a hung or overloaded broker."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()


@pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL is not set (CI sets it): Redis broker options")
def test_a_broker_that_never_answers_fails_the_publish_instead_of_hanging_the_page(caplog):
    on_failure_ran = []
    with (
        silent_broker() as port,
        celery_app_in_use(broker_url=f"redis://127.0.0.1:{port}/0"),
        caplog.at_level(logging.WARNING, logger="shopify_sync.enqueue"),
    ):
        sent = enqueue(ping, on_failure=lambda: on_failure_ran.append(True))

    # Without the socket timeouts this call would wait on the silent socket until the test's own
    # timeout kills it.
    assert sent is False
    assert on_failure_ran == [True]
    assert "could not queue portal.tasks.ping" in caplog.text


def test_a_task_is_queued_only_when_the_transaction_commits(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        enqueue_on_commit(ping)
    assert queued(callbacks) == [(ping.name, ())]  # held for the commit, which the test's atomic never makes

"""The flows that matter, through a real Celery worker, a real Redis and the devstore.

Each module run starts its own `redis-server` on a free port (so stopping it cannot hurt anything else
on the machine) and its own devstore with Shopify-like timing (cancel jobs take 0.3 s). Skipped when
`REDIS_URL` is unset, like the project's other worker tests; CI sets it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from cancellations.models import Request, ShopifyMutation
from cancellations.services import request_approve, request_submit, requests_sweep
from cancellations.tests.conftest import SHOP_DOMAIN, mutations
from cancellations.tests.test_item_edits import Tee, reduce, submit, swap
from portal.celery import app
from shopify_sync.connection import client_for
from shopify_sync.models import Order
from shopify_sync.order_edits import LineChange
from shopify_sync.services.mirror import orders_upsert

pytestmark = [
    pytest.mark.worker,
    pytest.mark.slow,
    # Committed for real: the worker reads what the test wrote.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set (CI sets it)"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
    pytest.mark.skipif(
        "sqlite" in settings.DATABASES["default"]["ENGINE"],
        reason="worker threads share SQLite's in-memory test database through table locks that fail at "
        "once under concurrent writes; these run on PostgreSQL (CI)",
    ),
]

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate: Callable[[], Any], *, timeout: float = 60, what: str = "condition") -> Any:
    """Poll until `predicate` is truthy: the worker runs in its own thread or process, on its own time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A throw-away Redis of our own: no persistence, a free port, stoppable mid-test."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_for(answers, timeout=20, what="redis-server to answer")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def devstore() -> Iterator[Any]:
    """Shopify-like timing: a cancel job is done 0.3 s after the call; a timeout fault holds 1 s."""
    from devstore.testing import start_devstore

    store = start_devstore(extra_args=["--fault-timeout-seconds", "1"])
    try:
        yield store
    finally:
        store.stop()


def _reset_broker_connections() -> None:
    # Forget the app's pools: the next publish takes a pool for the current broker URL. (kombu keeps one
    # pool per URL for the process; closing it would break the next test on the same URL.) No public API
    # does this (`app.close()` also deregisters the app), and the stubs leave these private attributes out.
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]


@pytest.fixture
def shopify(devstore, settings):
    devstore.reset()
    settings.SHOPIFY_API_BASE_URL = devstore.base_url
    settings.SHOPIFY_ACCESS_TOKEN = devstore.token
    return devstore


@pytest.fixture
def broker(redis_server, _eager_celery) -> Iterator[RedisServer]:
    """The project's Celery app, pointed at our Redis for the test (producer and in-process worker)."""
    conf = app.conf
    saved = {
        key: conf[key]
        for key in ("broker_url", "broker_transport_options", "task_always_eager", "task_default_queue")
    }
    conf.update(
        broker_url=redis_server.url,
        broker_transport_options={"visibility_timeout": 3600},
        task_always_eager=False,
    )
    _reset_broker_connections()
    try:
        yield redis_server
    finally:
        conf.update(saved)
        _reset_broker_connections()


FINISHED_TASKS: list[str] = []


def _after_task(task_id=None, task=None, **kwargs) -> None:
    FINISHED_TASKS.append(getattr(task, "name", ""))
    # Worker threads must not keep connections open: the test database is flushed and dropped after us.
    connection.close()


@contextmanager
def in_process_worker(concurrency: int = 4) -> Iterator[None]:
    """The project's app consumed by a worker in this process (threads, so deliveries of one task run at
    the same time)."""
    FINISHED_TASKS.clear()
    task_postrun.connect(_after_task, weak=False)
    try:
        with start_worker(
            app, pool="threads", concurrency=concurrency, perform_ping_check=False, shutdown_timeout=60
        ):
            yield
    finally:
        task_postrun.disconnect(_after_task)


@pytest.fixture
def worker(broker, settings) -> Iterator[None]:
    settings.CANCELLATIONS_PUSH_LEASE_SECONDS = 30
    with in_process_worker():
        yield


@pytest.fixture
def store_order(shopify, shop, shopper):
    def create(**fields: Any) -> Order:
        fields.setdefault("email", shopper.email)
        fields.setdefault("line_items", [{"title": "Mug", "quantity": 1, "price": "20.00"}])
        created = shopify.create_order(**fields)
        data = client_for().order(created["id"])
        assert data is not None  # the devstore has just created it
        orders_upsert(shop=shop, orders=[data])
        return Order.objects.get(shopify_gid=created["id"])

    return create


def cancel(order: Order, shopper) -> Request:
    return request_submit(order=order, shopper=shopper, kind="cancel", reason_code="changed_my_mind")


def state_of(request: Request) -> str:
    return Request.objects.values_list("state", flat=True).get(pk=request.pk)


def finished(request: Request) -> Callable[[], str | None]:
    def check() -> str | None:
        state = state_of(request)
        return state if state in (Request.State.COMPLETED, Request.State.FAILED) else None

    return check


def test_a_cancel_goes_through_redis_and_a_real_worker(
    policy, shopper, shopify, store_order, worker, mailoutbox
):
    order = store_order()

    request = cancel(order, shopper)  # committed: the push is queued on commit

    assert wait_for(finished(request), what="the push") == Request.State.COMPLETED
    assert len(mutations(shopify, "orderCancel", order, outcome=None)) == 1
    wait_for(lambda: len(mailoutbox) >= 2, what="the approved and completed e-mails")
    assert {m.subject for m in mailoutbox} >= {
        f"Your request for order {order.name} is approved",
        f"Order {order.name} is cancelled",
    }


def test_the_same_push_delivered_three_times_at_once_cancels_once(
    policy, merchant, shopper, shopify, store_order, worker
):
    from cancellations.tasks import push_request

    policy.auto_approve_cancels = False
    policy.save()
    order = store_order()
    request = cancel(order, shopper)
    request_approve(request=request, moderator=merchant)  # queues one push on commit
    for _ in range(2):
        push_request.apply_async(args=(request.pk,), task_id=f"push-{request.pk}")  # the same task, again

    assert wait_for(finished(request), what="the push") == Request.State.COMPLETED
    wait_for(lambda: FINISHED_TASKS.count(push_request.name) >= 3, what="every delivery to finish")
    calls = mutations(shopify, "orderCancel", order, outcome=None)
    assert [c["outcome"] for c in calls] == ["ok"]


def test_a_storm_of_5xx_timeouts_and_throttling_ends_in_one_cancel(
    policy, shopper, store_order, worker, shopify
):
    order = store_order()
    for kind, count in [("http_500", 3), ("throttle", 4), ("http_502", 2), ("timeout", 1), ("http_500", 2)]:
        shopify.fault(kind, count=count)

    request = cancel(order, shopper)

    assert wait_for(finished(request), timeout=120, what="the push") == Request.State.COMPLETED
    calls = mutations(shopify, "orderCancel", order, outcome=None)
    assert [c["outcome"] for c in calls].count("ok") == 1
    assert not [c for c in calls if c["outcome"] == "user_errors"]
    assert shopify.order(order.legacy_id)["cancelled_at"]


def test_a_request_submitted_while_redis_is_down_is_pushed_once_it_is_back(
    policy, shopper, store_order, broker, settings, shopify
):
    order = store_order()
    broker.stop()

    request = cancel(order, shopper)  # the on-commit publish fails, is logged, and the request stays

    assert state_of(request) == Request.State.APPROVED
    assert mutations(shopify, "orderCancel", order, outcome=None) == []

    broker.start()
    settings.CANCELLATIONS_SWEEP_GRACE_SECONDS = 0
    with in_process_worker():
        assert requests_sweep().pushes_queued == 1  # what beat runs every minute
        assert wait_for(finished(request), what="the push") == Request.State.COMPLETED
    assert len(mutations(shopify, "orderCancel", order, outcome=None)) == 1


# -- a worker process killed right after Shopify answered ---------------------------------------------


def database_url_for_subprocesses() -> str | None:
    """The test database as a URL another process can open; None for SQLite in memory."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(config["NAME"])
        return None if "memory" in name or name == "" else f"sqlite:///{name}"
    if connection.vendor == "postgresql":
        user = config.get("USER") or ""
        password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
        host = config.get("HOST") or "127.0.0.1"
        port = config.get("PORT") or 5432
        return f"postgres://{user}{password}@{host}:{port}/{config['NAME']}"
    return None


@contextmanager
def worker_process(*, redis: RedisServer, shopify, database_url: str, kill_after_call: bool) -> Iterator:
    env = {
        **os.environ,
        "DEBUG": "true",
        "REDIS_URL": redis.url,
        "DATABASE_URL": database_url,
        "CONN_MAX_AGE": "0",
        "SHOPIFY_SHOP_DOMAIN": SHOP_DOMAIN,
        "SHOPIFY_API_BASE_URL": shopify.base_url,
        "SHOPIFY_ACCESS_TOKEN": shopify.token,
        "EMAIL_URL": "dummymail://",
        "KILL_AFTER_CALL": "1" if kill_after_call else "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "cancellations.tests.killable_worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_a_worker_killed_right_after_the_call_leaves_exactly_one_cancel(
    policy, shopper, store_order, broker, settings, shopify
):
    database_url = database_url_for_subprocesses()
    if database_url is None:
        pytest.skip("a worker process cannot open an in-memory SQLite test database (CI runs PostgreSQL)")
    connections.close_all()
    order = store_order()

    with worker_process(
        redis=broker, shopify=shopify, database_url=database_url, kill_after_call=True
    ) as dying:
        request = cancel(order, shopper)
        dying.wait(timeout=120)
        assert dying.returncode == -signal.SIGKILL, dying.stdout.read().decode(errors="replace")

    request.refresh_from_db()
    assert (
        request.state == Request.State.PUSHING and request.mutations.get().answer_lost
    )  # went out, no answer
    assert [c["outcome"] for c in mutations(shopify, "orderCancel", order, outcome=None)] == ["ok"]

    settings.CANCELLATIONS_SWEEP_GRACE_SECONDS = 0
    with worker_process(
        redis=broker, shopify=shopify, database_url=database_url, kill_after_call=False
    ) as healthy:
        # The dead worker's lease must run out before anyone may take the request over.
        def lease_expired() -> bool:
            expires_at = Request.objects.get(pk=request.pk).lease_expires_at
            assert expires_at is not None  # the dead worker's request is still being pushed
            return expires_at < timezone.now()

        wait_for(lease_expired, what="the lease")
        assert requests_sweep().pushes_queued == 1
        state = wait_for(finished(request), what="the takeover")
        assert healthy.poll() is None

    assert state == Request.State.COMPLETED
    assert [c["outcome"] for c in mutations(shopify, "orderCancel", order, outcome=None)] == ["ok"]
    assert Request.objects.get(pk=request.pk).events.filter(detail__how="read").exists()


# -- item edits: one commit, then one refund of the difference -----------------------------------------


def edit_commits(shopify) -> list[dict]:
    """The edits Shopify committed. A commit names its edit session, not the order; the devstore is reset
    for each test and holds one order, so every commit is that order's."""
    return mutations(shopify, "orderEditCommit")


def refunds(shopify, order: Order) -> list[dict]:
    return mutations(shopify, "refundCreate", order, outcome=None)


def lines_by_size(tee: Tee) -> list[tuple[str | None, int]]:
    """The order's lines in Shopify as (size, current quantity); None for the gift wrap (no variant)."""
    sizes = {variant["id"]: size for size, variant in tee.variants.items()}
    return [(sizes.get(line["variant_id"]), line["current_quantity"]) for line in tee.lines()]


@pytest.mark.parametrize(
    ("change", "lines_after", "refund"),
    [
        pytest.param(lambda tee: reduce(tee, 1), [("M", 1), (None, 1)], "10.00", id="reduce-a-quantity"),
        pytest.param(
            lambda tee: LineChange(line_item_gid=tee.wrap_line, quantity=0),
            [("M", 2), (None, 0)],
            "5.00",
            id="remove-one-line-of-two",
        ),
        # A swap takes the old line to zero and adds the new variant as a line of its own.
        pytest.param(
            lambda tee: swap(tee, "S"), [("M", 0), (None, 1), ("S", 2)], "4.00", id="swap-to-a-cheaper-size"
        ),
        pytest.param(
            lambda tee: swap(tee, "XL"), [("M", 0), (None, 1), ("XL", 2)], None, id="swap-to-a-dearer-size"
        ),
    ],
)
def test_an_item_edit_goes_through_a_real_worker_committed_once_and_refunded_once(
    policy, shopper, shopify, store_order, worker, change, lines_after, refund
):
    policy.allow_price_increases = True  # only the dearer swap needs it
    policy.save()
    tee = Tee(shopify, store_order)

    request = submit(tee, shopper, change(tee))  # auto-approved: the push is queued on commit

    assert wait_for(finished(request), what="the push") == Request.State.COMPLETED, Request.objects.get(
        pk=request.pk
    ).last_error
    assert len(edit_commits(shopify)) == 1
    assert lines_by_size(tee) == lines_after
    refunded = refunds(shopify, tee.order)
    if refund is None:
        assert refunded == []
        # Shopify e-mails the shopper the invoice for the difference.
        assert edit_commits(shopify)[0]["variables"]["notifyCustomer"] is True
    else:
        assert [c["outcome"] for c in refunded] == ["ok"]
        assert refunded[0]["variables"]["input"]["transactions"][0]["amount"] == refund


def test_a_worker_killed_right_after_the_edit_commit_leaves_exactly_one_edit(
    policy, shopper, store_order, broker, settings, shopify
):
    database_url = database_url_for_subprocesses()
    if database_url is None:
        pytest.skip("a worker process cannot open an in-memory SQLite test database (CI runs PostgreSQL)")
    connections.close_all()
    tee = Tee(shopify, store_order)

    with worker_process(
        redis=broker, shopify=shopify, database_url=database_url, kill_after_call=True
    ) as dying:
        request = submit(tee, shopper, reduce(tee, 1))
        dying.wait(timeout=120)
        assert dying.returncode == -signal.SIGKILL, dying.stdout.read().decode(errors="replace")

    request.refresh_from_db()
    commit_row = request.mutations.get(operation=ShopifyMutation.Operation.ORDER_EDIT_COMMIT)
    assert request.state == Request.State.PUSHING and commit_row.answer_lost  # went out, no answer
    assert len(edit_commits(shopify)) == 1
    assert refunds(shopify, tee.order) == []  # the refund waits for the edit to be confirmed

    settings.CANCELLATIONS_SWEEP_GRACE_SECONDS = 0
    with worker_process(
        redis=broker, shopify=shopify, database_url=database_url, kill_after_call=False
    ) as healthy:

        def lease_expired() -> bool:
            expires_at = Request.objects.get(pk=request.pk).lease_expires_at
            assert expires_at is not None  # the dead worker's request is still being pushed
            return expires_at < timezone.now()

        wait_for(lease_expired, what="the lease")
        assert requests_sweep().pushes_queued == 1
        state = wait_for(finished(request), what="the takeover")
        assert healthy.poll() is None

    request.refresh_from_db()
    assert state == Request.State.COMPLETED, request.last_error
    assert len(edit_commits(shopify)) == 1
    assert lines_by_size(tee) == [("M", 1), (None, 1)]
    commit_row.refresh_from_db()
    assert commit_row.sends == 1  # found by reading the order, never sent again
    assert request.events.filter(detail__how="read", detail__operation="orderEditCommit").exists()
    refunded = refunds(shopify, tee.order)
    assert [c["outcome"] for c in refunded] == ["ok"]
    assert refunded[0]["variables"]["input"]["transactions"][0]["amount"] == "10.00"

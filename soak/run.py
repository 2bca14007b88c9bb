"""The soak, start to finish. See `soak/__init__.py` for what it is and `python -m soak --help`."""

from __future__ import annotations

import argparse
import contextlib
import heapq
import os
import random
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from cryptography.fernet import Fernet
from tqdm import tqdm

from soak.mail import MAIL_FILE_VARIABLE, captured
from soak.plan import (
    CATALOGUE,
    CATALOGUE_STOCK,
    MERCHANT_HOLD_HANDLE,
    WINDOW_MINUTES,
    Plan,
    PlannedOrder,
    PlannedRequest,
    block_auto_returns,
    block_moderated,
    make_plan,
)
from soak.processes import ROOT, Cluster, Managed, Redis, free_port, http_ok, start_devstore, wait_until
from soak.reconcile import REQUEST_MARK

if TYPE_CHECKING:
    from cancellations.models import Request
    from cancellations.services.item_edits import PricedEdit
    from devstore.testing import Devstore
    from shopify_sync.models import Order

T = TypeVar("T")

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_soak"
SHOP_DOMAIN = "soak.myshopify.com"
TOKEN = "shpat_soak_local_token"  # noqa: S105 - a loopback devstore's token, not a secret (the driver's)
# The portal connects as a Dev Dashboard app: client credentials, and tokens that live 20 seconds, so every
# process renews its token many times during a soak (and after each devstore restart, on a 401).
CLIENT_ID = "soak-client-id"
CLIENT_SECRET = "soak-client-secret"  # noqa: S105 - also signs the webhooks, as Shopify's does
TOKEN_LIFETIME_SECONDS = 20
SECRET_KEY = "soak-only-secret-key-" + "x" * 30
RESERVE_SECONDS = 45  # kept at the end of the time budget for the final sync, the reconciliation, cleanup
# An item edit is priced live (several Admin API calls, one of them a mutation the client does not resend
# after a timeout), as the shopper's confirm page does; a shopper whose page says "try again" tries again.
PRICE_ATTEMPTS = 6
PRICE_RETRY_SECONDS = 1.0
# Fulfilment holds. The quiet orders' windows end from this long after the plan (the set-up, holds
# placed, is over by then) until four fifths into the submissions; the merchant's "release now" is tried
# this many times while Shopify fails.
QUIET_FIRST_WINDOW_END_SECONDS = 60.0
WORKER_CONCURRENCY = 8
HOLDS_PLACED_TIMEOUT_SECONDS = 120.0
MERCHANT_RELEASE_ATTEMPTS = 5
MERCHANT = "soak-moderator"  # the console's "release now" records "released by <user>"
# After the last request settled, how long the drain waits for the releases that settling causes.
SETTLED_RELEASE_WAIT_SECONDS = 45.0
# The store's staff deciding a return in Shopify's admin look for it a few seconds after the shopper asked;
# a return Shopify has not shown this long after (its request call kept failing, or waits behind a backlog)
# is decided in our console instead, as a merchant who sees it waiting there would.
SHOPIFY_DECISION_PATIENCE_SECONDS = 60.0
SHOPIFY_DECLINE_NOTE = "Final sale items cannot be returned."
REJECT_MESSAGES = {"return": "Worn items cannot be returned."}  # the console's "no", by kind
REJECT_MESSAGE = "Already packed, sorry."
# The subject of the e-mail `withdrawal_acknowledge` sends, counted in the run's mail.
ACKNOWLEDGEMENT_SUBJECT = "emails/withdrawal/acknowledgement_subject.txt"


def log(message: str) -> None:
    tqdm.write(f"[soak {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr)


@dataclass
class Options:
    requests: int
    minutes: float
    redis_outage_seconds: float
    workers: int
    fault_rate: float
    submit_seconds: float
    database_url: str
    report: Path | None
    seed: int
    log_dir: Path


def parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="shopper requests to submit (2000)")
    parser.add_argument(
        "--minutes", type=float, default=10, help="hard time budget, everything included (10)"
    )
    parser.add_argument("--redis-outage-seconds", type=float, default=60, help="how long Redis is down (60)")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes (2)")
    parser.add_argument(
        "--fault-rate", type=float, default=0.1, help="share of Admin API calls failing (0.1)"
    )
    parser.add_argument(
        "--submit-seconds", type=float, default=None, help="how long submissions are spread over (derived)"
    )
    parser.add_argument("--database-url", default=os.environ.get("SOAK_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument(
        "--report", default=str(ROOT / "bench" / "SOAK.md"), help="where to write the result ('' for nowhere)"
    )
    parser.add_argument("--log-dir", default=str(ROOT / "var" / "soak"), help="process logs (var/soak)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    submit = args.submit_seconds or min(0.45 * args.minutes * 60, max(45.0, args.requests / 7))
    return Options(
        requests=args.requests,
        minutes=args.minutes,
        redis_outage_seconds=args.redis_outage_seconds,
        workers=args.workers,
        fault_rate=args.fault_rate,
        submit_seconds=submit,
        database_url=args.database_url,
        report=Path(args.report) if args.report else None,
        seed=args.seed,
        log_dir=Path(args.log_dir),
    )


# -- the database --------------------------------------------------------------------------------------


def fresh_database(url: str, log_dir: Path) -> tuple[str, str]:
    """Drop and create the soak's PostgreSQL database; (DATABASE_URL, a note). SQLite when PostgreSQL is
    not there, and the note says so."""
    import psycopg

    if url.startswith(("postgres://", "postgresql://")):
        base, _, name = url.rpartition("/")
        try:
            with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
            return url, f"PostgreSQL ({url})"
        except psycopg.OperationalError as exc:
            note = f"PostgreSQL unavailable ({str(exc).strip().splitlines()[0]}): SQLite instead"
    else:
        note = "SQLite (no PostgreSQL URL)"
    path = log_dir / "soak.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}", note


# -- the run -------------------------------------------------------------------------------------------


@dataclass
class Timeline:
    started: float = field(default_factory=time.monotonic)
    marks: list[tuple[str, float]] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)

    def mark(self, what: str) -> None:
        at = time.monotonic() - self.started
        self.marks.append((what, at))
        log(what)

    @contextlib.contextmanager
    def phase(self, name: str):
        began = time.monotonic()
        try:
            yield
        finally:
            self.phases[name] = time.monotonic() - began


class Soak:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.timeline = Timeline()
        self.deadline = self.timeline.started + options.minutes * 60
        self.log_dir = options.log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.mail_file = self.log_dir / "mail.jsonl"  # every e-mail sent (`soak.mail`)
        for stale in (
            *self.log_dir.glob("*.log"),
            *self.log_dir.glob("celerybeat-schedule*"),
            *self.log_dir.glob(self.mail_file.name),
        ):
            stale.unlink()
        self.env: dict[str, str] = {}
        self.cluster = Cluster(self.log_dir, self.env)
        self.redis: Redis | None = None
        self._store: Devstore | None = None  # used as an HTTP client
        self.workers: list[Managed] = []
        self.notes: list[str] = []
        self.stats: dict[str, Any] = {
            "refused": {},
            "fulfilled": 0,
            "fulfil_refused": 0,
            "fulfil_held": 0,
            "merchant_released": 0,
            "merchant_release_errors": [],
            "shipped_after_release": 0,
            "holds_placed_by_setup": None,
            "moderated": 0,
            "price_retries": 0,
            "priced_after_retry": 0,
            "unpriced": [],
            "priced_differently": [],
            # Returns, withdrawals, guests.
            "live_retries": {},  # kind -> reads of Shopify a shopper's page had to try again
            "twice": {},  # a double click's second confirmation: how it was refused
            "twice_accepted": [],  # both confirmations of one double click became a request
            "shopify_decided": {},  # decided in Shopify's admin: approve / decline
            "shopify_decision_errors": [],
            "decided_in_console_instead": [],
            "withdrawals": {},  # by what the order was when withdrawn
            "guest_requests": 0,
        }
        self.guest_orders: set[str] = set()  # gids of the orders guests asked about
        self.withdrawn: dict[str, bool] = {}  # order gid -> it had shipped (a withdrawal the portal took)
        self.variant_ids: dict[tuple[str, str], int] = {}
        self.variant_gids: dict[tuple[str, str], str] = {}
        self.planned_refunds: dict[int, Decimal] = {}  # item edit request pk -> the plan's difference
        self.planned_returns: dict[int, dict[str, int]] = {}  # return request pk -> units asked, by title
        self.order_pk: dict[int, int] = {}  # the store's order id -> the mirror's
        self.merchant_holds: dict[str, list[str]] = {}  # order gid -> the merchant's hold ids on it
        self.stop_event = threading.Event()
        self.warehouse: threading.Thread | None = None
        self.warehouse_stop = threading.Event()  # the drain is over: stop looking at held orders
        self.killed: set[str] = set()
        self.crashes: list[str] = []
        self.workers_ok = False  # set by check_workers at the end
        self.supervisor_stop = threading.Event()

    @property
    def store(self) -> Devstore:
        if self._store is None:
            raise RuntimeError("the devstore is not started yet (start_infrastructure)")
        return self._store

    def left(self) -> float:
        return self.deadline - time.monotonic()

    # -- set-up ----------------------------------------------------------------------------------------

    def start_infrastructure(self) -> None:
        for tool in ("redis-server", "redis-cli"):
            if shutil.which(tool) is None:
                raise SystemExit(f"soak: {tool} is not installed (apt-get install redis-server)")
        self.redis = Redis(self.cluster)
        self.redis.start()
        database_url, note = fresh_database(self.options.database_url, self.log_dir)
        self.notes.append(f"database: {note}")
        log(note)
        web_port = free_port()
        self.web_url = f"http://127.0.0.1:{web_port}"
        _managed, store_url = start_devstore(
            self.cluster,
            [
                "--token", TOKEN,
                "--client-id", CLIENT_ID,
                "--client-secret", CLIENT_SECRET,
                "--token-lifetime", str(TOKEN_LIFETIME_SECONDS),
                "--webhook-url", f"{self.web_url}/shopify/webhooks/",
                "--webhook-secret", CLIENT_SECRET,
                "--seed", "0",
                "--random-seed", str(self.options.seed),
                "--shop-domain", SHOP_DOMAIN,
                "--shop-name", "Soak store",
                # A Shopify Plus store's budget: throttling comes from the injected faults, not the load.
                "--bucket", "20000",
                "--restore-rate", "1000",
                "--fault-timeout-seconds", "2",
                "--job-delay", "0.3",
                "--webhook-retry-base", "0.5",
            ],
        )  # fmt: skip
        from devstore.testing import Devstore

        self._store = Devstore(token=TOKEN)
        self._store.base_url = store_url
        self.env.update(
            {
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "SHOPIFY_"))
            }
        )
        self.env.update(
            DJANGO_SETTINGS_MODULE="soak.settings",
            DEBUG="false",
            SECRET_KEY=SECRET_KEY,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="false",
            DATABASE_URL=database_url,
            REDIS_URL=self.redis.url,
            SHOPIFY_SHOP_DOMAIN=SHOP_DOMAIN,
            SHOPIFY_CLIENT_ID=CLIENT_ID,
            SHOPIFY_CLIENT_SECRET=CLIENT_SECRET,
            SHOPIFY_TOKEN_RENEW_BEFORE_SECONDS=str(5),
            PORTAL_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
            SHOPIFY_API_BASE_URL=store_url,
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
            MERCHANT_NOTIFY_EMAILS="merchant@soak.example",
        )
        self.env[MAIL_FILE_VARIABLE] = str(self.mail_file.resolve())
        os.environ.update(self.env)
        import django

        django.setup()
        # This process's own log lines (a publish refused while Redis is down, …) go to a file, not the
        # progress bars.
        import logging

        handler = logging.FileHandler(self.log_dir / "driver.log")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logging.root.handlers = [handler]
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        gunicorn = [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--workers", "2"]
        gunicorn += ["--threads", "4", "--bind", f"127.0.0.1:{web_port}", "--log-level", "warning"]
        gunicorn += ["--graceful-timeout", "5"]
        self.cluster.spawn("web", gunicorn)
        wait_until(lambda: http_ok(f"{self.web_url}/healthz"), timeout=60, what="the web server")

    def start_worker(self, number: int) -> Managed:
        command = [
            *(sys.executable, "-m", "celery", "-A", "portal", "worker", "-n", f"soak-{number}@%h"),
            *("--queues", "celery,sync"),
        ]
        # Eight slots per worker on two cores: a push mostly waits on Shopify (its backoff after a fault,
        # the poll of a cancel's job), so slots, not cores, limit what a worker gets through.
        command += ["--concurrency", str(WORKER_CONCURRENCY), "--loglevel", "WARNING"]
        command += ["--without-gossip", "--without-mingle"]
        worker = self.cluster.spawn(f"worker-{number}", command)
        self.workers.append(worker)
        return worker

    def start_beat(self) -> Managed:
        self.beats = getattr(self, "beats", 0) + 1
        name = "beat" if self.beats == 1 else f"beat-{self.beats}"
        command = [sys.executable, "-m", "celery", "-A", "portal", "beat", "--loglevel", "WARNING"]
        command += ["--schedule", str(self.log_dir / "celerybeat-schedule")]
        self.beat = self.cluster.spawn(name, command)
        return self.beat

    def supervise_loop(self) -> None:
        """What production's process supervisor does (compose's `restart: unless-stopped`): a worker or
        beat that exits by itself is started again, and the run's notes say so."""
        while not self.supervisor_stop.wait(1.0):
            for worker in list(self.workers):
                if worker.process is not None and not worker.alive() and worker.name not in self.killed:
                    code = worker.process.returncode
                    self.killed.add(worker.name)  # handled
                    replacement = self.start_worker(len(self.workers) + 1)
                    self.crashes.append(
                        f"{worker.name} exited by itself (code {code}); {replacement.name} started"
                    )
                    self.timeline.mark(self.crashes[-1])
            if self.beat.process is not None and not self.beat.alive():
                code = self.beat.process.returncode
                old = self.beat.name
                self.start_beat()
                self.crashes.append(f"{old} exited by itself (code {code}); {self.beat.name} started")
                self.timeline.mark(self.crashes[-1])

    def start_workers(self) -> None:
        for number in range(1, self.options.workers + 1):
            self.start_worker(number)
        self.start_beat()
        from portal.celery import app

        wait_until(
            lambda: len(app.control.ping(timeout=1.0) or []) >= self.options.workers,
            timeout=90,
            what="the workers to answer",
        )

    def seed(self, plan: Plan) -> None:
        from allauth.account.models import EmailAddress
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password
        from django.contrib.auth.models import Group

        from shopify_sync import sync

        self.hold_policy()
        self.return_policy()
        for product in CATALOGUE:
            created = self.store.create_product(
                title=product.title,
                options=[product.option],
                variants=[
                    {
                        "options": [value],
                        "price": price,
                        "sku": f"SOAK-{product.title.split()[-1].upper()}-{value.upper()}",
                        "inventory_quantity": CATALOGUE_STOCK,
                    }
                    for value, price in product.variants
                ],
            )
            for variant in created["variants"]:
                self.variant_ids[(product.title, variant["title"])] = variant["id"]
                self.variant_gids[(product.title, variant["title"])] = variant["admin_graphql_api_id"]

        def create(order) -> None:
            body = order.devstore_body(self.variant_ids)
            order.legacy_id = self.store.post("/_devstore/orders", body)["legacy_id"]

        with ThreadPoolExecutor(8) as pool:
            list(tqdm(pool.map(create, plan.orders), total=len(plan.orders), desc="orders", file=sys.stderr))
        self.ship_before_run(plan)
        self.plant_merchant_holds(plan)
        User = get_user_model()
        unusable = make_password(None)
        users = User.objects.bulk_create(
            [User(username=email, email=email, password=unusable) for email in plan.shopper_emails]
        )
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users]
        )
        self.shoppers = {user.email: user for user in User.objects.filter(email__in=plan.shopper_emails)}
        self.moderator = User.objects.create_user("soak-moderator", "moderator@soak.example", is_staff=True)
        self.moderator.groups.add(Group.objects.get(name="Moderators"))
        result = sync.orders_sync_incremental()
        log(f"mirrored {result.orders} orders by incremental sync")

    def hold_policy(self) -> None:
        """The shop holds fulfilment while shoppers may change an order, every window `WINDOW_MINUTES`
        long: set before the first order arrives, so each is held as it is mirrored."""
        from cancellations.models import Policy
        from cancellations.services import policy_get_or_create
        from shopify_sync.services.shops import shop_get_or_create_current

        policy = policy_get_or_create(shop=shop_get_or_create_current())
        Policy.objects.filter(pk=policy.pk).update(
            hold_fulfilment=True,
            cancel_window_minutes=WINDOW_MINUTES,
            address_window_minutes=WINDOW_MINUTES,
            edit_window_minutes=WINDOW_MINUTES,
        )
        self.notes.append(
            f"fulfilment holds: on (policy), every window {WINDOW_MINUTES} min; the beat's hold sweep "
            "every 10 s"
        )

    def return_policy(self) -> None:
        """The store takes returns (approved automatically in every other block of requests, decided by
        its staff in the others) and shows the EU withdrawal button."""
        from cancellations import conf
        from cancellations.models import Policy
        from cancellations.services import policy_get_or_create
        from shopify_sync.connection import client_for
        from shopify_sync.services.shops import shop_get_or_create_current
        from shopify_sync.webhooks.subscriptions import TOPICS

        shop = shop_get_or_create_current()
        policy = policy_get_or_create(shop=shop)
        Policy.objects.filter(pk=policy.pk).update(allow_returns=True, withdrawal_enabled=True)
        # The devstore sends the orders' topics to its --webhook-url; the returns' only to subscribers, and
        # the portal subscribes only at a public address (`PORTAL_BASE_URL`), which the soak's web has not.
        # So the returns' topics are subscribed here, at the same URL, as `register_webhooks` would.
        client = client_for(shop)
        for topic in TOPICS:
            if topic.startswith("RETURNS_"):
                client.webhook_subscription_create(topic=topic, uri=f"{self.web_url}/shopify/webhooks/")
        self.notes.append(
            "returns: on (policy), approved automatically in every other block of requests; the others "
            "decided in our console or in Shopify's admin (approve, decline; the portal follows by the "
            "`returns/*` webhooks, subscribed, or by its sweeper's look every "
            f"{conf.return_check_seconds():g} s), in turn; the EU withdrawal button: on"
        )

    def ship_before_run(self, plan: Plan) -> None:
        """Returns, and withdrawals of shipped goods, are about orders the store shipped days ago (all of
        it, or only the first line), some delivered since: shipped in the store before the portal first
        mirrors them, so no window's hold is ever placed on them."""

        def ship(order: PlannedOrder) -> None:
            assert order.legacy_id is not None
            lines = None
            if order.shipped == "first_line":
                first = self.store.order(order.legacy_id)["line_items"][0]
                lines = [{"id": first["id"], "quantity": first["quantity"]}]
            self.store.fulfill(order.legacy_id, lines)
            if order.delivered:
                self.store.deliver(order.legacy_id)

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(ship, plan.shipped_orders))

    def plant_merchant_holds(self, plan: Plan) -> None:
        """A merchant's own hold (`MERCHANT_HOLD_HANDLE`) on the first fulfilment order of the planned
        orders, before the portal holds them: the portal must leave it alone. Placed through the app's
        client (the devstore knows one app), told apart from the portal's by its handle alone."""
        from shopify_sync.connection import client_for
        from shopify_sync.services.shops import shop_get_or_create_current

        client = client_for(shop_get_or_create_current())

        def plant(order) -> None:
            gid = f"gid://shopify/Order/{order.legacy_id}"
            fulfillment_orders = client.fulfillment_orders(gid) or []
            hold_id = client.fulfillment_order_hold(
                fulfillment_order_gid=fulfillment_orders[0].id,
                handle=MERCHANT_HOLD_HANDLE,
                notes="Checking the stock by hand",
            )
            self.merchant_holds[gid] = [hold_id]

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(plant, [order for order in plan.orders if order.merchant_hold]))

    def wait_for_holds(self) -> None:
        """Shoppers ask about orders placed minutes ago, long held by then: wait until every order the
        policy holds has its hold (or was found not holdable), a bounded time."""
        from django.utils import timezone

        from cancellations.models import FulfilmentHold
        from cancellations.services.holds import orders_to_hold

        with contextlib.suppress(TimeoutError):
            wait_until(
                lambda: not orders_to_hold(None, now=timezone.now(), limit=1),
                timeout=HOLDS_PLACED_TIMEOUT_SECONDS,
                what="the fulfilment holds to be placed",
                interval=0.5,
            )
        held = FulfilmentHold.objects.filter(state=FulfilmentHold.State.HELD)
        orders = held.values("order_id").distinct().count()
        self.stats["holds_placed_by_setup"] = orders
        missing = len(orders_to_hold(None, now=timezone.now(), limit=100_000))
        self.timeline.mark(
            f"fulfilment held on {orders} orders ({held.count()} fulfilment orders; "
            f"{len(self.merchant_holds)} also held by the merchant)"
            + (f"; {missing} not yet held, left to the beat" if missing else "")
        )

    # -- chaos -----------------------------------------------------------------------------------------

    def _fault(self, kind: str, count: int, rate: float | None = None) -> None:
        body: dict[str, Any] = {"kind": kind, "count": count}
        if rate is not None:
            body["rate"] = rate
        with contextlib.suppress(Exception):
            self.store.post("/_devstore/faults", body)

    def faults_loop(self) -> None:
        """Keep a rate fault on the Admin API at all times (500, timeout and 502 in turn), a burst of
        throttling every 15 s, and dropped or duplicated webhook deliveries at the same rate."""
        api_kinds = ["http_500", "timeout", "http_500", "http_502"]
        delivery_kinds = ["drop_webhooks", "duplicate_webhooks"]
        turn = 0
        last_throttle = time.monotonic()
        while not self.stop_event.wait(0.5):
            try:
                active = self.store.get("/_devstore/faults")
            except Exception as exc:  # the devstore is busy: try again on the next tick
                log(f"could not read the devstore's faults: {exc}")
                continue
            kinds = [fault["kind"] for fault in active]
            if not any(kind in ("http_500", "http_502", "timeout") for kind in kinds):
                self._fault(api_kinds[turn % len(api_kinds)], 50, self.options.fault_rate)
            if not any(kind in delivery_kinds for kind in kinds):
                self._fault(delivery_kinds[turn % len(delivery_kinds)], 30, self.options.fault_rate)
            if time.monotonic() - last_throttle > 15:
                self._fault("throttle", 3)
                last_throttle = time.monotonic()
            turn += 1

    def fulfil_loop(self, due: list[tuple[float, int, str, float]], lock: threading.Lock) -> None:
        """The warehouse, which picks no order on hold. `due` holds (when, order, why, give up at):
        "asked": the shopper just asked and the merchant releases the portal's hold in the console so that
        it ships at once (between the submit and the push); "window": a quiet order whose window ends,
        looked at until no hold is left on it (into the drain), then shipped."""
        while (not self.stop_event.is_set() or due) and not self.warehouse_stop.is_set():
            with lock:
                item = heapq.heappop(due) if due and due[0][0] <= time.monotonic() else None
            if item is None:
                time.sleep(0.05)
                continue
            _at, legacy_id, why, give_up = item
            if why == "asked":
                self.merchant_release(legacy_id)
            try:
                order = self.store.get(f"/_devstore/orders/{legacy_id}")
            except Exception:  # the devstore is busy: look again shortly, for a while
                order = None
            waiting = order is None or (why == "window" and bool(order.get("holds")))
            if waiting and time.monotonic() < give_up:
                with lock:
                    again = "released" if why == "asked" else why  # released once is enough
                    heapq.heappush(due, (time.monotonic() + 2.0, legacy_id, again, give_up))
                continue
            if order is None:
                continue
            if order.get("holds"):
                self.stats["fulfil_held"] += 1  # still on hold: the warehouse leaves it
                continue
            try:
                self.store.post(f"/_devstore/orders/{legacy_id}/fulfill", {})
                self.stats["shipped_after_release" if why == "window" else "fulfilled"] += 1
            except Exception:
                self.stats["fulfil_refused"] += 1  # already cancelled: the push was faster
        self.stats["fulfil_held"] += len(due)  # still on hold when the drain ended

    def merchant_release(self, legacy_id: int) -> None:
        """The console's "release now" on one order, done at once (`holds_release`, which the action's
        task runs); the merchant tries again while Shopify fails."""
        from django.db import close_old_connections

        from cancellations.services.holds import holds_release
        from shopify_sync.errors import ShopifyTransientError

        close_old_connections()
        for attempt in range(1, MERCHANT_RELEASE_ATTEMPTS + 1):
            try:
                released = holds_release(order_id=self.order_pk[legacy_id], because=f"released by {MERCHANT}")
            except ShopifyTransientError:
                if attempt < MERCHANT_RELEASE_ATTEMPTS:
                    time.sleep(0.3)
                    continue
                released = 0
                self.stats["merchant_release_errors"].append(f"order {legacy_id}: Shopify kept failing")
            except Exception as exc:  # e.g. a worker released it a moment before: it shows in the verdict
                released = 0
                self.stats["merchant_release_errors"].append(
                    f"order {legacy_id}: {type(exc).__name__}: {exc}"
                )
            self.stats["merchant_released"] += released
            return

    def moderate_loop(self, queue: list[tuple[float, int, str]], lock: threading.Lock) -> None:
        """A merchant works through the moderation queue a second or two behind the shoppers."""
        while not self.stop_event.is_set() or queue:
            with lock:
                item = queue[0] if queue and queue[0][0] <= time.monotonic() else None
                if item is not None:
                    heapq.heappop(queue)
            if item is None:
                time.sleep(0.05)
                continue
            _at, request_id, decision = item
            try:
                self._decide(request_id, decision)
            except Exception as exc:  # keep moderating; an undecided request shows in the verdict
                log(f"moderating request #{request_id} failed: {type(exc).__name__}: {exc}")
                self.stats["moderation_errors"] = self.stats.get("moderation_errors", 0) + 1
                with lock:
                    heapq.heappush(queue, (time.monotonic() + 1.0, request_id, decision))

    def _decide(self, request_id: int, decision: str) -> None:
        from django.db import close_old_connections

        from cancellations.errors import RequestNotAllowed
        from cancellations.models import Request
        from cancellations.services import request_approve, request_reject

        close_old_connections()
        request = Request.objects.select_related("order").get(pk=request_id)
        if request.state != Request.State.SUBMITTED:
            return
        try:
            if decision == "reject":
                message = REJECT_MESSAGES.get(request.kind, REJECT_MESSAGE)
                request_reject(request=request, moderator=self.moderator, message=message)
            elif decision == "approve":
                request_approve(request=request, moderator=self.moderator)
            else:
                amount = None
                if decision == "partial":
                    amount = (request.order.total_price_presentment * Decimal("0.3")).quantize(
                        Decimal("0.01")
                    )
                request_approve(
                    request=request,
                    moderator=self.moderator,
                    refund=decision,
                    refund_amount=amount,
                    restock=True,
                    notify=False,
                    message="Approved by the soak's moderator.",
                )
        except RequestNotAllowed as refused:
            # e.g. a partial refund on an order that shipped meanwhile: the merchant says no instead
            request_reject(request=request, moderator=self.moderator, message=f"Cannot approve: {refused}")
        self.stats["moderated"] += 1

    def redis_outage(self) -> None:
        assert self.redis is not None
        self.timeline.mark(f"Redis stopped (shutdown nosave) for {self.options.redis_outage_seconds:.0f}s")
        self.redis.shutdown()
        time.sleep(self.options.redis_outage_seconds)
        self.redis.start()
        self.timeline.mark("Redis started again on the same port (empty)")

    def kill_worker(self) -> None:
        from cancellations.models import Request

        # Mid-task: wait (briefly) for pushes under way, then SIGKILL the group (the worker and its pool).
        with contextlib.suppress(TimeoutError):
            wait_until(
                lambda: Request.objects.filter(
                    state=Request.State.PUSHING, lease_token__isnull=False
                ).exists(),
                timeout=5,
                what="a push under way",
                interval=0.02,
            )
        pushing = Request.objects.filter(state=Request.State.PUSHING, lease_token__isnull=False).count()
        victim = self.workers[0]
        victim.kill()
        self.killed.add(victim.name)
        self.timeline.mark(
            f"worker {victim.name} (pid {victim.pid}) killed with SIGKILL; {pushing} pushes held a lease"
        )
        replacement = self.start_worker(len(self.workers) + 1)
        self.timeline.mark(f"worker {replacement.name} started")

    # -- submissions -----------------------------------------------------------------------------------

    def submit(self, plan: Plan) -> None:
        from django.db import close_old_connections

        from cancellations.errors import RequestNotAllowed
        from cancellations.models import Policy, Request
        from cancellations.selectors import OrderPass
        from cancellations.services import policy_get_or_create, request_submit
        from shopify_sync.models import Order, Shop

        shop = Shop.objects.get(domain=SHOP_DOMAIN)
        policy = policy_get_or_create(shop=shop)
        order_pk = self.order_pk = dict(Order.objects.filter(shop=shop).values_list("legacy_id", "pk"))
        fulfil_due: list[tuple[float, int, str, float]] = []
        started, wall = time.monotonic(), datetime.now(UTC)
        for quiet in plan.quiet_orders:
            if quiet.ship_when_released:
                assert quiet.legacy_id is not None
                at = started + (plan.window_end(quiet) - wall).total_seconds()
                fulfil_due.append((at, quiet.legacy_id, "window", float("inf")))
        heapq.heapify(fulfil_due)
        moderation: list[tuple[float, int, str]] = []
        lock = threading.Lock()
        rng = random.Random(self.options.seed)
        in_shopify: list[tuple[float, int, int, str, float]] = []
        threads = [
            threading.Thread(target=self.faults_loop, name="faults", daemon=True),
            threading.Thread(
                target=self.moderate_loop, args=(moderation, lock), name="moderate", daemon=True
            ),
            threading.Thread(
                target=self.shopify_admin_loop, args=(in_shopify, lock), name="shopify-admin", daemon=True
            ),
        ]
        # The warehouse goes on into the drain: the beat releases the last quiet orders' holds then.
        self.warehouse = threading.Thread(
            target=self.fulfil_loop, args=(fulfil_due, lock), name="warehouse", daemon=True
        )
        for thread in [*threads, self.warehouse]:
            thread.start()
        self.timeline.mark(
            f"faults on: {self.options.fault_rate:.0%} of Admin API calls fail (500/502/timeout), throttle "
            f"bursts, {self.options.fault_rate:.0%} of webhooks dropped or duplicated"
        )

        def one(planned: PlannedRequest) -> None:
            close_old_connections()
            legacy_id = planned.order.legacy_id
            assert legacy_id is not None  # seed() created every planned order in the store
            order = Order.objects.select_related("shop").get(pk=order_pk[legacy_id])
            # A guest reaches the order with a lookup code: a pass for that one order, no account.
            shopper = (
                OrderPass(order_id=order.pk, email=planned.order.email)
                if planned.order.guest
                else self.shoppers[planned.order.email]
            )
            language = "ko" if planned.order.country == "KR" else "en"
            try:
                if planned.kind == "item_edit":
                    edited = self.submit_edit(planned, order, shopper, language, lock)
                    if edited is None:
                        return
                    request = edited
                elif planned.kind in ("return", "withdrawal"):
                    request = self.submit_return_or_withdrawal(planned, order, shopper, language, lock)
                else:
                    request = request_submit(
                        order=order,
                        shopper=shopper,
                        kind=planned.kind,
                        reason_code=planned.reason_code,
                        reason_text=planned.reason_text,
                        address=planned.new_address,
                        language=language,
                    )
            except RequestNotAllowed as refused:
                with lock:
                    key = f"{planned.kind}: {refused.code}"
                    self.stats["refused"][key] = self.stats["refused"].get(key, 0) + 1
                return
            with lock:
                if planned.order.guest:
                    self.guest_orders.add(order.shopify_gid)
                    self.stats["guest_requests"] += 1
                if planned.fulfil:
                    at = time.monotonic() + rng.uniform(0, 1.0)
                    heapq.heappush(fulfil_due, (at, legacy_id, "asked", at + 10.0))
                if planned.moderated:
                    # A return is looked at a little later, mostly once Shopify holds it (declined there
                    # too, then); now and then before.
                    wait = rng.uniform(0.5, 15.0) if request.kind == "return" else rng.uniform(0.5, 2.0)
                    heapq.heappush(moderation, (time.monotonic() + wait, request.pk, planned.decision))
                elif planned.decision.startswith("shopify_"):
                    at = time.monotonic() + rng.uniform(1.0, 5.0)
                    give_up = at + SHOPIFY_DECISION_PATIENCE_SECONDS
                    heapq.heappush(in_shopify, (at, request.pk, legacy_id, planned.decision, give_up))

        blocks = plan.blocks()
        interval = self.options.submit_seconds / max(1, len(blocks))
        kill_at = int(len(blocks) * 0.3)
        outage_at = int(len(blocks) * 0.5)
        outage: threading.Thread | None = None
        with (
            ThreadPoolExecutor(4) as pool,
            tqdm(total=len(plan.requests), desc="requests", file=sys.stderr) as bar,
        ):
            for number, block in enumerate(blocks):
                began = time.monotonic()
                if number == kill_at:
                    self.kill_worker()
                if number == outage_at:
                    outage = threading.Thread(target=self.redis_outage, name="redis-outage", daemon=True)
                    outage.start()
                moderated = block_moderated(block[0].block)
                refunds = [r.decision for r in block if r.kind == "cancel" and not r.moderated]
                Policy.objects.filter(pk=policy.pk).update(
                    auto_approve_cancels=not moderated,
                    auto_approve_address_changes=not moderated,
                    auto_approve_item_edits=not moderated,
                    auto_approve_returns=block_auto_returns(block[0].block),
                    default_refund=refunds[0] if refunds else "full",
                )
                list(pool.map(one, block))
                bar.update(len(block))
                if self.left() < RESERVE_SECONDS + 60:
                    log("time budget: submissions stop early")
                    break
                time.sleep(max(0.0, interval - (time.monotonic() - began)))
        if outage is not None:
            outage.join()
        self.stop_event.set()  # the moderation thread finishes its queue, then stops; the warehouse too
        for thread in threads:
            thread.join(timeout=max(5.0, self.left() - RESERVE_SECONDS))
        self.stats["submitted"] = Request.objects.count()

    def submit_edit(
        self, planned: PlannedRequest, order: Order, shopper: Any, language: str, lock: threading.Lock
    ) -> Request | None:
        """What the shopper's edit and confirm pages do: Shopify prices the change, the shopper confirms
        it. A price Shopify could not give ("try again in a minute") is asked again, up to
        `PRICE_ATTEMPTS` times; None when it never came: no request exists, and the run's stats say so."""
        from cancellations import item_edits
        from cancellations.errors import RequestNotAllowed
        from cancellations.services.item_edits import item_edit_price, item_edit_submit
        from shopify_sync.order_edits import LineChange

        edit = planned.edit
        assert edit is not None  # planned with every item edit
        lines = list(order.line_items.order_by("position").values_list("shopify_gid", flat=True))
        change = LineChange(
            line_item_gid=lines[edit.line],
            quantity=edit.quantity,
            swap_to=self.variant_gids[edit.swap_to] if edit.swap_to else None,
        )
        priced: PricedEdit | None = None
        for attempt in range(1, PRICE_ATTEMPTS + 1):
            try:
                priced = item_edit_price(order=order, shopper=shopper, changes=[change])
                break
            except RequestNotAllowed as refused:
                if refused.code != "shopify_unavailable":
                    raise
                with lock:
                    self.stats["price_retries"] += 1
                if attempt < PRICE_ATTEMPTS:
                    time.sleep(PRICE_RETRY_SECONDS)
        what = f"{edit.flavour} on {order.name} (plan position {planned.position})"
        if priced is None:
            with lock:
                self.stats["unpriced"].append(what)
            return None
        with lock:
            self.stats["priced_after_retry"] += int(attempt > 1)
            if priced.refund_due != edit.refund:
                self.stats["priced_differently"].append(
                    f"{what}: Shopify owes {priced.refund_due}, the plan {edit.refund}"
                )
        request = item_edit_submit(
            order=order,
            shopper=shopper,
            line_changes=[item_edits.change_as_dict(c) for c in priced.changes],
            snapshot=priced.snapshot,
            language=language,
        )
        with lock:
            self.planned_refunds[request.pk] = edit.refund
        return request

    def live(self, kind: str, call: Callable[[], T], lock: threading.Lock) -> T:
        """A page that reads Shopify while the shopper waits: told "try again in a minute", the shopper
        tries again, up to `PRICE_ATTEMPTS` times (the last refusal is raised)."""
        from cancellations.errors import RequestNotAllowed

        for attempt in range(1, PRICE_ATTEMPTS + 1):
            try:
                return call()
            except RequestNotAllowed as refused:
                if refused.code != "shopify_unavailable" or attempt == PRICE_ATTEMPTS:
                    raise
                with lock:
                    self.stats["live_retries"][kind] = self.stats["live_retries"].get(kind, 0) + 1
                time.sleep(PRICE_RETRY_SECONDS)
        raise AssertionError("unreachable")

    def submit_return_or_withdrawal(
        self, planned: PlannedRequest, order: Order, shopper: Any, language: str, lock: threading.Lock
    ) -> Request:
        """What the return page (the shipped lines read live, then the confirm) or the withdrawal's two
        steps (the check with the deliveries read live, then "Confirm withdrawal") do. With
        `planned.twice` the confirm is sent twice at once, as a double click does: one request is made,
        the other refused (how, the stats say)."""
        from django.db import close_old_connections

        from cancellations.errors import RequestNotAllowed
        from cancellations.selectors import OrderPass
        from cancellations.services.returns import return_options, return_submit
        from cancellations.services.withdrawals import withdrawal_check, withdrawal_submit

        kind = planned.kind
        if kind == "return":
            assert planned.returns is not None  # planned with every return
            offered = {
                line.title: line.fulfillment_line_item_gid
                for line in self.live(kind, lambda: return_options(order=order, shopper=shopper), lock)
            }
            quantities = {offered[title]: quantity for title, quantity in planned.returns.items()}

            def confirm() -> Request:
                return return_submit(
                    order=order,
                    shopper=shopper,
                    quantities=quantities,
                    reason=planned.reason_code,
                    note=planned.reason_text,
                    language=language,
                )
        else:
            checked = self.live(kind, lambda: withdrawal_check(order=order, shopper=shopper), lock)
            if not checked.verdict:
                raise RequestNotAllowed(checked.verdict.message, code=checked.verdict.code)

            def confirm() -> Request:
                return withdrawal_submit(
                    order=order,
                    shopper=shopper,
                    name=f"{planned.order.first} {planned.order.last}",
                    email=planned.order.email,
                    language=language,
                    via="guest" if isinstance(shopper, OrderPass) else "account",
                ).request

        if not planned.twice:
            request = self.live(kind, confirm, lock)
        else:
            results: list[Any] = [None, None]
            start = threading.Barrier(2)

            def click(slot: int) -> None:
                try:
                    start.wait(timeout=10)
                    results[slot] = self.live(kind, confirm, lock)
                except Exception as exc:  # a refusal, or anything else: looked at below
                    results[slot] = exc
                finally:
                    close_old_connections()

            clicks = [threading.Thread(target=click, args=(slot,)) for slot in (0, 1)]
            for thread in clicks:
                thread.start()
            for thread in clicks:
                thread.join()
            made = [result for result in results if not isinstance(result, Exception)]
            with lock:
                for result in results:
                    if isinstance(result, Exception):
                        how = result.code if isinstance(result, RequestNotAllowed) else type(result).__name__
                        self.stats["twice"][how] = self.stats["twice"].get(how, 0) + 1
                if len(made) > 1:
                    self.stats["twice_accepted"].append(
                        f"{kind} on {order.name}: requests #{made[0].pk} and #{made[1].pk}"
                    )
            if not made:
                raise next(result for result in results if isinstance(result, Exception))
            request = made[0]
        if request.kind == "return":
            asked = planned.returns if kind == "return" else None
            if asked is None:  # a withdrawal: everything shipped goes back
                asked = {line["title"]: line["quantity"] for line in planned.order.shipped_lines()}
            with lock:
                self.planned_returns[request.pk] = dict(asked)
        if kind == "withdrawal":
            late = datetime.now(UTC) - planned.order.processed_at > timedelta(minutes=WINDOW_MINUTES)
            what = {"all": "everything shipped", "first_line": "the first line shipped"}.get(
                planned.order.shipped, "nothing shipped, windows closed" if late else "nothing shipped"
            )
            with lock:
                self.withdrawn[order.shopify_gid] = bool(planned.order.shipped)
                self.stats["withdrawals"][what] = self.stats["withdrawals"].get(what, 0) + 1
        return request

    def shopify_admin_loop(
        self, queue: list[tuple[float, int, int, str, float]], lock: threading.Lock
    ) -> None:
        """The store's staff deciding returns in Shopify's admin (the devstore's control API, which sends
        the `returns/*` webhooks): each return is looked for every two seconds once the portal's request
        for it left (by the request's marker in its lines' notes), then approved, or declined with a note.
        One that never shows within its patience is decided in our console instead (and the report says
        so)."""
        while not self.stop_event.is_set() or queue:
            with lock:
                item = heapq.heappop(queue) if queue and queue[0][0] <= time.monotonic() else None
            if item is None:
                time.sleep(0.05)
                continue
            _at, request_id, legacy_id, decision, give_up = item
            try:
                # Nothing to look for in Shopify before the portal's request for the return has left.
                found = None
                if sent_to_shopify(request_id):
                    found = next(
                        (
                            found
                            for found in self.store.returns(legacy_id)
                            if any(
                                int(mark) == request_id
                                for line in found["line_items"]
                                for mark in REQUEST_MARK.findall(line.get("customer_note") or "")
                            )
                        ),
                        None,
                    )
            except Exception:  # the devstore is busy: look again
                found = None
            if found is None and time.monotonic() < give_up:
                with lock:
                    heapq.heappush(queue, (time.monotonic() + 2.0, request_id, legacy_id, decision, give_up))
                continue
            if found is None:
                self.stats["decided_in_console_instead"].append(f"request #{request_id}")
                fallback = "approve" if decision == "shopify_approve" else "reject"
                try:
                    self._decide(request_id, fallback)
                except Exception as exc:
                    log(f"deciding request #{request_id} in the console failed: {type(exc).__name__}: {exc}")
                continue
            try:
                if decision == "shopify_approve":
                    self.store.approve_return(found["id"])
                else:
                    self.store.decline_return(found["id"], reason="final_sale", note=SHOPIFY_DECLINE_NOTE)
            except Exception as exc:  # e.g. decided meanwhile: the verdict shows what came of it
                self.stats["shopify_decision_errors"].append(f"request #{request_id}: {exc}")
                continue
            verb = decision.removeprefix("shopify_")
            with lock:
                self.stats["shopify_decided"][verb] = self.stats["shopify_decided"].get(verb, 0) + 1

    # -- drain and verdict -----------------------------------------------------------------------------

    def drain(self) -> None:
        """Until every request is finished, every hold whose window closed is released and the warehouse
        shipped what it waited for; then a while longer for the releases the last settled requests
        cause."""
        from cancellations.models import Request
        from cancellations.services.holds import holds_due

        with contextlib.suppress(Exception):
            self.store._request("DELETE", "/_devstore/faults")
        self.timeline.mark("faults off; draining")
        total = Request.objects.count()
        settled_since: float | None = None
        last_said = time.monotonic()
        with tqdm(total=total, desc="finished", file=sys.stderr) as bar:
            while True:
                open_count = Request.objects.filter(state__in=Request.OPEN_STATES).count()
                bar.n = total - open_count
                bar.refresh()
                due = len(holds_due())
                declines, unacknowledged = still_to_send()
                flagged = orders_flagged()
                if open_count == 0 and settled_since is None:
                    settled_since = time.monotonic()
                waited = settled_since is not None and (
                    time.monotonic() - settled_since > SETTLED_RELEASE_WAIT_SECONDS
                )
                shipping = self.warehouse is not None and self.warehouse.is_alive()
                settled = (
                    open_count == 0
                    and not due
                    and not shipping
                    and not (declines or unacknowledged or flagged)
                )
                if (settled and (waited or not held_after_settling())) or self.left() < RESERVE_SECONDS:
                    break
                if time.monotonic() - last_said > 30:
                    last_said = time.monotonic()
                    log(
                        f"draining: {open_count} requests open, {due} holds due, {declines} declines and "
                        f"{unacknowledged} acknowledgements to send, {flagged} orders flagged for a re-read"
                        + (", the warehouse still shipping" if shipping else "")
                    )
                time.sleep(1)
        self.warehouse_stop.set()
        if self.warehouse is not None:
            self.warehouse.join(timeout=10)
        if open_count:
            log(f"{open_count} requests still open at the end of the time budget")
        if due:
            log(f"{due} orders' holds outlived their windows at the end of the time budget")
        if declines:
            log(f"{declines} rejected returns still to be declined in Shopify at the end of the time budget")
        if unacknowledged:
            log(f"{unacknowledged} withdrawals still unacknowledged at the end of the time budget")

    def check_workers(self) -> None:
        """Every worker not killed on purpose is still running at the end, none restarted: none gave up on
        Redis during its outage (production's supervisor would restart one that did, so the run goes on;
        the soak still fails). Whether they answer a ping is reported too."""
        from portal.celery import app

        running = [w for w in self.workers if w.name not in self.killed and w.alive()]
        # A worker busy with its last tasks on a loaded machine may miss one ping: ask a few times.
        answered: set[str] = set()
        for _ in range(5):
            answered |= {name for reply in app.control.ping(timeout=3.0) or [] for name in reply}
            if len(answered) >= len(running):
                break
        answering = len(answered)
        # Running and never restarted is what counts; a ping missed under load is only reported.
        self.workers_ok = not self.crashes and len(running) >= self.options.workers
        self.notes.append(
            f"workers ({WORKER_CONCURRENCY} slots each) at the end: {', '.join(w.name for w in running)} "
            f"running, {answering} answering a ping" + ("" if self.crashes else "; none exited by itself")
        )
        if not self.workers_ok:
            log("a worker exited by itself: " + ("; ".join(self.crashes) or "fewer running than started"))

    def final_sync(self) -> None:
        from shopify_sync import sync
        from shopify_sync.models import WebhookDelivery

        # Let the store's webhook queue go quiet and the workers process what arrived.
        def quiet() -> bool:
            first = len(self.store.webhooks())
            time.sleep(1.0)
            return len(self.store.webhooks()) == first

        with contextlib.suppress(TimeoutError):
            wait_until(quiet, timeout=min(20, max(1, self.left() - 30)), what="webhooks to go quiet")
        with contextlib.suppress(TimeoutError):
            wait_until(
                lambda: (
                    not WebhookDelivery.objects.filter(processed_at__isnull=True, attempts__lt=10).exists()
                ),
                timeout=min(20, max(1, self.left() - 25)),
                what="stored webhooks to be processed",
            )
        for _ in range(30):
            try:
                result = sync.orders_sync_incremental()
                break
            except sync.SyncAlreadyRunning:
                time.sleep(1)
        else:
            raise RuntimeError("the final incremental sync could not start")
        self.timeline.mark(f"final incremental sync: {result.orders} orders")
        # Two webhooks of one second that disagreed flag their order for a re-read from Shopify: the
        # portal knows that row is stale until its refresh task ran.
        with contextlib.suppress(TimeoutError):
            wait_until(
                lambda: orders_flagged() == 0,
                timeout=min(20, max(1, self.left() - 20)),
                what="flagged orders to be read again",
            )

    def verdict(self):
        from django.template.loader import render_to_string
        from django.utils import timezone, translation

        from cancellations.models import FulfilmentHold, Request, Withdrawal
        from shopify_sync.models import LineItem, Order
        from soak.reconcile import reconcile

        requests: list[dict[str, Any]] = [
            dict(row)
            for row in Request.objects.values(
                "id",
                "kind",
                "state",
                "failure_code",
                "decision_message",
                "refund",
                "refund_amount",
                "requested_address",
                "line_changes",
                "edit_preview",
                "return_lines",
                "reason_code",
                "is_withdrawal",
                "shopper_id",
                "shopper_email",
                "order__shopify_gid",
            )
        ]
        for row in requests:
            if row["id"] in self.planned_refunds:
                row["planned_refund"] = self.planned_refunds[row["id"]]
            if row["id"] in self.planned_returns:
                row["planned_return"] = self.planned_returns[row["id"]]
        withdrawals = [
            dict(row)
            for row in Withdrawal.objects.values(
                "id",
                "order__shopify_gid",
                "order__name",
                "request_id",
                "email",
                "language",
                "acknowledged_at",
            )
        ]
        for row in withdrawals:
            # The subject `withdrawal_acknowledge` gives its e-mail, in the withdrawal's language.
            with translation.override(str(row["language"])):
                subject = render_to_string(ACKNOWLEDGEMENT_SUBJECT, {"order": {"name": row["order__name"]}})
                row["acknowledgement_subject"] = " ".join(subject.split())
        lines: dict[str, dict[str, int]] = {}
        for line in LineItem.objects.values("order__shopify_gid", "shopify_gid", "current_quantity"):
            lines.setdefault(line["order__shopify_gid"], {})[line["shopify_gid"]] = line["current_quantity"]
        mirror = {
            row["shopify_gid"]: {**row, "lines": lines.get(row["shopify_gid"], {})}
            for row in Order.objects.values(
                "shopify_gid", "cancelled_at", "fulfillment_status", "financial_status", "shipping_address"
            )
        }
        now = timezone.now()
        holds = list(
            FulfilmentHold.objects.values(
                "order__shopify_gid",
                "fulfillment_order_gid",
                "hold_gid",
                "state",
                "held_until",
                "released_because",
            )
        )
        store_orders = {order["admin_graphql_api_id"]: order for order in self.store.get("/_devstore/orders")}
        calls = self.store.calls()
        self.stats["calls"] = _call_outcomes(calls)
        self.stats["webhooks"] = _delivery_outcomes(self.store.webhooks())
        return reconcile(
            requests=requests,
            mirror=mirror,
            store_orders=store_orders,
            calls=calls,
            holds=holds,
            merchant_holds=self.merchant_holds,
            now=now,
            withdrawals=withdrawals,
            withdrawn=self.withdrawn,
            mail=captured(self.mail_file),
            guest_orders=self.guest_orders,
        )

    # -- the whole --------------------------------------------------------------------------------------

    def run(self):
        first = QUIET_FIRST_WINDOW_END_SECONDS
        plan = make_plan(
            requests=self.options.requests,
            seed=self.options.seed,
            quiet_window_ends=(first, first + 0.8 * self.options.submit_seconds),
        )
        self.stats["edits_planned"] = edit_flavours(plan)
        self.stats["returns_planned"] = return_decisions(plan)
        self.stats["guests_planned"] = sum(1 for request in plan.requests if request.order.guest)
        self.stats["twice_planned"] = sum(1 for request in plan.requests if request.twice)
        self.stats["quiet"] = quiet_roles(plan)
        with self.timeline.phase("set-up"):
            self.start_infrastructure()
            self.seed(plan)
            self.start_workers()
            self.wait_for_holds()
        self.timeline.mark(f"set up: {len(plan.orders)} orders, {len(plan.shopper_emails)} shoppers")
        threading.Thread(target=self.supervise_loop, name="supervise", daemon=True).start()
        with self.timeline.phase("submissions"):
            self.submit(plan)
        with self.timeline.phase("drain"):
            self.drain()
        with self.timeline.phase("final sync"):
            self.final_sync()
        self.check_workers()
        with self.timeline.phase("reconciliation"):
            verdict = self.verdict()
        from shopify_sync.models import ShopAccess

        renewals = sum(ShopAccess.objects.values_list("renewals", flat=True))
        self.notes.append(
            f"access tokens: {renewals} obtained by client credentials, each lives {TOKEN_LIFETIME_SECONDS} s"
        )
        self.supervisor_stop.set()
        if self.crashes:
            self.notes.append(
                "processes that exited by themselves and were restarted, as production's supervisor would: "
                + "; ".join(self.crashes)
            )
        return verdict


def edit_flavours(plan: Plan) -> dict[str, int]:
    """The plan's item edits by flavour, a swap by whether it costs less or the same."""
    found: dict[str, int] = {}
    for request in plan.requests:
        if request.edit is not None:
            flavour = request.edit.flavour
            if flavour == "swap":
                flavour = "swap, cheaper" if request.edit.refund > 0 else "swap, same price"
            found[flavour] = found.get(flavour, 0) + 1
    return found


def return_decisions(plan: Plan) -> dict[str, int]:
    """The plan's returns (withdrawals of shipped goods included) by who decides them, and how."""
    found: dict[str, int] = {}
    for request in plan.requests:
        if request.kind == "return" or (request.kind == "withdrawal" and request.order.shipped):
            found[request.decision] = found.get(request.decision, 0) + 1
    return found


def quiet_roles(plan: Plan) -> dict[str, int]:
    """The quiet orders by what happens to them besides the window's release."""
    found = {"merchant's hold too": 0, "shipped once released": 0, "only released": 0}
    for order in plan.quiet_orders:
        role = (
            "merchant's hold too"
            if order.merchant_hold
            else "shipped once released"
            if order.ship_when_released
            else "only released"
        )
        found[role] += 1
    return found


def sent_to_shopify(request_id: int) -> bool:
    """Has the portal's `returnRequest` for this request left (once at least)?"""
    from django.db import close_old_connections

    from cancellations.models import ShopifyMutation

    close_old_connections()
    return ShopifyMutation.objects.filter(
        request_id=request_id,
        operation=ShopifyMutation.Operation.RETURN_REQUEST,
        first_sent_at__isnull=False,
    ).exists()


def orders_flagged() -> int:
    """Orders the portal knows to be stale: flagged for a re-read from Shopify, not read yet."""
    from shopify_sync.models import Order

    return Order.objects.filter(refresh_requested_at__isnull=False).count()


def still_to_send() -> tuple[int, int]:
    """What settled requests still owe: rejected returns whose decline is not yet in Shopify (pushed in
    place, after the rejection), and withdrawals whose acknowledgement is not sent yet."""
    from cancellations.models import Request, ShopifyMutation, Withdrawal

    declines = (
        Request.objects.filter(
            state=Request.State.REJECTED, mutations__state__in=ShopifyMutation.UNSETTLED_STATES
        )
        .distinct()
        .count()
    )
    return declines, Withdrawal.objects.filter(acknowledged_at__isnull=True).count()


def held_after_settling() -> int:
    """Orders the portal still holds although every request on them has settled."""
    from django.db.models import Exists, OuterRef

    from cancellations.models import FulfilmentHold, Request

    requests = Request.objects.filter(order=OuterRef("order_id"))
    return (
        FulfilmentHold.objects.filter(state=FulfilmentHold.State.HELD)
        .filter(Exists(requests))
        .exclude(Exists(requests.filter(state__in=Request.OPEN_STATES)))
        .values("order_id")
        .distinct()
        .count()
    )


def _call_outcomes(calls: list[dict]) -> dict[str, int]:
    found: dict[str, int] = {}
    for call in calls:
        key = f"{call['operation']} {call['outcome']}"
        found[key] = found.get(key, 0) + 1
    return dict(sorted(found.items()))


def _delivery_outcomes(deliveries: list[dict]) -> dict[str, int]:
    found: dict[str, int] = {}
    for delivery in deliveries:
        key = str(delivery.get("outcome") or delivery.get("status") or "?")
        found[key] = found.get(key, 0) + 1
    return dict(sorted(found.items()))


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    with contextlib.suppress(ValueError, AttributeError):
        signal.signal(signal.SIGHUP, stop)
    soak = Soak(options)
    # A last resort: whatever hangs, the process ends shortly after its budget (processes still cleaned).
    signal.signal(signal.SIGALRM, stop)
    signal.alarm(int(options.minutes * 60 + 60))
    try:
        verdict = soak.run()
    except KeyboardInterrupt as exc:
        log(f"interrupted ({exc}); stopping everything")
        return 130
    finally:
        signal.alarm(0)
        soak.cluster.stop_all()
        log(f"all processes stopped; logs in {soak.log_dir}")
    total = time.monotonic() - soak.timeline.started
    from soak.report import write_report

    if options.report:
        write_report(options.report, soak=soak, verdict=verdict, total_seconds=total)
        log(f"wrote {options.report}")
    for kind, items in (
        ("lost", verdict.lost),
        ("duplicated", verdict.duplicated),
        ("mismatched", verdict.mismatched),
    ):
        for item in items[:20]:
            log(f"{kind}: {item}")
    for line in verdict.kind_lines():
        log(f"by kind: {line}")
    print(verdict.line, flush=True)
    return 0 if verdict.ok and soak.workers_ok else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

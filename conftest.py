"""Fixtures every app's tests share: Shopify's real schema (when ../shared is there) and the devstore."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SHARED = ROOT.parent / "shared"
SHOPIFY_SCHEMA = SHARED / "shopify" / "admin-2026-07.graphql"
RECORDINGS = SHARED / "shopify" / "recordings"


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Tests make hundreds of users and sign-ins; the production hasher is slow on purpose (a million
    # PBKDF2 rounds each). What is tested is who may sign in, not the hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Django runs tests with DEBUG off, where stored Shopify tokens need a configured key; one per run,
    # in the environment too, so the portal processes a test starts share it.
    if not settings.PORTAL_ENCRYPTION_KEYS:
        from cryptography.fernet import Fernet

        os.environ["PORTAL_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
        settings.PORTAL_ENCRYPTION_KEYS = [os.environ["PORTAL_ENCRYPTION_KEYS"]]
    # Under pytest-xdist (`-n 2`) the workers share one Redis: the cache (rate limits, sign-in codes) gets
    # a prefix per worker, so one worker's rate-limit counters never refuse the other's requests.
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        for cache in settings.CACHES.values():
            cache["KEY_PREFIX"] = f"test-{worker}"


@pytest.fixture(scope="session")
def shopify_schema():
    """Shopify's real 2026-07 Admin schema. A fresh clone has no ../shared: then these tests skip."""
    if not SHOPIFY_SCHEMA.exists():
        pytest.skip(f"Shopify's schema is not at {SHOPIFY_SCHEMA} (../shared is absent in a user's clone)")
    from graphql import build_schema

    # Shopify's schema breaks one deprecation rule graphql-core enforces; it is valid for querying.
    return build_schema(SHOPIFY_SCHEMA.read_text(), assume_valid=True)


@pytest.fixture(scope="session")
def recordings_dir() -> Path:
    if not RECORDINGS.exists():
        pytest.skip(f"Shopify recordings are not at {RECORDINGS} (../shared is absent in a user's clone)")
    return RECORDINGS


@pytest.fixture(scope="session")
def devstore_factory():
    """Start extra devstore processes with their own options: `with devstore_factory(seed=200) as store:`."""
    from devstore.testing import Devstore

    return Devstore


@pytest.fixture(scope="session")
def _shared_devstore(devstore_factory):
    with devstore_factory(seed=0) as store:
        yield store


@pytest.fixture
def devstore(_shared_devstore):
    """One devstore process for the session, emptied before each test (orders, calls, faults)."""
    _shared_devstore.reset()
    return _shared_devstore


class Intake:
    """The webhook intake a test runs on: "database", or "redis" (the buffer, drained by `drain`)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def drain(self) -> list[int]:
        """What a drain task does on a worker: move the buffer into the database. New delivery ids."""
        from shopify_sync.services.webhooks import webhook_intake_drain

        new_ids: list[int] = []
        if self.mode == "redis":
            webhook_intake_drain(consumer="test-drain", on_stored=new_ids.extend)
        return new_ids

    def buffered(self) -> int:
        from shopify_sync.webhooks import intake as intake_buffer

        return intake_buffer.backlog() if self.mode == "redis" else 0


@pytest.fixture(autouse=True)
def _webhook_intake_per_test(settings):
    """Webhooks go straight into the database unless a test takes `intake` or `redis_intake`; every test
    has an intake stream of its own, so a drain flag or entry left by another test (or by a `make run`
    on the same Redis) changes nothing."""
    settings.WEBHOOK_INTAKE = "database"
    settings.WEBHOOK_INTAKE_STREAM = f"test-webhook-intake-{uuid.uuid4().hex}"
    yield
    if settings.REDIS_URL:
        import redis

        from shopify_sync.webhooks import intake as intake_buffer

        with contextlib.suppress(redis.RedisError):
            stream = settings.WEBHOOK_INTAKE_STREAM
            intake_buffer.client().delete(stream, f"{stream}:drain")


def _use_intake(settings, mode: str) -> Intake:
    if mode == "redis" and not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set (CI sets it): the Redis intake buffer is not tested here")
    settings.WEBHOOK_INTAKE = mode
    return Intake(mode)


@pytest.fixture(params=["database", "redis"])
def intake(request, settings) -> Intake:
    """Runs the test once per webhook intake; the Redis one needs REDIS_URL (CI sets it)."""
    return _use_intake(settings, request.param)


@pytest.fixture
def redis_intake(settings) -> Intake:
    return _use_intake(settings, "redis")


# Browser tests drive Debian's Chromium (Playwright cannot download a browser here); screenshots are kept
# as test artefacts.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "var" / "screenshots"
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium"
)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()

"""Fixtures for the devstore's own tests: real devstore processes, a webhook receiver, the recordings."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from devstore.testing import Devstore, start_devstore

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
RECORDINGS = SHARED / "shopify" / "recordings"
SHOPIFY_SCHEMA = SHARED / "shopify" / "admin-2026-07.graphql"

TOKEN = "devstore-test-token"
SECRET = "devstore-test-secret"


def recording(name: str) -> dict:
    """Load a recording, skipping the test where ../shared is absent (a fresh clone has none)."""
    path = RECORDINGS / name
    if not path.exists():
        pytest.skip(f"Shopify recordings not available ({RECORDINGS} is absent)")
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def seeded() -> Iterator[Devstore]:
    """A read-only store with 500 seeded orders, shared by the whole session (tests must not change it)."""
    with start_devstore(seed=500, token=TOKEN) as store:
        yield store


@pytest.fixture(scope="session")
def _own_devstore() -> Iterator[Devstore]:
    with start_devstore(token=TOKEN, extra_args=["--job-delay", "0.2"]) as store:
        yield store


@pytest.fixture
def devstore(_own_devstore: Devstore) -> Devstore:
    """An empty store of one's own: one process for the session, emptied before each test (orders,
    catalogue, tokens, calls, faults, webhooks and the grants it was started with). A test that needs other
    options, or a restart, starts a store of its own."""
    _own_devstore.reset()
    return _own_devstore


class Receiver:
    """A tiny local webhook receiver: records every request and answers with scripted statuses."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []  # statuses to answer with, consumed in order (then 200)
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.requests.append(
                        {
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": raw,
                            "status": status,
                        }
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/shopify/webhooks/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def topics(self) -> list[str]:
        with self._lock:
            return [r["headers"]["x-shopify-topic"] for r in self.requests]

    def by_topic(self, topic: str) -> list[dict]:
        with self._lock:
            return [r for r in self.requests if r["headers"]["x-shopify-topic"] == topic]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def hooked(receiver: Receiver) -> Iterator[Devstore]:
    """An empty store that delivers webhooks to ``receiver`` with fast retries."""
    with start_devstore(
        token=TOKEN,
        webhook_url=receiver.url,
        webhook_secret=SECRET,
        extra_args=["--webhook-retry-base", "0.05", "--job-delay", "0.1"],
    ) as store:
        yield store

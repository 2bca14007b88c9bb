"""`make run` from a fresh copy of the project: the demo store comes up, the portal connects to it with
client credentials (no static token anywhere), subscribes its webhooks and imports its 300 orders."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _busy(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _fresh_copy(target: Path) -> None:
    """The tracked files as they are now (what a clone of this commit would hold), the same virtualenv."""
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)  # times kept: make sees the venv as up to date
    (target / ".venv").symlink_to(ROOT / ".venv")


def _count(database: Path, sql: str) -> int:
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(database, timeout=1) as connection:
            return int(connection.execute(sql).fetchone()[0])
    except sqlite3.Error:  # not migrated yet, or busy
        return 0


def test_make_run_connects_with_client_credentials_and_imports_the_demo_orders(tmp_path):
    if _busy(8000) or _busy(8765):
        pytest.skip("ports 8000 or 8765 are in use (a `make run` already running?)")
    if not (ROOT / ".venv" / ".runtime-installed").exists():
        pytest.skip("no installed .venv to run with")
    _fresh_copy(tmp_path)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "SHOPIFY_", "DEBUG"))
    }
    env.pop("PORTAL_ENCRYPTION_KEYS", None)
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen(
        ["make", "run"], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    database = tmp_path / "var" / "portal.sqlite3"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            imported = _count(database, "SELECT COUNT(*) FROM shopify_sync_order")
            connected = _count(
                database, "SELECT COUNT(*) FROM shopify_sync_shopaccess WHERE grant = 'client_credentials'"
            )
            if imported >= 300 and connected:
                break
            assert process.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            time.sleep(1)
        with urllib.request.urlopen("http://127.0.0.1:8000/healthz", timeout=5) as response:
            assert response.status == 200
        subscriptions = urllib.request.urlopen("http://127.0.0.1:8765/_devstore/calls", timeout=5).read()
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()

    output = (tmp_path / "run.log").read_text()
    assert imported == 300, output[-3000:]
    assert connected == 1
    assert b"webhookSubscriptionCreate" in subscriptions
    assert "shpat_" not in output  # the token never reaches a log line

"""The short soak (200 requests) as CI runs it: a subprocess, judged by its exit code and its one line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = "postgres://postgres@127.0.0.1:5432"
# Dropped and created by the soak: set SOAK_DATABASE_URL to run beside another soak.
DATABASE_URL = os.environ.get("SOAK_DATABASE_URL") or f"{POSTGRES}/portal_soak_ci"
LINE = re.compile(r"^soak: (\d+) requests, (\d+) lost, (\d+) duplicated, (\d+) mismatched$", re.MULTILINE)


def _postgres_answers() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=3):
            return True
    except Exception:
        return False


pytestmark = [
    pytest.mark.soak,
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set (CI sets it)"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
    pytest.mark.skipif(not _postgres_answers(), reason=f"PostgreSQL does not answer at {POSTGRES}"),
]


@pytest.mark.timeout(420)
def test_the_short_soak_loses_duplicates_and_mismatches_nothing(tmp_path):
    command = [sys.executable, "-m", "soak", "--requests", "200", "--minutes", "4"]
    command += ["--redis-outage-seconds", "10", "--database-url", DATABASE_URL]
    command += ["--report", str(tmp_path / "SOAK.md"), "--log-dir", str(tmp_path / "logs")]

    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=400, check=False)

    found = LINE.search(finished.stdout)
    assert found, f"no soak line in the output:\n{finished.stdout}\n{finished.stderr[-3000:]}"
    requests, lost, duplicated, mismatched = map(int, found.groups())
    report = (tmp_path / "SOAK.md").read_text()
    assert (requests, lost, duplicated, mismatched) == (200, 0, 0, 0), report
    assert "| item_edit completed |" in report  # the third kind is in the mix
    for kind in ("return", "withdrawal (cancel)", "withdrawal (return)", "guest"):  # and the newer ones,
        assert f"| {kind} | " in report  # each reconciled on its own: requests, lost, duplicated, mismatched
    assert "| return completed |" in report and "| return rejected |" in report
    assert "## Fulfilment holds" in report and "by window closed" in report  # the beat released some
    assert finished.returncode == 0, finished.stderr[-3000:]

"""A real Celery worker process runs a task through each broker the portal supports.

In CI `REDIS_URL` points at a real Redis; the embedded file broker of `make run` needs no server and is
always tested. The worker is a separate process started as an operator would start it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery import Celery

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def _worker(queue: str, env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--queues", queue, "--pool=solo"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _stop(worker: subprocess.Popen) -> str:
    worker.terminate()
    try:
        output, _ = worker.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        output, _ = worker.communicate()
    return output.decode(errors="replace")


def _ping_through(client: Celery, queue: str, worker: subprocess.Popen) -> None:
    result = client.send_task("portal.tasks.ping", queue=queue)
    try:
        assert result.get(timeout=60) == "pong"
    finally:
        log = _stop(worker)
    assert worker.returncode is not None, log


def test_a_worker_runs_a_task_through_the_embedded_file_broker_without_redis(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(VAR_DIR=str(tmp_path), DEBUG="true")
    queue = f"test-{uuid.uuid4().hex}"
    worker = _worker(queue, env)
    folders = {name: tmp_path / "celery" / name for name in ("broker", "control", "results")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    client = Celery(
        broker="filesystem://",
        backend=f"file://{folders['results']}",
        broker_transport_options={
            "data_folder_in": str(folders["broker"]),
            "data_folder_out": str(folders["broker"]),
            "control_folder": str(folders["control"]),
        },
    )

    _ping_through(client, queue, worker)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set (CI sets it)")
def test_a_worker_runs_a_task_through_redis():
    redis_url = os.environ["REDIS_URL"]
    queue = f"test-{uuid.uuid4().hex}"
    worker = _worker(queue, {**os.environ, "DEBUG": "true"})
    client = Celery(broker=redis_url, backend=redis_url)

    _ping_through(client, queue, worker)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_server(port: int) -> subprocess.Popen:
    import shutil
    import time

    server = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            import redis

            redis.Redis(port=port, socket_connect_timeout=0.2).ping()
            return server
        except Exception:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


@pytest.mark.skipif(not __import__("shutil").which("redis-server"), reason="redis-server is not installed")
def test_a_worker_outlives_a_redis_outage_and_runs_tasks_after_it():
    """Redis of its own, stopped for longer than the worker's first retries, then back: the same worker
    process picks up a task sent afterwards."""
    import time

    port = _free_port()
    redis_url = f"redis://127.0.0.1:{port}/0"
    server = _redis_server(port)
    queue = f"test-{uuid.uuid4().hex}"
    worker = _worker(queue, {**os.environ, "DEBUG": "true", "REDIS_URL": redis_url})
    client = Celery(broker=redis_url, backend=redis_url)
    try:
        assert client.send_task("portal.tasks.ping", queue=queue).get(timeout=60) == "pong"
        server.terminate()
        server.wait(timeout=10)
        time.sleep(25)  # past the point where a worker used to give up
        assert worker.poll() is None, "the worker exited during the outage"
        server = _redis_server(port)
        assert client.send_task("portal.tasks.ping", queue=queue).get(timeout=90) == "pong"
        assert worker.poll() is None
    finally:
        _stop(worker)
        server.terminate()

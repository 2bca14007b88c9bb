"""The soak's processes: each in its own session (process group), its output in a log file, and all of
them killed, group and children, whatever way the soak ends."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f}s")
        time.sleep(interval)


class Managed:
    """A child process in its own process group, writing to `log_path`."""

    def __init__(self, name: str, command: list[str], *, env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self._log: TextIO | None = None

    def start(self) -> Managed:
        self._log = log = self.log_path.open("a")
        log.write(f"--- {time.strftime('%H:%M:%S')} start: {' '.join(self.command)}\n")
        log.flush()
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: Ctrl-C on the soak does not reach it; we end it
        )
        return self

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole group (a prefork worker's children too)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None:
            return
        if self.alive():
            self.kill(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        self.kill(signal.SIGKILL)  # whatever is left of the group
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        if self._log:
            self._log.close()
            self._log = None
        self.process = None


class Cluster:
    """Every process the soak started; `stop_all()` ends them in reverse order."""

    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        self.log_dir = log_dir
        self.env = env
        self.processes: list[Managed] = []
        self._lock = threading.Lock()

    def spawn(self, name: str, command: list[str], *, env: dict[str, str] | None = None) -> Managed:
        managed = Managed(name, command, env=env or self.env, log_path=self.log_dir / f"{name}.log")
        with self._lock:
            self.processes.append(managed)
        return managed.start()

    def stop_all(self) -> None:
        with self._lock:
            processes = list(reversed(self.processes))
        for managed in processes:
            with contextlib.suppress(Exception):
                managed.stop(timeout=5)


# -- Redis ---------------------------------------------------------------------------------------------


def redis_answers(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Redis:
    """A Redis of the soak's own on a free port, no persistence: stopping it disturbs nothing else, and a
    restart comes back empty, like a broker that lost its memory."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.port = free_port()
        self.managed: Managed | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", LOOPBACK]
        command += ["--save", "", "--appendonly", "no", "--protected-mode", "yes"]
        self.managed = self.cluster.spawn("redis", command)
        wait_until(lambda: redis_answers(self.port), timeout=20, what="redis-server to answer")

    def shutdown(self) -> None:
        """`redis-cli shutdown nosave`: the broker goes away with everything queued in it."""
        subprocess.run(
            ["redis-cli", "-h", LOOPBACK, "-p", str(self.port), "shutdown", "nosave"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=10,
            check=False,
        )
        if self.managed and self.managed.process:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.managed.process.wait(timeout=10)
            self.managed.stop()


# -- devstore and web ----------------------------------------------------------------------------------

DEVSTORE_READY = "devstore listening on "


def start_devstore(cluster: Cluster, arguments: list[str]) -> tuple[Managed, str]:
    """`python -m devstore --port 0 …`; returns the process and its base URL (from its ready line)."""
    managed = cluster.spawn("devstore", [sys.executable, "-m", "devstore", "--port", "0", *arguments])

    def ready() -> str | None:
        if not managed.alive():
            raise RuntimeError(f"devstore exited; see {managed.log_path}")
        for line in managed.log_path.read_text().splitlines():
            if line.startswith(DEVSTORE_READY):
                return line[len(DEVSTORE_READY) :].strip()
        return None

    base_url = wait_until(ready, timeout=60, what="the devstore to listen")
    return managed, base_url


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own loopback server
            return response.status < 500
    except Exception:
        return False

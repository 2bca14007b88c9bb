"""Load from a second process: wrk (Debian's package), which reports requests per second and the p99."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    p99_ms: float
    non_2xx: int
    requests: int = 0
    p50_ms: float = 0.0


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk") or "wrk"


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, *, seconds: int = 10, connections: int = 8, lua: str | None = None) -> LoadResult:
    command = [
        ensure_wrk(),
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        url,
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if lua:
            script.write(lua)
            script.flush()
            command[1:1] = ["-s", script.name]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rps = float(_search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    p99 = _search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    total = int(_search(r"(\d+) requests in", output).group(1))
    return LoadResult(
        rps,
        _ms(p99.group(1), p99.group(2)),
        int(errors.group(1)) if errors else 0,
        total,
        p50_ms=_ms(p50.group(1), p50.group(2)),
    )


def _search(pattern: str, output: str, flags: int = 0) -> re.Match[str]:
    found = re.search(pattern, output, flags)
    if found is None:
        raise RuntimeError(f"wrk's report has no line matching {pattern!r}:\n{output}")
    return found


def lua_headers(headers: dict[str, str]) -> str:
    lines = [f'wrk.headers["{name}"] = "{value}"' for name, value in headers.items()]
    return "\n".join(lines) + "\n"

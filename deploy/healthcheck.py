"""The `web` container's health check: `python deploy/healthcheck.py` (exit 0 when /healthz answers 200).

It asks gunicorn inside the container, at 127.0.0.1:8000, but as the portal's own host name: with
ALLOWED_HOSTS set to the real domain, Django answers a request for "127.0.0.1" with 400 (DisallowedHost),
and widening ALLOWED_HOSTS for a probe would widen it for everyone. /healthz is exempt from the HTTPS
redirect, so plain HTTP is enough. Standard library only: it runs every few seconds.
"""

from __future__ import annotations

import http.client
import os
import sys


def host_for(allowed_hosts: str) -> str:
    """A host name that ALLOWED_HOSTS (comma-separated, as in the environment) accepts."""
    for entry in (part.strip() for part in allowed_hosts.split(",")):
        if not entry:
            continue
        if entry == "*":
            return "localhost"
        return entry.lstrip(".")  # ".example.com" accepts example.com and its subdomains
    return "localhost"  # ALLOWED_HOSTS unset: only DEBUG starts, and it accepts localhost


def main(address: str = "127.0.0.1:8000") -> int:
    connection = http.client.HTTPConnection(address, timeout=5)
    try:
        connection.request("GET", "/healthz", headers={"Host": host_for(os.environ.get("ALLOWED_HOSTS", ""))})
        response = connection.getresponse()
        body = response.read(500).decode(errors="replace")
    except OSError as exc:
        print(f"healthz: {exc}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    if response.status != 200:
        print(f"healthz: {response.status} {body}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))

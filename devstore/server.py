"""HTTP layer: a ThreadingHTTPServer routing to the Admin API, its OAuth endpoints, the control API and bulk
result files."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import control, versions
from .app import INVALID_TOKEN_BODY, App

GRAPHQL_PATH = re.compile(r"^/admin/api/(?P<version>[\w-]+)/graphql\.json$")
BULK_PATH = re.compile(r"^/_devstore/bulk/(?P<id>\d+)\.jsonl$")
OAUTH_GRANT_PATH = "/admin/oauth/access_token"
AUTHORIZE_PATH = "/admin/oauth/authorize"
NOT_FOUND_BODY = {"errors": "Not Found"}


class DevstoreServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, app: App) -> None:
        self.app = app
        super().__init__((app.config.host, app.config.port), Handler)


class Handler(BaseHTTPRequestHandler):
    server: DevstoreServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # --- helpers -----------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _read_json(self) -> Any:
        raw = self._read_body()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return ValueError

    def _send(
        self,
        status: int,
        body: Any,
        content_type: str = "application/json; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body, ensure_ascii=False).encode()
        if isinstance(body, str):
            content_type = "text/html; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    # --- verbs -------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        app = self.server.app
        match = GRAPHQL_PATH.match(url.path)
        if match and method == "POST":
            self._graphql(app, match.group("version"))
            return
        if url.path == OAUTH_GRANT_PATH and method == "POST":
            self._access_token(app, url.query)
            return
        if url.path == AUTHORIZE_PATH and method == "GET":
            status, answer = app.authorize(dict(parse_qsl(url.query)))
            if isinstance(answer, str):
                self._redirect(answer)
            else:
                self._send(status, answer)
            return
        bulk = BULK_PATH.match(url.path)
        if bulk and method == "GET":
            self._bulk_file(app, int(bulk.group("id")))
            return
        if url.path.startswith("/_devstore/"):
            body = self._read_json() if method == "POST" else None
            if body is ValueError:
                self._send(400, {"error": "body is not JSON"})
                return
            status, payload = control.handle(app, method, url.path, url.query, body)
            self._send(status, payload)
            return
        self._send(404, NOT_FOUND_BODY)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _access_token(self, app: App, query: str) -> None:
        """Parameters may come form-encoded (what Shopify documents), as JSON (what its libraries send)
        or in the query string (what older clients did); the body wins over the query string."""
        params = dict(parse_qsl(query))
        raw = self._read_body()
        if raw.lstrip().startswith(b"{"):
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if not isinstance(body, dict):
                self._send(
                    400, {"error": "invalid_request", "error_description": "Invalid JSON in request body"}
                )
                return
            params.update({k: str(v) for k, v in body.items() if v is not None})
        else:
            params.update(parse_qsl(raw.decode(errors="replace")))
        status, answer = app.access_token(params)
        self._send(status, answer)

    def _graphql(self, app: App, requested: str) -> None:
        """Every answer names the version that served it (versions.py: an unsupported one falls forward)."""
        body = self._read_json()
        refusal = app.shop_refusal()  # a frozen, locked or closed shop refuses before anything is read
        if refusal is not None:
            self._send(*refusal)
            return
        version = versions.serving_version(requested, app.config.api_versions)
        if version is None:
            self._send(404, NOT_FOUND_BODY)
            return
        scopes = app.authenticate(self.headers.get("X-Shopify-Access-Token"))
        if scopes is None:
            self._send(401, INVALID_TOKEN_BODY, headers=app.version_headers(version, []))
            return
        if body is ValueError:
            self._send(
                400, {"errors": "Invalid JSON in request body"}, headers=app.version_headers(version, [])
            )
            return
        deprecated: list[str] = []
        status, payload = app.graphql(body, scopes, deprecated)
        if status == 0:
            # Timeout fault: hold the connection past any sane client read timeout, then drop it unanswered.
            time.sleep(app.config.fault_timeout_seconds)
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self._send(status, payload, headers=app.version_headers(version, deprecated))

    def _bulk_file(self, app: App, op_id: int) -> None:
        path = app.bulk_dir / f"{op_id}.jsonl"
        if not path.exists():
            self._send(404, NOT_FOUND_BODY)
            return
        size = path.stat().st_size
        self.send_response(200)
        self.send_header("Content-Type", "application/jsonl")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        with path.open("rb") as fh:
            while chunk := fh.read(64 * 1024):
                self.wfile.write(chunk)

"""gunicorn's settings for the image (`gunicorn portal.wsgi:application --config deploy/gunicorn.conf.py`).

Sync workers, behind the proxy (deploy/Caddyfile), which buffers request bodies and responses so that a
worker never waits on a slow client. The proxy writes the access log (it knows the client's address and the
TLS side); gunicorn writes only its own events (workers started, timed out, crashed), as JSON lines when
LOG_FORMAT=json, like the portal's own logs (portal/logging_json.py).
"""

from __future__ import annotations

import os

bind = "0.0.0.0:8000"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# A request taking longer than this is killed with its worker (a page or a webhook takes well under a second;
# anything slow goes to Celery).
timeout = 30
accesslog = None

if (os.environ.get("LOG_FORMAT") or "plain") == "json":
    _console = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    logconfig_dict = {
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
            # Off, as `accesslog = None` has it in plain mode (a logging config turns it back on).
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
        "handlers": {"console": _console},
        "formatters": {"json": {"()": "portal.logging_json.JsonLinesFormatter"}},
    }

"""Log records as JSON lines (`LOG_FORMAT=json`), for a collector that reads a container's output.

One object per line: `time` (UTC, ISO 8601), `level`, `logger`, `message`, and `exception` (the traceback)
when the record carries one. A newline inside a message or a traceback is escaped by JSON, so a record is
always exactly one line. Only what the code chose to log is written; no request body is ever added here.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime


class JsonLinesFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            # Cached on the record as logging.Formatter does, so other handlers need not format it again.
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # ASCII escapes: a lone surrogate from a client's bad input cannot break the stream's encoding.
        return json.dumps(entry, ensure_ascii=True)

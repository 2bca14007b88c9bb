"""The soak's outbox: every e-mail any process sends, one JSON line each (recipients and subject) in the
file `SOAK_MAIL_FILE` names, so the reconciliation can count them (a withdrawal's acknowledgement goes out
exactly once). Without the variable, e-mails are rendered and dropped, as Django's dummy backend does."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

MAIL_FILE_VARIABLE = "SOAK_MAIL_FILE"


class CapturingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        path = os.environ.get(MAIL_FILE_VARIABLE)
        sent = 0
        for message in email_messages:
            message.message()  # rendered as a real backend would, so a template error still fails here
            if path:
                line = json.dumps({"to": list(message.to), "subject": str(message.subject)}) + "\n"
                # One O_APPEND write per e-mail: lines from several processes never interleave.
                descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(descriptor, line.encode())
                finally:
                    os.close(descriptor)
            sent += 1
        return sent


def captured(path: os.PathLike | str) -> list[dict]:
    """The e-mails a run sent, in the order they were written."""
    try:
        with open(path, encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]
    except FileNotFoundError:
        return []

"""The error a state change raises when the store refuses it (actions.py and the modules it uses)."""

from __future__ import annotations


class ActionError(Exception):
    """A change the store refuses; ``status`` is the HTTP status the control API answers with."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status

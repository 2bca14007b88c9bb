"""The domain error every cancellations service raises when a person may not do what they asked."""

from __future__ import annotations


class RequestNotAllowed(Exception):
    """A request, or a move of one, that is not allowed. `message` is for a person: show it as is.

    `code` names the reason for code that reacts to it (`"window_closed"`, `"shipped"`, ...).
    """

    def __init__(self, message: str, *, code: str = "not_allowed"):
        self.message = message
        self.code = code
        super().__init__(str(message))

"""The domain error every cancellations service raises when a person may not do what they asked."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class RequestNotAllowed(Exception):
    """A request, or a move of one, that is not allowed. `message` is for a person: show it as is (a lazy
    translation stays lazy, so it renders in the language of whoever reads it).

    `code` names the reason for code that reacts to it (`"window_closed"`, `"shipped"`, ...).
    """

    def __init__(self, message: StrOrPromise, *, code: str = "not_allowed"):
        self.message = message
        self.code = code
        super().__init__(str(message))

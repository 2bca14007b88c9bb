"""Every write of the domain, one function per transition (`<noun>_<verb>`), keyword-only."""

from cancellations.errors import RequestNotAllowed
from cancellations.services.policies import policy_get_or_create
from cancellations.services.push import PushOutcome, request_push
from cancellations.services.reactions import requests_react_to_orders
from cancellations.services.requests import (
    request_approve,
    request_reject,
    request_retry,
    request_submit,
    request_withdraw,
)
from cancellations.services.sweep import requests_sweep

__all__ = [
    "PushOutcome",
    "RequestNotAllowed",
    "policy_get_or_create",
    "request_approve",
    "request_push",
    "request_reject",
    "request_retry",
    "request_submit",
    "request_withdraw",
    "requests_react_to_orders",
    "requests_sweep",
]

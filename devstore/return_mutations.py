"""``returnRequest``, ``returnApproveRequest`` and ``returnDeclineRequest``: checked and applied by returns.py
(whose docstring says where each refusal's wording comes from and which are guessed)."""

from __future__ import annotations

from . import returns
from .resolvers import ReturnNode, ctx
from .resolvers import record_user_errors as _record


class ReturnMutations:
    def returnRequest(self, info, input: dict) -> dict:
        c = ctx(info)
        order, errors, lines = returns.check_request(c.store, input)
        _record(info, errors)
        if errors or order is None:
            return {"return": None, "userErrors": errors}
        record = returns.request(c.store, order, lines)
        return {"return": ReturnNode(c, order, record), "userErrors": []}

    def returnApproveRequest(self, info, input: dict) -> dict:
        c = ctx(info)
        order, record, errors = returns.check_approve(c.store, input)
        _record(info, errors)
        if errors or order is None or record is None:
            return {"return": None, "userErrors": errors}
        # notifyCustomer: no notification is sent (the devstore sends no mail).
        returns.approve(c.store, order, record)
        return {"return": ReturnNode(c, order, record), "userErrors": []}

    def returnDeclineRequest(self, info, input: dict) -> dict:
        c = ctx(info)
        order, record, errors = returns.check_decline(c.store, input)
        _record(info, errors)
        if errors or order is None or record is None:
            return {"return": None, "userErrors": errors}
        returns.decline(c.store, order, record, reason=input["declineReason"], note=input.get("declineNote"))
        return {"return": ReturnNode(c, order, record), "userErrors": []}

"""Injected faults: the next N Admin API requests fail in the asked-for way, then things recover."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest

from devstore.testing import Devstore, DevstoreError, start_devstore

from .conftest import TOKEN

DOC = json.dumps({"query": "{ shop { name } }"}).encode()


def raw_call(store: Devstore, timeout: float = 5) -> int:
    request = urllib.request.Request(
        store.graphql_url(), data=DOC, headers={"X-Shopify-Access-Token": store.token}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize(("kind", "status"), [("http_500", 500), ("http_502", 502)])
def test_http_faults_hit_the_next_n_requests_only(devstore: Devstore, kind: str, status: int) -> None:
    devstore.fault(kind, count=2)
    assert devstore.get("/_devstore/faults")[0]["remaining"] == 2
    assert [raw_call(devstore) for _ in range(3)] == [status, status, 200]
    assert devstore.get("/_devstore/faults") == []


def test_throttle_fault_answers_throttled(devstore: Devstore) -> None:
    devstore.fault("throttle", count=1)
    result = devstore.graphql("{ shop { name } }")
    assert result["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert "data" not in result


def test_timeout_fault_holds_the_connection_past_the_client_timeout() -> None:
    with start_devstore(token=TOKEN, extra_args=["--fault-timeout-seconds", "1.5"]) as store:
        store.fault("timeout", count=1)
        with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
            raw_call(store, timeout=0.5)
        assert raw_call(store) == 200


def test_rate_makes_faults_probabilistic_over_the_next_n(devstore: Devstore) -> None:
    devstore.fault("http_500", count=40, rate=0.5)
    statuses = [raw_call(devstore) for _ in range(45)]
    failures = statuses[:40].count(500)
    assert 5 < failures < 35
    assert statuses[40:] == [200] * 5


def test_faulted_mutations_are_in_the_call_log(devstore: Devstore) -> None:
    order = devstore.create_order()
    devstore.fault("http_500", count=1)
    doc = 'mutation($id: ID!) { orderUpdate(input: {id: $id, note: "x"}) { userErrors { field message } } }'
    with pytest.raises(DevstoreError, match="HTTP 500"):
        devstore.graphql(doc, {"id": order["id"]})
    devstore.graphql(doc, {"id": order["id"]})
    calls = devstore.calls()
    assert [c["outcome"] for c in calls] == ["fault:http_500", "ok"]
    assert calls[0]["operation"] == "orderUpdate" and calls[0]["variables"] == {"id": order["id"]}


def test_unknown_fault_kinds_are_refused(devstore: Devstore) -> None:
    status, body = devstore._request("POST", "/_devstore/faults", {"kind": "meteor", "count": 1})
    assert status == 400 and "kind must be one of" in body["error"]

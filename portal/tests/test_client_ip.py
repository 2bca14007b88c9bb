"""Rate limits key on the real client behind trusted proxies, and on nothing a client can forge."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from portal.client_ip import client_ip


def _request(remote: str, forwarded: str | None = None):
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


def test_without_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("10.0.0.9", "1.2.3.4")) == "10.0.0.9"


def test_behind_one_proxy_the_last_hop_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client wrote "6.6.6.6" itself; our proxy appended the address it saw.
    assert client_ip(_request("172.18.0.5", "6.6.6.6, 203.0.113.7")) == "203.0.113.7"


def test_behind_two_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request("172.18.0.5", "6.6.6.6, 203.0.113.7, 10.1.1.1")) == "203.0.113.7"


@pytest.mark.parametrize("forwarded", ["", "not-an-address", "2001:db8::1, garbage"])
def test_a_short_or_bad_header_falls_back_to_the_peer(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("172.18.0.5", forwarded)) in ("172.18.0.5",)


@pytest.mark.django_db
def test_one_client_behind_the_proxy_does_not_lock_out_another(client, settings, shop):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PORTAL_LOOKUP_RATE = "2/h"
    proxy = {"REMOTE_ADDR": "172.18.0.5"}

    def lookup(who: str, n: int):
        return client.post(
            reverse("lookup"),
            {"order_number": f"#{n}", "email": f"{who}{n}@example.com"},
            HTTP_X_FORWARDED_FOR=who,
            **proxy,
        )

    assert [lookup("203.0.113.7", n).status_code for n in range(3)] == [302, 302, 429]
    assert lookup("198.51.100.2", 10).status_code == 302  # another shopper, same proxy

"""Access tokens as Shopify issues them to Dev Dashboard apps: the client credentials grant, the install
redirect and the authorization code grant, expiry, and what a token was granted (accessScopes)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from devstore import oauth
from devstore.testing import Devstore, start_devstore, wait_for

from .conftest import TOKEN

INVALID_TOKEN = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
SCOPES_QUERY = "{ currentAppInstallation { accessScopes { handle } } }"
CALLBACK = "https://portal.example/shopify/install/callback"
# Shopify's own wording, as its users quote it (ShopifySharp#70, Laravel-ShopifyAPI#9).
CODE_NOT_FOUND = "The authorization code was not found or was already used"
WRONG_SECRET = "Client authentication failed: the client secret is wrong"  # the devstore's wording


def post_graphql(store: Devstore, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        store.graphql_url(),
        data=json.dumps({"query": "{ shop { name } }"}).encode(),
        headers={"X-Shopify-Access-Token": token, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def granted(store: Devstore, token: str) -> list[str]:
    data = store.graphql(SCOPES_QUERY, token=token)["data"]
    return [s["handle"] for s in data["currentAppInstallation"]["accessScopes"]]


def shopify_hmac(params: dict[str, str], secret: str) -> str:
    """Written out here on purpose rather than calling the devstore's signer."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "hmac")
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


# --- client credentials grant ---------------------------------------------------------------------


def test_a_client_credentials_token_works_and_lives_a_day_less_a_second(devstore: Devstore) -> None:
    first = devstore.request_token()
    assert set(first) == {"access_token", "scope", "expires_in"}
    assert first["access_token"].startswith("shpat_")
    assert first["expires_in"] == 86399
    assert first["scope"] == oauth.DEFAULT_SCOPES
    second = devstore.request_token()
    assert second["access_token"] != first["access_token"]
    for token in (first["access_token"], second["access_token"]):
        status, body = post_graphql(devstore, token)
        assert status == 200 and body["data"]["shop"]["name"] == "Devstore"


def test_the_grant_takes_a_json_body_too(devstore: Devstore) -> None:
    status, body = devstore.token_request(
        {
            "grant_type": "client_credentials",
            "client_id": devstore.client_id,
            "client_secret": devstore.client_secret,
        },
        as_json=True,
    )
    assert status == 200 and body["expires_in"] == 86399
    assert devstore.graphql("{ shop { name } }", token=body["access_token"])["data"]["shop"]["name"]


@pytest.mark.parametrize(
    ("change", "error", "description"),
    [
        ({"client_secret": "wrong"}, "invalid_client", WRONG_SECRET),
        ({"client_secret": ""}, "invalid_client", WRONG_SECRET),
        (
            {"client_id": "someone-else"},
            "invalid_request",
            "Could not find Shopify API application with api_key someone-else",
        ),
        (
            {"grant_type": "refresh_token"},
            "unsupported_grant_type",
            "The grant type refresh_token is not supported",
        ),
        ({"grant_type": ""}, "invalid_request", CODE_NOT_FOUND),
    ],
)
def test_a_bad_grant_is_refused_with_an_oauth_error(
    devstore: Devstore, change: dict[str, str], error: str, description: str
) -> None:
    params = {
        "grant_type": "client_credentials",
        "client_id": devstore.client_id,
        "client_secret": devstore.client_secret,
    } | change
    assert devstore.token_request(params) == (400, {"error": error, "error_description": description})
    assert devstore.tokens() == []


# --- expiry --------------------------------------------------------------------------------------


def test_an_expired_token_gets_shopifys_401_and_a_new_one_works(devstore: Devstore) -> None:
    old = devstore.request_token()["access_token"]
    assert devstore.expire_tokens() == 1
    assert post_graphql(devstore, old) == (401, INVALID_TOKEN)
    assert post_graphql(devstore, "shpat_never_issued") == (401, INVALID_TOKEN)
    assert post_graphql(devstore, TOKEN)[0] == 200  # the legacy static token never expires
    fresh = devstore.request_token()["access_token"]
    assert post_graphql(devstore, fresh)[0] == 200


def test_a_token_dies_when_its_lifetime_is_over() -> None:
    with start_devstore(token=TOKEN, token_lifetime=1) as store:
        answer = store.request_token()
        assert answer["expires_in"] == 1
        assert post_graphql(store, answer["access_token"])[0] == 200
        issued = store.tokens()[0]
        assert issued["expires_at"] == pytest.approx(issued["issued_at"] + 1)
        assert wait_for(lambda: post_graphql(store, answer["access_token"])[0] == 401, timeout=5)
        assert time.time() >= issued["expires_at"]


def test_reset_forgets_issued_tokens(devstore: Devstore) -> None:
    token = devstore.request_token()["access_token"]
    devstore.reset()
    assert post_graphql(devstore, token) == (401, INVALID_TOKEN)
    assert devstore.tokens() == []


def test_issued_tokens_survive_a_restart_with_a_state_file(tmp_path: Path) -> None:
    with start_devstore(token=TOKEN, state_file=tmp_path / "state.json") as store:
        token = store.request_token()["access_token"]
        store.restart()
        assert post_graphql(store, token)[0] == 200


# --- install redirect and authorization code grant ------------------------------------------------


def test_the_install_redirect_is_signed_and_its_code_works_once(devstore: Devstore) -> None:
    back = devstore.authorize(CALLBACK, scope="read_orders,write_orders", state="nonce-1&2")
    assert set(back) == {"code", "shop", "state", "timestamp", "hmac"}
    assert back["shop"] == "devstore.myshopify.com" and back["state"] == "nonce-1&2"
    assert abs(int(back["timestamp"]) - time.time()) < 60
    unsigned = {k: v.replace("&", "%26") for k, v in back.items()}
    assert back["hmac"] == shopify_hmac(unsigned, devstore.client_secret)

    offline = devstore.exchange_code(back["code"])
    assert set(offline) == {"access_token", "scope"}  # offline: no expiry
    assert offline["scope"] == "read_orders,write_orders"
    assert granted(devstore, offline["access_token"]) == ["read_orders", "write_orders"]

    again = {"client_id": devstore.client_id, "client_secret": devstore.client_secret, "code": back["code"]}
    assert devstore.token_request(again) == (
        400,
        {"error": "invalid_request", "error_description": CODE_NOT_FOUND},
    )


def test_an_install_token_outlives_the_expiry_of_client_credentials_tokens(devstore: Devstore) -> None:
    offline = devstore.exchange_code(devstore.authorize(CALLBACK)["code"])["access_token"]
    expiring = devstore.request_token()["access_token"]

    assert devstore.expire_tokens() == 1

    assert post_graphql(devstore, expiring)[0] == 401
    assert post_graphql(devstore, offline)[0] == 200  # Shopify's offline tokens never expire


def test_the_redirect_keeps_the_callbacks_own_query(devstore: Devstore) -> None:
    back = devstore.authorize(CALLBACK + "?from=setup", state="s")
    assert back["from"] == "setup"  # the callback's own parameter, outside the signature
    assert devstore.exchange_code(back["code"])["scope"] == oauth.DEFAULT_SCOPES


def test_a_code_with_the_wrong_secret_is_refused_and_spent(devstore: Devstore) -> None:
    code = devstore.authorize(CALLBACK)["code"]
    wrong = {"client_id": devstore.client_id, "client_secret": "nope", "code": code}
    assert devstore.token_request(wrong)[1]["error"] == "invalid_client"
    assert devstore.exchange_code(code)["access_token"]  # a failed client check does not spend the code


def test_install_for_an_unknown_app_is_refused(devstore: Devstore) -> None:
    status, body = devstore.redirect_target(
        "/admin/oauth/authorize?client_id=unknown&redirect_uri=https%3A%2F%2Fportal.example%2Fcb"
    )
    assert status == 400
    assert json.loads(body) == {
        "error": "invalid_request",
        "error_description": "Could not find Shopify API application with api_key unknown",
    }
    status, body = devstore.redirect_target(f"/admin/oauth/authorize?client_id={devstore.client_id}")
    assert status == 400 and "redirect_uri" in json.loads(body)["error_description"]


def test_the_signature_matches_shopifys_documented_example() -> None:
    # shopify.dev, "Implement authorization code grant manually": secret "hush".
    params = {
        "code": "0907a61c0c8d55e99db179b68161bc00",
        "shop": "some-shop.myshopify.com",
        "state": "0.6784241404160823",
        "timestamp": "1337178173",
    }
    assert oauth.sign_query(params, "hush") == (
        "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"
    )


# --- what a token was granted ---------------------------------------------------------------------


def test_access_scopes_are_what_the_token_was_granted() -> None:
    with start_devstore(token=TOKEN, scopes="read_orders, write_orders,read_orders,read_customers") as store:
        assert granted(store, TOKEN) == ["read_orders", "write_orders", "read_customers"]
        token = store.request_token()
        assert token["scope"] == "read_orders,write_orders,read_customers"
        assert granted(store, token["access_token"]) == ["read_orders", "write_orders", "read_customers"]

"""Shopify's webhook signature: base64 HMAC-SHA256 of the raw body, keyed with the app's client secret."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable


def signature_is_valid(*, body: bytes, signature: str, secrets: Iterable[str]) -> bool:
    """Whether `signature` (the X-Shopify-Hmac-Sha256 header) signs `body` with any of `secrets`.

    Several secrets are accepted while one is rotated out. Digests are compared in constant time, and
    every secret is tried even after a match so timing does not tell which one matched.
    """
    try:
        received = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    valid = False
    for secret in secrets:
        if not secret:
            continue
        expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        valid |= hmac.compare_digest(expected, received)
    return valid

"""Secrets at rest: Shopify access tokens (and anything else the portal must keep but never show).

Fernet (`cryptography`): authenticated encryption, so a ciphertext that was altered or made with another
key fails to decrypt instead of yielding garbage. `PORTAL_ENCRYPTION_KEYS` holds one or more keys, newest
first: the first encrypts, every one decrypts (`MultiFernet`). To rotate, put a new key in front, run
`manage.py encryption_rotate` (re-encrypts every stored secret with it), then drop the old key.

Without keys, a DEBUG deployment derives one from `SECRET_KEY` so `make run` needs no set-up; a production
deployment refuses to store a secret until a key is configured.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "ENCRYPTED_FIELDS",
    "InvalidToken",
    "decrypt",
    "encrypt",
    "encrypted_field_register",
    "generate_key",
    "keys_configured",
    "reencrypt",
]

# Every stored ciphertext, as (model label, field): `encryption_rotate` re-encrypts them all. Apps that
# keep secrets of their own register theirs in `AppConfig.ready` (this app imports none of them).
ENCRYPTED_FIELDS: list[tuple[str, str]] = [("shopify_sync.ShopAccess", "token_ciphertext")]


def encrypted_field_register(model_label: str, field: str) -> None:
    if (model_label, field) not in ENCRYPTED_FIELDS:
        ENCRYPTED_FIELDS.append((model_label, field))


def generate_key() -> str:
    return Fernet.generate_key().decode()


def keys_configured() -> bool:
    return bool(settings.PORTAL_ENCRYPTION_KEYS) or settings.DEBUG


def _derived_debug_key() -> bytes:
    # Local development only: stable across restarts (same SECRET_KEY), never used with DEBUG off.
    digest = hashlib.sha256(b"portal-encryption-key:" + settings.SECRET_KEY.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def _box() -> MultiFernet:
    keys = [key.encode() for key in settings.PORTAL_ENCRYPTION_KEYS]
    if not keys:
        if not settings.DEBUG:
            raise ImproperlyConfigured(
                "PORTAL_ENCRYPTION_KEYS is not set: the portal will not store a Shopify token unencrypted. "
                "Generate a key with `python manage.py encryption_rotate --generate-key`."
            )
        keys = [_derived_debug_key()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "PORTAL_ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe base64 bytes)."
        ) from None


def encrypt(plaintext: str) -> str:
    return _box().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    """The secret; raises `InvalidToken` when no configured key opens it (its key is gone)."""
    return _box().decrypt(ciphertext.encode()).decode()


def reencrypt(ciphertext: str) -> str:
    """The same secret encrypted with the newest key (`MultiFernet.rotate`)."""
    return _box().rotate(ciphertext.encode()).decode()

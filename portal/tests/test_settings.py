"""Settings are read from the environment; production refuses to start without its secrets."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
LOAD_SETTINGS = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
# Every variable .env.example lists (commented out or not): none leaks in from the environment running the
# tests (CI's DATABASE_URL, conftest's PORTAL_ENCRYPTION_KEYS, a developer's SHOPIFY_*).
EXAMPLE = (ROOT / ".env.example").read_text()
LISTED = set(re.findall(r"^#?\s*([A-Z_]+)=", EXAMPLE, flags=re.M))


def _production(**overrides: str | None) -> dict[str, str]:
    """Everything production needs; a value of None in `overrides` leaves that variable out."""
    env: dict[str, str | None] = {
        "DEBUG": "false",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "portal.example.com",
        "SHOPIFY_SHOP_DOMAIN": "a-store.myshopify.com",
        "SHOPIFY_CLIENT_ID": "the-client-id",
        "SHOPIFY_CLIENT_SECRET": "the-client-secret",
        "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value is not None}


def _start(tmp_path, code: str = LOAD_SETTINGS, **env):
    clean = {k: v for k, v in os.environ.items() if k not in LISTED | {"DJANGO_SETTINGS_MODULE"}}
    clean.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "VAR_DIR": str(tmp_path), **env})
    clean.setdefault("STATIC_ROOT", str(tmp_path / "static"))
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def _refused(result, message: str) -> bool:
    return result.returncode != 0 and "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_it_starts_in_production_with_every_secret_set(tmp_path):
    result = _start(tmp_path, **_production())

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off(tmp_path):
    result = _start(tmp_path, **_production(SECRET_KEY=None))

    assert _refused(result, "SECRET_KEY is not set"), result.stderr


def test_it_refuses_to_start_without_allowed_hosts_when_debug_is_off(tmp_path):
    result = _start(tmp_path, **_production(ALLOWED_HOSTS=None))

    assert _refused(result, "ALLOWED_HOSTS is not set"), result.stderr


def test_it_refuses_to_start_without_the_shop_domain_when_debug_is_off(tmp_path):
    result = _start(tmp_path, **_production(SHOPIFY_SHOP_DOMAIN=None))

    assert _refused(result, "SHOPIFY_SHOP_DOMAIN is not set"), result.stderr


@pytest.mark.parametrize(
    "missing",
    [
        {"SHOPIFY_CLIENT_ID": None, "SHOPIFY_CLIENT_SECRET": None},
        {"SHOPIFY_CLIENT_ID": None},
        {"SHOPIFY_CLIENT_SECRET": ""},  # an empty line in .env is a missing value
    ],
    ids=["neither", "no-client-id", "empty-client-secret"],
)
def test_it_refuses_to_start_without_the_shopify_app_credentials_when_debug_is_off(tmp_path, missing):
    result = _start(tmp_path, **_production(**missing))

    assert _refused(result, "SHOPIFY_CLIENT_ID and SHOPIFY_CLIENT_SECRET are not set"), result.stderr
    assert "devstore" not in result.stderr


def test_a_legacy_custom_app_starts_with_its_token_and_its_api_secret(tmp_path):
    legacy = _production(
        SHOPIFY_CLIENT_ID=None,
        SHOPIFY_CLIENT_SECRET=None,
        SHOPIFY_ACCESS_TOKEN="shpat_legacy",
        SHOPIFY_API_SECRET="the-api-secret",
    )

    assert _start(tmp_path, **legacy).returncode == 0


def test_a_legacy_token_without_a_webhook_secret_is_refused(tmp_path):
    """Every webhook would fail its signature check: the mirror would silently stop following Shopify."""
    legacy = _production(
        SHOPIFY_CLIENT_ID=None, SHOPIFY_CLIENT_SECRET=None, SHOPIFY_ACCESS_TOKEN="shpat_legacy"
    )

    result = _start(tmp_path, **legacy)

    assert _refused(result, "set SHOPIFY_API_SECRET"), result.stderr


def test_it_refuses_to_start_without_encryption_keys_when_debug_is_off(tmp_path):
    result = _start(tmp_path, **_production(PORTAL_ENCRYPTION_KEYS=None))

    assert _refused(result, "PORTAL_ENCRYPTION_KEYS is not set"), result.stderr
    # The way to make a key that the message gives works without the portal's settings (which refuse).
    assert "os.urandom(32)" in result.stderr


def test_it_refuses_an_encryption_key_that_is_not_a_fernet_key(tmp_path):
    keys = f"{Fernet.generate_key().decode()},not-a-key"

    result = _start(tmp_path, **_production(PORTAL_ENCRYPTION_KEYS=keys))

    assert _refused(result, "not a Fernet key"), result.stderr


def test_no_development_default_is_used_when_debug_is_off(tmp_path):
    dump = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print({name: repr(getattr(s, name)) for name in dir(s) if name.isupper()})"
    )

    result = _start(tmp_path, dump, **_production())

    assert result.returncode == 0, result.stderr
    for development_value in ("devstore", "insecure-development-key", "127.0.0.1:8000"):
        assert development_value not in result.stdout


def test_development_gets_the_devstore_defaults(tmp_path):
    show = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SHOPIFY_SHOP_DOMAIN, s.PORTAL_ENCRYPTION_KEYS, s.SECRET_KEY.startswith('insecure-'))"
    )

    result = _start(tmp_path, show, DEBUG="true")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["devstore.myshopify.com", "[]", "True"]


def test_it_starts_in_production_with_secure_cookies_and_hsts(tmp_path):
    check = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, "
        "s.SECURE_PROXY_SSL_HEADER, s.SECURE_SSL_REDIRECT)"
    )

    result = _start(tmp_path, check, **_production())

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True True True ('HTTP_X_FORWARDED_PROTO', 'https') True"


def test_every_environment_variable_settings_read_is_listed_in_env_example():
    settings_source = (ROOT / "portal" / "settings.py").read_text()

    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_source))
    read |= set(re.findall(r'_required_in_production\(\s*"([A-Z_]+)"', settings_source))

    assert read - LISTED == set()


def test_env_example_copied_as_it_is_gives_the_defaults(tmp_path):
    """`cp .env.example .env` then docker compose: every line compose passes in counts, and an empty value
    is not a default to django-environ (`VAR_DIR=` would be the current folder, `EMAIL_URL=` an error,
    `STAFF_REQUIRE_MFA=` MFA off). So every line left empty must mean what an unset variable means."""
    active = dict(re.findall(r"^([A-Z_]+)=(.*)$", EXAMPLE, flags=re.M))
    secrets = _production(ALLOWED_HOSTS=active["ALLOWED_HOSTS"])
    dump = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print({name: repr(getattr(s, name)) for name in sorted(dir(s)) if name.isupper()})"
    )

    as_copied = _start(tmp_path, dump, **{**active, **secrets})
    without_empty_lines = _start(tmp_path, dump, **{**{k: v for k, v in active.items() if v}, **secrets})

    assert as_copied.returncode == 0, as_copied.stderr
    assert as_copied.stdout == without_empty_lines.stdout


# --- LOG_FORMAT ---

LOG_SOME_LINES = """
import logging
import django
django.setup()
log = logging.getLogger("portal.example")
log.info("first line\\nstill the first record")
try:
    {}["missing"]
except KeyError:
    log.exception("it failed for order %s", 1001)
"""


def test_logs_are_json_lines_with_log_format_json(tmp_path):
    result = _start(tmp_path, LOG_SOME_LINES, DEBUG="true", LOG_FORMAT="json")

    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines() if '"portal.example"' in line]
    assert [record["message"] for record in records] == [
        "first line\nstill the first record",
        "it failed for order 1001",
    ]
    assert set(records[0]) == {"time", "level", "logger", "message"}
    assert records[0]["level"] == "INFO" and records[0]["logger"] == "portal.example"
    assert records[0]["time"].endswith("+00:00")
    assert records[1]["level"] == "ERROR"
    assert "Traceback" in records[1]["exception"] and "KeyError: 'missing'" in records[1]["exception"]
    # Nothing but JSON objects, one per line.
    assert all(json.loads(line) for line in result.stderr.splitlines())


def test_logs_stay_plain_lines_by_default(tmp_path):
    result = _start(tmp_path, LOG_SOME_LINES, DEBUG="true")

    assert result.returncode == 0, result.stderr
    assert re.search(r"^\S+ \S+ INFO portal.example first line$", result.stderr, flags=re.M)
    assert "Traceback" in result.stderr and not result.stderr.lstrip().startswith("{")


def test_celery_keeps_the_json_handler_and_its_own_by_default(tmp_path):
    show = (
        "import django; django.setup(); from portal.celery import app; "
        "print(app.conf.worker_hijack_root_logger)"
    )

    assert _start(tmp_path, show, DEBUG="true", LOG_FORMAT="json").stdout.strip() == "False"
    assert _start(tmp_path, show, DEBUG="true").stdout.strip() == "True"


def test_an_unknown_log_format_is_refused(tmp_path):
    result = _start(tmp_path, DEBUG="true", LOG_FORMAT="xml")

    assert _refused(result, 'LOG_FORMAT must be "plain" or "json"'), result.stderr

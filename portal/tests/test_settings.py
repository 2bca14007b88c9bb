"""Settings are read from the environment; production refuses to start without its secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOAD_SETTINGS = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"


def _start(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    clean.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-c", LOAD_SETTINGS], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off(tmp_path):
    result = _start(tmp_path, DEBUG="false", ALLOWED_HOSTS="portal.example.com")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


def test_it_refuses_to_start_without_allowed_hosts_when_debug_is_off(tmp_path):
    result = _start(tmp_path, DEBUG="false", SECRET_KEY="x" * 50)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


def test_it_starts_in_production_with_secure_cookies_and_hsts(tmp_path):
    check = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, "
        "s.SECURE_PROXY_SSL_HEADER, s.SECURE_SSL_REDIRECT)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        VAR_DIR=str(tmp_path),
        DEBUG="false",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="portal.example.com",
    )
    result = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True True True ('HTTP_X_FORWARDED_PROTO', 'https') True"


def test_every_environment_variable_settings_read_is_listed_in_env_example():
    settings_source = (ROOT / "portal" / "settings.py").read_text()
    example = (ROOT / ".env.example").read_text()
    import re

    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_source))
    read |= set(re.findall(r'_required_in_production\(\s*"([A-Z_]+)"', settings_source))
    listed = set(re.findall(r"^#?\s*([A-Z_]+)=", example, flags=re.M))

    assert read - listed == set()

"""A fresh PostgreSQL database (and Redis database) for each benchmark run, migrated."""

from __future__ import annotations

import os

import psycopg
from django.core.management import call_command
from django.db import connections

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


def configure_environment() -> None:
    """Before Django starts: benchmarks run on PostgreSQL and Redis, as production does."""
    from bench.server import SECRET_KEY

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    os.environ["SECRET_KEY"] = SECRET_KEY


def fresh_database() -> None:
    """Drop and recreate the benchmark database, then migrate it."""
    settings = connections["default"].settings_dict
    connections.close_all()
    admin = f"host={settings['HOST']} port={settings['PORT'] or 5432} user={settings['USER']} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{settings["NAME"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{settings["NAME"]}"')
    call_command("migrate", verbosity=0)

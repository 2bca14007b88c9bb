"""Docker cannot run here, so check what can be checked: the compose file parses, every service has a
health check, and every command it runs exists in the project."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_defines_the_production_services_each_with_a_health_check():
    services = _compose()["services"]

    assert set(services) >= {"postgres", "redis", "web", "worker", "sync-worker", "beat"}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no healthcheck"


def test_compose_commands_point_at_code_that_exists():
    services = _compose()["services"]

    web, worker, beat = (services[name]["command"] for name in ("web", "worker", "beat"))
    assert "manage.py migrate" in web and (ROOT / "manage.py").exists()
    assert "gunicorn portal.wsgi:application" in web and (ROOT / "portal" / "wsgi.py").exists()
    assert worker.startswith("celery -A portal worker") and (ROOT / "portal" / "celery.py").exists()
    assert beat.startswith("celery -A portal beat")
    assert (
        "CMD" in (ROOT / "Dockerfile").read_text()
        and "portal.wsgi:application" in (ROOT / "Dockerfile").read_text()
    )


def test_the_app_services_read_their_environment_from_dot_env():
    services = _compose()["services"]
    for name in ("web", "worker", "beat"):
        assert ".env" in services[name]["env_file"] or {"path": ".env"} in services[name]["env_file"]


def test_procfile_dev_starts_web_worker_with_beat():
    procfile = (ROOT / "Procfile.dev").read_text()

    assert "runserver" in procfile
    assert "worker --queues celery,sync --beat" in procfile


def test_static_files_collect_for_production(tmp_path):
    """What the Dockerfile runs: with DEBUG off, the manifest storage refuses a file that points at a
    missing one (a vendored script's source map, say), so the image build would fail."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env.update(
        DEBUG="false",
        SECRET_KEY="collectstatic-only-" + "x" * 40,
        ALLOWED_HOSTS="localhost",
        STATIC_ROOT=str(tmp_path / "static"),
        VAR_DIR=str(tmp_path / "var"),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "static" / "staticfiles.json").exists()


def test_order_syncs_have_their_own_queue_and_workers_apart_from_pushes():
    from portal.celery import app

    services = _compose()["services"]
    route = app.amqp.router.route({}, "shopify_sync.tasks.sync_orders_incremental")
    push_route = app.amqp.router.route({}, "cancellations.tasks.push_request")

    assert route["queue"].name == "sync" and push_route["queue"].name == "celery"
    assert "--queues celery " in services["worker"]["command"]
    assert "--queues sync " in services["sync-worker"]["command"]
    assert "--queues celery,sync" in (ROOT / "Procfile.dev").read_text()

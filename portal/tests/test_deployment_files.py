"""The production compose stack, checked without Docker: this machine (and CI, which runs here) has the
docker client but no Docker engine, so `docker compose up` cannot run (README, "Production"). What can be
checked is: the compose file parses and wires the services as production needs them, the proxy's
configuration points at the web service and protects it from slow clients, the health checks pass with
the real ALLOWED_HOSTS, and every command, file and variable the stack names exists in the project."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "sync-worker", "beat")
# Keys a compose service may have (the Compose Specification's, those this file could plausibly use): a typo
# such as `depend_on` would otherwise be ignored by this test and rejected by docker compose.
SERVICE_KEYS = {
    "build", "image", "command", "entrypoint", "environment", "env_file", "depends_on", "restart", "ports",
    "expose", "volumes", "healthcheck", "deploy", "networks", "user", "working_dir", "stop_grace_period",
    "stop_signal", "labels", "logging", "ulimits", "init", "profiles", "secrets", "configs", "tmpfs",
}  # fmt: skip


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _services() -> dict:
    return _compose()["services"]


def _caddyfile() -> str:
    return (ROOT / "deploy" / "Caddyfile").read_text()


def _caddy_directives() -> str:
    """The Caddyfile without its comments: what Caddy reads."""
    return "\n".join(line.split("#", 1)[0] for line in _caddyfile().splitlines())


def _env_example_names() -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), flags=re.M))


def test_compose_defines_the_production_services():
    services = _services()

    assert set(services) == {"proxy", "postgres", "redis", "migrate", *APP_SERVICES}
    assert services["proxy"]["image"].startswith("caddy:2")
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name, service in services.items():
        assert set(service) <= SERVICE_KEYS, f"{name}: unknown keys {set(service) - SERVICE_KEYS}"
        assert "image" in service, f"{name} names no image"


def test_every_long_running_service_has_a_health_check_and_restarts():
    for name, service in _services().items():
        if name == "migrate":
            continue
        check = service.get("healthcheck")
        assert check and check["test"][0] in {"CMD", "CMD-SHELL"}, f"{name} has no healthcheck"
        assert service["restart"] == "unless-stopped", name


def test_only_the_proxy_publishes_ports():
    services = _services()

    assert services["proxy"]["ports"] == ["80:80", "443:443", "443:443/udp"]
    for name, service in services.items():
        if name != "proxy":
            assert "ports" not in service, f"{name} publishes a port: only the proxy may"
    assert services["web"]["expose"] == ["8000"]


def test_migrations_run_once_as_a_one_shot_before_web_and_the_workers():
    services = _services()
    migrate = services["migrate"]

    assert migrate["command"] == "python manage.py migrate --noinput"
    assert migrate["restart"] == "no"
    assert migrate["image"] == services["web"]["image"]
    assert migrate["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    for name in APP_SERVICES:
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name
    assert "migrate" not in services["web"]["command"]


def test_the_proxy_starts_once_web_is_healthy():
    assert _services()["proxy"]["depends_on"] == {"web": {"condition": "service_healthy"}}


def test_every_dependency_and_volume_is_declared():
    compose = _compose()
    services = compose["services"]

    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services) - {name}, name
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"
            else:
                assert source in compose["volumes"], f"{name} uses undeclared volume {source}"


def test_the_app_services_read_dot_env_and_sit_behind_one_proxy():
    for name in ("migrate", *APP_SERVICES):
        service = _services()[name]
        assert service["env_file"] == [".env"], name
        assert service["environment"]["TRUSTED_PROXY_COUNT"] == "1", name
        assert service["environment"]["REDIS_URL"].startswith("redis://redis:6379/")
        assert service["environment"]["DATABASE_URL"].startswith("postgres://portal:portal@postgres:5432/")


def test_the_proxy_gets_its_site_address_from_portal_domain_and_no_secrets():
    proxy = _services()["proxy"]

    assert "env_file" not in proxy  # .env holds the portal's secrets; Caddy needs none of them
    assert proxy["environment"] == {"CADDY_SITE_ADDRESS": "${PORTAL_DOMAIN:-:80}"}
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert "caddy-data:/data" in proxy["volumes"]  # certificates survive a restart
    assert re.search(r"^\{\$CADDY_SITE_ADDRESS::80\} \{$", _caddy_directives(), flags=re.M)


def test_every_variable_compose_interpolates_is_in_env_example():
    text = (ROOT / "docker-compose.yml").read_text()
    interpolated = set(re.findall(r"(?<!\$)\$\{([A-Z_]+)", text))

    assert interpolated == {"PORTAL_DOMAIN"}
    assert interpolated <= _env_example_names()


def test_the_proxy_sends_every_request_to_the_web_service():
    caddy = _caddy_directives()
    web_port = re.search(
        r"^bind = \"0\.0\.0\.0:(\d+)\"$", (ROOT / "deploy/gunicorn.conf.py").read_text(), re.M
    )

    port = re.search(r"reverse_proxy \{\s*dynamic a \{\s*name web\s*port (\d+)", caddy)
    assert web_port and port and port.group(1) == web_port.group(1) == _services()["web"]["expose"][0]
    # Caddy replaces X-Forwarded-For/-Proto itself only while it trusts no proxy in front of it.
    assert "trusted_proxies" not in caddy
    assert "header_up" not in caddy


def test_the_proxy_protects_sync_workers_from_slow_clients():
    caddy = _caddy_directives()

    timeouts = dict(re.findall(r"^\s*(read_header|read_body|write|idle) (\d+[sm])$", caddy, flags=re.M))
    assert set(timeouts) == {"read_header", "read_body", "write", "idle"}
    assert re.search(r"request_body \{\s*max_size 5MB\s*\}", caddy)
    assert re.search(r"^\s*request_buffers 5MB$", caddy, flags=re.M)  # the whole body, up to max_size
    assert re.search(r"^\s*response_buffers \d+MB$", caddy, flags=re.M)
    # The comments name each directive, so a reader knows why it is there.
    comments = "\n".join(line for line in _caddyfile().splitlines() if line.startswith("#"))
    for directive in ("read_header", "read_body", "write", "max_size", "request_buffers", "response_buffers"):
        assert re.search(rf"[`>] ?{directive}`", comments), directive


def test_gunicorn_runs_from_its_config_in_compose_and_the_image():
    web = _services()["web"]["command"]
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert web == "gunicorn portal.wsgi:application --config deploy/gunicorn.conf.py"
    assert 'CMD ["gunicorn", "portal.wsgi:application", "--config", "deploy/gunicorn.conf.py"]' in dockerfile
    assert (ROOT / "portal" / "wsgi.py").exists()


def test_gunicorn_config_loads_and_logs_json_with_log_format_json(tmp_path):
    load = (
        "import runpy, json; c = runpy.run_path('deploy/gunicorn.conf.py'); "
        "print(json.dumps([c['bind'], c['workers'], c['accesslog'], 'logconfig_dict' in c]))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"LOG_FORMAT", "WEB_CONCURRENCY"}}

    def run(**extra: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", load], cwd=ROOT, env={**env, **extra}, capture_output=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.decode().strip()

    assert run() == '["0.0.0.0:8000", 3, null, false]'
    assert run(LOG_FORMAT="json", WEB_CONCURRENCY="5") == '["0.0.0.0:8000", 5, null, true]'


def test_worker_and_beat_commands_point_at_code_that_exists():
    services = _services()

    for name in ("worker", "sync-worker"):
        assert services[name]["command"].startswith("celery -A portal --quiet worker --queues "), name
    assert services["beat"]["command"].startswith("celery -A portal --quiet beat")
    assert (ROOT / "portal" / "celery.py").exists()


def test_redis_keeps_its_append_only_file_on_a_volume():
    redis = _services()["redis"]

    assert "--appendonly yes" in redis["command"]
    assert redis["volumes"] == ["redis-data:/data"]


def test_the_image_collects_static_files_and_leaves_out_local_state_and_secrets():
    dockerfile = (ROOT / "Dockerfile").read_text()
    ignored = {
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if not line.startswith("#")
    }

    assert "python manage.py collectstatic --noinput" in dockerfile
    assert "STATIC_ROOT=/app/staticfiles" in dockerfile
    assert {".venv", ".env", "var", ".git"} <= ignored


def test_the_web_health_check_runs_the_script_in_deploy():
    check = _services()["web"]["healthcheck"]["test"]

    assert check == ["CMD", "python", "deploy/healthcheck.py"]
    assert (ROOT / "deploy" / "healthcheck.py").exists()


@pytest.mark.parametrize(
    ("allowed_hosts", "host"),
    [
        ("portal.example.com", "portal.example.com"),
        (" help.store-a.com , portal.example.com", "help.store-a.com"),
        (".example.com", "example.com"),
        ("*", "localhost"),
        ("", "localhost"),
    ],
)
def test_the_health_check_asks_as_a_host_allowed_hosts_accepts(allowed_hosts, host):
    sys.path.insert(0, str(ROOT / "deploy"))
    try:
        import healthcheck
    finally:
        sys.path.remove(str(ROOT / "deploy"))

    assert healthcheck.host_for(allowed_hosts) == host


def test_the_health_check_passes_with_allowed_hosts_set_to_the_real_domain(live_server, settings):
    """A probe to 127.0.0.1 as 127.0.0.1 is refused once ALLOWED_HOSTS is the domain; the script's isn't."""
    import http.client

    settings.ALLOWED_HOSTS = ["portal.example.com"]
    address = urlsplit(live_server.url).netloc
    plain = http.client.HTTPConnection(address, timeout=5)
    plain.request("GET", "/healthz")
    env = {**os.environ, "ALLOWED_HOSTS": "portal.example.com"}

    probe = subprocess.run(
        [sys.executable, "deploy/healthcheck.py", address], cwd=ROOT, env=env, capture_output=True, timeout=30
    )

    assert plain.getresponse().status == 400
    assert probe.returncode == 0, probe.stderr


def test_static_files_collect_for_production(tmp_path):
    """What the Dockerfile runs, with throwaway secrets like its own: with DEBUG off, the manifest storage
    refuses a file that points at a missing one (a vendored script's source map, say)."""
    names = _env_example_names()
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.update(
        DEBUG="false",
        SECRET_KEY="collectstatic-only-" + "x" * 40,
        ALLOWED_HOSTS="localhost",
        SHOPIFY_SHOP_DOMAIN="collectstatic-only.myshopify.com",
        SHOPIFY_CLIENT_ID="collectstatic-only",
        SHOPIFY_CLIENT_SECRET="collectstatic-only",
        PORTAL_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        STATIC_ROOT=str(tmp_path / "static"),
        VAR_DIR=str(tmp_path / "var"),
    )
    dockerfile = (ROOT / "Dockerfile").read_text()
    for name in (
        "SHOPIFY_SHOP_DOMAIN",
        "SHOPIFY_CLIENT_ID",
        "SHOPIFY_CLIENT_SECRET",
        "PORTAL_ENCRYPTION_KEYS",
    ):
        assert f"{name}=" in dockerfile, f"the Dockerfile's collectstatic lacks {name}"

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


def test_procfile_dev_starts_web_worker_with_beat():
    procfile = (ROOT / "Procfile.dev").read_text()

    assert "runserver" in procfile
    assert "worker --queues celery,sync --beat" in procfile


def test_order_syncs_have_their_own_queue_and_workers_apart_from_pushes():
    from portal.celery import app

    services = _services()
    route = app.amqp.router.route({}, "shopify_sync.tasks.sync_orders_incremental")
    push_route = app.amqp.router.route({}, "cancellations.tasks.push_request")

    assert route["queue"].name == "sync" and push_route["queue"].name == "celery"
    assert "--queues celery " in services["worker"]["command"]
    assert "--queues sync " in services["sync-worker"]["command"]
    assert "--queues celery,sync" in (ROOT / "Procfile.dev").read_text()


def test_the_readme_says_why_ci_does_not_start_the_stack():
    section = (ROOT / "README.md").read_text().split("\n## Production\n", 1)[1].split("\n## ", 1)[0]
    production = " ".join(section.split())

    assert "cp .env.example .env" in production and "docker compose up -d" in production
    assert "--scale worker=" in production
    assert "CI does not build the image or start the stack" in production
    assert "no Docker engine" in production

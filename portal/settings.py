"""Settings for the self-service portal, read once from the environment (and `.env` when present).

Every variable is listed with its meaning in `.env.example`. The defaults are the embedded set-up that
`make run` uses (SQLite and a file-based broker under `var/`); production sets `DATABASE_URL`,
`REDIS_URL` and the secrets, and turns `DEBUG` off.
"""

from __future__ import annotations

from pathlib import Path

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# Runtime files of the embedded set-up: the SQLite database, the file broker, beat's schedule.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _required_in_production(name: str, read, development_default, hint: str):
    """A production secret has no default: with DEBUG off a missing value stops startup."""
    if env.str(name, default=""):
        return read(name)
    if DEBUG:
        return development_default
    raise ImproperlyConfigured(f"{name} is not set. {hint} (or set DEBUG=true for local development).")


SECRET_KEY = _required_in_production(
    "SECRET_KEY",
    env.str,
    "insecure-development-key-never-use-in-production",
    "Set SECRET_KEY to a long random string, e.g. the output of "
    "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`",
)
ALLOWED_HOSTS = _required_in_production(
    "ALLOWED_HOSTS",
    env.list,
    ["localhost", "127.0.0.1", "[::1]", "testserver"],
    "Set ALLOWED_HOSTS to the comma-separated host names the portal is served on, e.g. portal.example.com",
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "portal",
    "cancellations",
    "shopify_sync",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shopify_sync.webhooks.middleware.ShopifyWebhookMiddleware",  # machine-to-machine: skips what follows
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.BadInputMiddleware",  # unknown charsets and NUL in query strings: 400
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "portal.middleware.CurrentShopMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.ShopperLanguageMiddleware",
    "portal.staff_security.StaffMfaMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal_shop",
            ],
        },
    },
]

# Database: PostgreSQL in production and CI, a SQLite file under var/ for `make run`.
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker write to one file at once: wait for the lock instead of failing, take it up front
    # (no deadlock on upgrade), and let readers go on while a writer works.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # No `SELECT 1` before each request's first query (a round trip on every page): a connection that
    # broke meanwhile (a database restart) fails that one request, and Django closes a connection that
    # raised at the request's end, so the next request opens a new one.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

# Cache: shared by every process (rate limits, locks), so Redis when there is one, files otherwise.
# With Redis slow or down, a cache call gives up within these timeouts and counts as a miss
# (portal.cache): pages keep working, rate limits fail open for a while, mailing lookup codes fails closed.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Shoppers: email accounts through django-allauth. Passwordless by default (a one-time code by email, like
# Shopify's customer accounts); a password is optional. Only verified addresses grant access to orders.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",  # the merchant's staff in /admin/
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_request_login_code"
LOGIN_REDIRECT_URL = "orders:list"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_request_login_code"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_SESSION_REMEMBER = None  # the shopper chooses "remember me"
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# allauth's own rate limits stay at their defaults (on); they count in the shared cache above.

# The merchant console: a second factor (allauth's MFA: TOTP, recovery codes) for every staff user before
# any admin page; on in production. Sign-in tries per client and per username (Django's admin form; with
# MFA on, allauth's sign-in and its own limits).
STAFF_REQUIRE_MFA = env.bool("STAFF_REQUIRE_MFA", default=not DEBUG)
STAFF_LOGIN_RATE = env.str("STAFF_LOGIN_RATE", default="10/15m")
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Order help")

# Rate limits of the shopper's request endpoints (cancel, change address): per signed-in shopper, counted
# in the shared cache. django-ratelimit is used as a library (not an installed app): its system check
# refuses the file cache because `incr` is not atomic there, which at worst lets a few extra requests
# through in the single-machine `make run` set-up; production uses Redis.
PORTAL_REQUEST_RATE = "20/h"
# Behind reverse proxies (the production compose file has one), rate limits key on the client's address
# from X-Forwarded-For, that many hops from the right (portal.client_ip); never on the proxy's own.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
RATELIMIT_IP_META_KEY = "portal.client_ip.client_ip"
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# Guests (`/lookup/`): lookups per client, per e-mail and per order number asked about; codes mailed per
# address whatever the client (nobody can mail-bomb a shopper); codes typed per client. Each code also
# takes at most 5 tries (portal.order_access.CODE_TRIES).
PORTAL_LOOKUP_RATE = env.str("PORTAL_LOOKUP_RATE", default="10/h")
PORTAL_LOOKUP_MAIL_RATE = env.str("PORTAL_LOOKUP_MAIL_RATE", default="3/h")
PORTAL_LOOKUP_CODE_RATE = env.str("PORTAL_LOOKUP_CODE_RATE", default="30/h")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["portal.formats"]  # Korean times as "오후 6:04" (portal/formats/ko)
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Email: the console in development (sign-in codes appear in `make run`'s output), SMTP in production.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Order help <orders@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
MERCHANT_NOTIFY_EMAILS = env.list("MERCHANT_NOTIFY_EMAILS", default=[])
# Where shoppers reach the portal, for links in emails (e.g. https://orders.example.com).
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000" if DEBUG else "")

# Security headers and cookies: on whenever DEBUG is off (the portal sits behind a TLS-terminating proxy).
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = False
    SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Shopify: the one store this portal serves, and how to reach its Admin API (a devstore in development).
SHOPIFY_SHOP_DOMAIN = _required_in_production(
    "SHOPIFY_SHOP_DOMAIN",
    env.str,
    "devstore.myshopify.com",
    "Set SHOPIFY_SHOP_DOMAIN to the store's your-store.myshopify.com domain",
)
# The app made in Shopify's Dev Dashboard: its client id and secret get the portal its access tokens
# (client credentials grant, renewed before they expire) and the secret signs Shopify's webhooks. Several
# stores installing one app use the same two. No default: `make run` passes the devstore's own.
SHOPIFY_CLIENT_ID = env.str("SHOPIFY_CLIENT_ID", default="")
SHOPIFY_CLIENT_SECRET = env.str("SHOPIFY_CLIENT_SECRET", default="")
# A legacy admin-created custom app's static token (shpat_...): used as it is, never renewed.
SHOPIFY_ACCESS_TOKEN = env.str("SHOPIFY_ACCESS_TOKEN", default="")
# More webhook secrets (an alias of the client secret kept from before; old and new during a rotation).
SHOPIFY_API_SECRET = env.list("SHOPIFY_API_SECRET", default=[])
if not DEBUG:
    # Without these the portal would start, look healthy, and never reach Shopify or accept a webhook.
    if not SHOPIFY_ACCESS_TOKEN and not (SHOPIFY_CLIENT_ID and SHOPIFY_CLIENT_SECRET):
        raise ImproperlyConfigured(
            "SHOPIFY_CLIENT_ID and SHOPIFY_CLIENT_SECRET are not set. Set them to the Dev Dashboard app's "
            "credentials (Settings > Credentials), or, for a legacy admin-created custom app, set "
            "SHOPIFY_ACCESS_TOKEN and SHOPIFY_API_SECRET (or set DEBUG=true for local development)."
        )
    if not SHOPIFY_CLIENT_SECRET and not any(SHOPIFY_API_SECRET):
        raise ImproperlyConfigured(
            "SHOPIFY_ACCESS_TOKEN is set but no webhook secret is: set SHOPIFY_API_SECRET to the custom "
            "app's API secret key, which signs Shopify's webhooks (or set DEBUG=true for local development)."
        )
# A token that expires is renewed this many seconds before it does (and once more on a 401).
SHOPIFY_TOKEN_RENEW_BEFORE_SECONDS = env.int("SHOPIFY_TOKEN_RENEW_BEFORE_SECONDS", default=60 * 60)
# A bearer token that lets a monitor ask `/healthz?deep=1` (Shopify checks) without a staff sign-in.
HEALTHZ_TOKEN = env.str("HEALTHZ_TOKEN", default="")
# Fernet keys, newest first, for tokens and secrets at rest (shopify_sync/encryption.py). With DEBUG on and
# none set, encryption.py derives one from SECRET_KEY; never in production.
PORTAL_ENCRYPTION_KEYS = _required_in_production(
    "PORTAL_ENCRYPTION_KEYS",
    env.list,
    [],
    "Set PORTAL_ENCRYPTION_KEYS to a Fernet key, e.g. the output of "
    "`python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'`",
)
for _key in PORTAL_ENCRYPTION_KEYS:  # a mistyped key stops startup, not the first token stored
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            "PORTAL_ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe base64 bytes); "
            "separate several keys with commas."
        ) from None
SHOPIFY_API_VERSION = env.str("SHOPIFY_API_VERSION", default="2026-07")
SHOPIFY_API_BASE_URL = env.str("SHOPIFY_API_BASE_URL", default="") or f"https://{SHOPIFY_SHOP_DOMAIN}"
# Development only: devstores standing in for other shops, "shop.myshopify.com=http://127.0.0.1:8766,...".
SHOPIFY_API_BASE_URLS = env.dict("SHOPIFY_API_BASE_URLS", default={})

# Webhook intake (see shopify_sync/webhooks/intake.py): with Redis, order webhooks are answered once they are
# in a Redis stream (append-only file in production) and a worker moves them into the database in batches;
# "database" stores every delivery in the database before answering. Without Redis only "database" works.
WEBHOOK_INTAKE = env.str("WEBHOOK_INTAKE", default="redis" if REDIS_URL else "database")
if WEBHOOK_INTAKE not in {"redis", "database"} or (WEBHOOK_INTAKE == "redis" and not REDIS_URL):
    raise ImproperlyConfigured('WEBHOOK_INTAKE must be "database", or "redis" with REDIS_URL set.')
WEBHOOK_INTAKE_STREAM = env.str("WEBHOOK_INTAKE_STREAM", default="portal:webhook-intake")
# Days before processed webhook deliveries (copies of Shopify's order data) are deleted; 0 keeps them.
WEBHOOK_DELIVERY_RETENTION_DAYS = env.int("WEBHOOK_DELIVERY_RETENTION_DAYS", default=30)

# Celery: Redis when REDIS_URL is set; otherwise kombu's file transport under var/, which needs no server
# and still works across processes, so `make run` runs a real worker.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=6 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=5 * 60)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A task unacknowledged this long is handed to another worker: longer than the hard time limit.
        "visibility_timeout": CELERY_TASK_TIME_LIMIT + 60,
        # Pages publish tasks (shopify_sync.enqueue): a broker that is down or slow costs them one try
        # bounded by these seconds, not kombu's reconnect loop or a hung request; what was not queued, a
        # sweep sends later. (A worker reconnects with its own retries, broker_connection_max_retries; its
        # wait for tasks is a 1-second BRPOP, inside the read timeout.)
        "max_retries": 0,
        "socket_connect_timeout": 1.0,
        "socket_timeout": 2.0,
    }
else:
    _broker_dir = VAR_DIR / "celery" / "broker"
    for _folder in ("broker", "control", "results"):
        (VAR_DIR / "celery" / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'celery' / 'results'}"
# Redis serves a queue's messages by priority, 0 first (kombu keeps a list per step: 0, 3, 6, 9). Every
# task goes at 6 but the push of a decision to Shopify (`push_request`, priority 0): a shopper's cancel
# does not wait behind a storm of webhooks or e-mails. (The file broker of `make run` ignores priority.)
CELERY_TASK_DEFAULT_PRIORITY = 6
# A store's order sync can run for minutes (a new store's history): it has a queue of its own, served by
# its own workers in production (docker-compose's sync-worker), so one store's sync never holds the
# worker slots another store's pushes need. `make run`'s one worker serves both queues.
CELERY_TASK_ROUTES = {"shopify_sync.tasks.sync_orders_incremental": {"queue": "sync"}}
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True  # tasks write their outcome to the database; results are opt-in
CELERY_RESULT_EXPIRES = 60 * 60
CELERY_TASK_ACKS_LATE = True  # a task is done when it finished, not when a worker picked it up
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # a killed worker's task goes back to the queue
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker (and beat) outlives a broker outage of any length: it keeps reconnecting (backing off to a try
# every 30 s) instead of giving up after Celery's default 100 tries; tasks it held unacknowledged go back.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    # Incremental order sync: heals webhooks Shopify never delivered.
    "shopify-sync-orders-incremental": {
        "task": "shopify_sync.tasks.sync_orders_incremental",
        "schedule": 60.0 * env.int("SHOPIFY_SYNC_INTERVAL_MINUTES", default=5),
    },
    # Subscriptions Shopify deleted after failed deliveries are made again (then a catch-up sync).
    "shopify-webhook-subscriptions-verify": {
        "task": "shopify_sync.tasks.webhook_subscriptions_verify",
        "schedule": 60.0 * 60 * env.int("SHOPIFY_WEBHOOK_VERIFY_INTERVAL_HOURS", default=4),
    },
    # Webhook deliveries stored while the broker was down (or whose worker died) get processed anyway.
    "webhook-deliveries-retry-unprocessed": {
        "task": "shopify_sync.tasks.webhook_deliveries_retry_unprocessed",
        "schedule": 60.0,
    },
    # Orders flagged by two webhooks of one second that disagreed, whose refresh task was lost.
    "orders-refresh-flagged": {"task": "shopify_sync.tasks.orders_refresh_flagged", "schedule": 60.0},
    # Processed webhook deliveries past WEBHOOK_DELIVERY_RETENTION_DAYS.
    "webhook-deliveries-prune-old": {
        "task": "shopify_sync.tasks.webhook_deliveries_prune_old",
        "schedule": 24 * 60 * 60.0,
    },
    # Approved requests no worker finished (broker down at approval, a worker killed) and unsent e-mails.
    "cancellations-sweep-requests": {"task": "cancellations.tasks.sweep_requests", "schedule": 60.0},
    # Guests' lookup codes, a day after they expired.
    "portal-prune-order-access-codes": {"task": "portal.tasks.prune_order_access_codes", "schedule": 3600.0},
    # Fulfilment holds whose self-service windows are over, and holds a lost task never placed.
    "cancellations-sweep-fulfilment-holds": {
        "task": "cancellations.tasks.sweep_fulfilment_holds",
        "schedule": 60.0,
    },
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# Logs: plain lines for people by default; LOG_FORMAT=json writes one JSON object per line (time, level,
# logger, message, exception) for a log collector (portal/logging_json.py; gunicorn's own lines too, through
# deploy/gunicorn.conf.py). Request bodies are never logged.
LOG_FORMAT = env.str("LOG_FORMAT", default="") or "plain"
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured('LOG_FORMAT must be "plain" or "json".')
# Celery's worker and beat replace the root logger's handler with their own plain one unless told not to;
# in JSON they keep the handler below. (Here rather than with the CELERY_* block: it follows LOG_FORMAT.)
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "portal.logging_json.JsonLinesFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Demo admin that `make run` creates once (never created with DEBUG off).
DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "portal-demo-admin"  # noqa: S105 - a documented local-only demo credential

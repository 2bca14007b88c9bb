"""The portal's settings for the soak: production code paths, with the push's waits scaled down.

The defaults are tuned for Shopify (a cancel settles within a minute, the sweeper looks every minute); the
devstore finishes a cancel job in 0.3 s, so the same algorithm runs here with waits a soak can afford.
The ratios that matter for exactly-once are kept: the lease outlives any single attempt (the client's
retries included), and the settle time is many times the store's job delay.
"""

from portal.settings import *  # noqa: F403 - the soak exercises exactly the production settings
from portal.settings import CELERY_BEAT_SCHEDULE as _PRODUCTION_BEAT

CANCELLATIONS_PUSH_LEASE_SECONDS = 45
CANCELLATIONS_PUSH_RETRY_BASE_SECONDS = 1.0
CANCELLATIONS_PUSH_SETTLE_SECONDS = 5.0
CANCELLATIONS_PUSH_VERIFY_SECONDS = 1.0
CANCELLATIONS_JOB_POLL_INTERVAL_SECONDS = 0.2
CANCELLATIONS_SWEEP_GRACE_SECONDS = 10.0
CANCELLATIONS_NOTIFICATION_GRACE_SECONDS = 10.0
# An undecided return is read from Shopify again this long after the last look (production: every 5
# minutes), in case the webhook saying the store decided it in Shopify's admin was dropped.
CANCELLATIONS_RETURN_CHECK_SECONDS = 30.0

# Beat at soak speed: the sweeper every 5 s, the webhook retry sweep and the fulfilment holds' sweep (windows
# closed) every 10 s, incremental sync every 30 s.
_SOAK_INTERVALS = {
    "shopify-sync-orders-incremental": 30.0,
    "webhook-deliveries-retry-unprocessed": 10.0,
    "cancellations-sweep-requests": 5.0,
    "cancellations-sweep-fulfilment-holds": 10.0,
}
CELERY_BEAT_SCHEDULE = {
    name: {**entry, "schedule": _SOAK_INTERVALS.get(name, entry["schedule"])}
    for name, entry in _PRODUCTION_BEAT.items()
}

# Thousands of e-mails are rendered and handed to a backend that writes one line per e-mail (recipients,
# subject) to the run's mail file (`soak.mail`), which the reconciliation counts; their outbox is still
# claimed and re-driven like in production.
EMAIL_BACKEND = "soak.mail.CapturingEmailBackend"
# No collectstatic before a soak: plain static storage even with DEBUG off.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

"""The Celery app. Configuration lives in Django settings under the `CELERY_` prefix."""

from __future__ import annotations

import os

from celery import Celery

from portal import kombu_guard

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
kombu_guard.install()  # a worker must outlive a Redis outage: see the module

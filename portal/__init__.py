"""The Django project package: settings, root URLs, the Celery app, and the shopper-facing pages."""

from portal.celery import app as celery_app

__all__ = ["celery_app"]

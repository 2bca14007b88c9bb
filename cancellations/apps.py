from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CancellationsConfig(AppConfig):
    name = "cancellations"
    verbose_name = _("Order requests")

    def ready(self) -> None:
        from cancellations import receivers  # noqa: F401  (connects the receivers to shopify_sync's signals)

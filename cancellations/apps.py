from django.apps import AppConfig


class CancellationsConfig(AppConfig):
    name = "cancellations"
    verbose_name = "Order requests"

    def ready(self) -> None:
        from cancellations import receivers  # noqa: F401  (connects the receivers to shopify_sync's signals)

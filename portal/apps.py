from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Shopper portal")

    def ready(self) -> None:
        from portal import signals  # noqa: F401  (connects the receivers)
        from shopify_sync.encryption import encrypted_field_register

        encrypted_field_register("portal.OrderLinkKey", "secret_encrypted")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopifySyncConfig(AppConfig):
    name = "shopify_sync"
    verbose_name = _("Shopify mirror")

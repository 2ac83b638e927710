from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegimesConfig(AppConfig):
    name = "regimes"
    verbose_name = _("Management regimes")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReturnVisitsConfig(AppConfig):
    name = "return_visits"
    verbose_name = _("Return visits")

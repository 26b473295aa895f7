from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "wangge.people"
    label = "people"
    verbose_name = _("People")

    def ready(self):
        from wangge.core.paths import register_path_dependent

        from .models import Household, Resident

        register_path_dependent(Household)
        register_path_dependent(Resident)

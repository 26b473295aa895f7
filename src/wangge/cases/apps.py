from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "wangge.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from wangge.core.paths import register_path_dependent

        from .models import Case, CaseDailyRollup, CaseDurationRollup

        register_path_dependent(Case)
        register_path_dependent(CaseDailyRollup)
        register_path_dependent(CaseDurationRollup)

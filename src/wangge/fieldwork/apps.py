from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "wangge.fieldwork"
    label = "fieldwork"
    verbose_name = _("Fieldwork")

    def ready(self):
        from wangge.core.paths import register_path_dependent

        from .models import DailyNorm, DailyReport, Patrol, PledgeCampaign, Visit

        for model in (DailyNorm, DailyReport, Patrol, PledgeCampaign, Visit):
            register_path_dependent(model)

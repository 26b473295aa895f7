from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "wangge.supervision"
    label = "supervision"
    verbose_name = _("Supervision")

    def ready(self):
        from wangge.core.paths import register_path_dependent

        from .models import Bulletin, Inspection, Problem, SupervisionItem

        register_path_dependent(SupervisionItem)
        register_path_dependent(Inspection)
        register_path_dependent(Problem)
        register_path_dependent(Bulletin)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "wangge.scoring"
    label = "scoring"
    verbose_name = _("Points and assessment")

    def ready(self):
        from wangge.core.paths import register_path_dependent

        from . import handlers  # noqa: F401
        from .models import Admonishment, Assessment, BundleLink, PointEntry

        for model in (PointEntry, Assessment, Admonishment, BundleLink):
            register_path_dependent(model)

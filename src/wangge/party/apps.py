from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyConfig(AppConfig):
    name = "wangge.party"
    label = "party"
    verbose_name = _("Party")

    def ready(self):
        from wangge.core.paths import register_path_dependent

        from .models import DualRegistration, Mobilisation, Need, PartyMember, PartyOrg

        register_path_dependent(PartyOrg)
        register_path_dependent(PartyMember)
        register_path_dependent(Need)
        register_path_dependent(Mobilisation)
        register_path_dependent(DualRegistration, "community_path")

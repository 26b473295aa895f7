from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import AreaKind, AreaLevel
from .models import Area


class AreaForm(forms.Form):
    """Edit an area's name, kind, centre point, boundary and (for a grid) AB partner. The
    values are checked by areas.services; this form only parses the input."""

    name = forms.CharField(label=_("name"), max_length=100)
    kind = forms.ChoiceField(label=_("kind"), choices=AreaKind.choices)
    centroid_lat = forms.FloatField(label=_("latitude"), required=False)
    centroid_lng = forms.FloatField(label=_("longitude"), required=False)
    boundary = forms.CharField(
        label=_("boundary (GeoJSON geometry)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "mono", "spellcheck": "false"}),
        help_text=_(
            "A GeoJSON Polygon or MultiPolygon in WGS84 longitude/latitude. Leave empty "
            "to remove the boundary."
        ),
    )
    ab_partner = forms.ModelChoiceField(
        label=_("AB partner grid"),
        queryset=Area.objects.none(),
        required=False,
        help_text=_("Adjacent grid whose worker stands in (相邻网格互为AB角)."),
    )

    def __init__(self, *args, area: Area, partner_choices=None, **kwargs):
        self.area = area
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("name", area.name)
        initial.setdefault("kind", area.kind)
        initial.setdefault("centroid_lat", area.centroid_lat)
        initial.setdefault("centroid_lng", area.centroid_lng)
        initial.setdefault(
            "boundary", json.dumps(area.boundary, ensure_ascii=False) if area.boundary else ""
        )
        initial.setdefault("ab_partner", area.ab_partner_id)
        super().__init__(*args, **kwargs)
        if area.level not in (AreaLevel.GRID, AreaLevel.MICROGRID):
            del self.fields["kind"]
        if area.level == AreaLevel.GRID and partner_choices is not None:
            self.fields["ab_partner"].queryset = partner_choices
            self.fields["ab_partner"].label_from_instance = lambda a: (
                f"{a.parent.name if a.parent_id else ''} {a.name}".strip()
            )
        else:
            del self.fields["ab_partner"]

    def clean_boundary(self):
        raw = (self.cleaned_data.get("boundary") or "").strip()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("The boundary is not valid GeoJSON."))

    def clean(self):
        data = super().clean()
        lat, lng = data.get("centroid_lat"), data.get("centroid_lng")
        if (lat is None) != (lng is None):
            self.add_error("centroid_lng", _("Give both latitude and longitude, or neither."))
        return data

    def boundary_changed(self) -> bool:
        return self.cleaned_data.get("boundary") != (self.area.boundary or None)

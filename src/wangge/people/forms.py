"""Forms of the people pages. They parse input only; the rules live in people.services."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.areas.models import Area

from .choices import ETHNICITIES, Relation, TagTarget
from .models import Tag


def _tag_field(target: str) -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=_("tags"),
        queryset=Tag.objects.filter(Q(target=target) | Q(target=TagTarget.BOTH)),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        parent = obj.parent.name if obj.parent_id else ""
        return f"{parent} · {obj.name}" if parent else obj.name


class HouseholdForm(forms.Form):
    number = forms.CharField(label=_("household number"), max_length=32)
    area = AreaChoiceField(label=_("grid / micro-grid"), queryset=Area.objects.none())
    address = forms.CharField(label=_("address"), max_length=200)
    phone = forms.CharField(label=_("phone"), max_length=20, required=False)
    lat = forms.FloatField(label=_("latitude"), required=False, min_value=-90, max_value=90)
    lng = forms.FloatField(label=_("longitude"), required=False, min_value=-180, max_value=180)
    notes = forms.CharField(
        label=_("notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, areas, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["tags"] = _tag_field(TagTarget.HOUSEHOLD)
        self.order_fields(["number", "area", "address", "phone", "tags", "lat", "lng", "notes"])
        if editing:
            # The number identifies the household in every list and import; it is not edited,
            # and people.services.household_update does not change the location point.
            del self.fields["number"]
            del self.fields["lat"]
            del self.fields["lng"]

    def clean(self):
        data = super().clean()
        if "lat" in self.fields and (data.get("lat") is None) != (data.get("lng") is None):
            self.add_error("lng", _("Give both latitude and longitude, or neither."))
        return data


class ResidentForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=50)
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    phone = forms.CharField(label=_("phone"), max_length=20, required=False)
    ethnicity = forms.ChoiceField(
        label=_("ethnicity"), choices=[(e, e) for e in ETHNICITIES], initial="汉族"
    )
    relation = forms.ChoiceField(
        label=_("relation to head"), choices=Relation.choices, initial=Relation.OTHER
    )
    is_away = forms.BooleanField(label=_("working away (外出)"), required=False)
    is_party_member = forms.BooleanField(label=_("party member"), required=False)
    is_deceased = forms.BooleanField(label=_("deceased"), required=False)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"] = _tag_field(TagTarget.RESIDENT)
        self.order_fields(
            [
                "name",
                "id_number",
                "phone",
                "relation",
                "ethnicity",
                "tags",
                "is_away",
                "is_party_member",
                "is_deceased",
            ]
        )
        if editing:
            field = self.fields["id_number"]
            field.required = False
            field.label = _("correct the ID number")
            field.help_text = _("Leave empty to keep the registered ID number.")
        else:
            del self.fields["is_deceased"]


class ServicePlanForm(forms.Form):
    situation = forms.CharField(
        label=_("situation"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    needs = forms.CharField(
        label=_("needs"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    measures = forms.CharField(
        label=_("measures"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    responsible = forms.ModelChoiceField(label=_("responsible"), queryset=None, required=False)

    def __init__(self, *args, responsible_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = responsible_choices


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.areas.models import Area

from .choices import VisitKind


class VisitForm(forms.Form):
    household = forms.ModelChoiceField(
        label=_("Household"), queryset=None, empty_label=_("Choose a household")
    )
    kind = forms.ChoiceField(label=_("Kind of visit"), choices=VisitKind.choices)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    needs = forms.CharField(
        label=_("Needs collected (one per line)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Each line goes to the needs list for party members to claim."),
    )
    plan_situation = forms.CharField(
        label=_("Plan: situation"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    plan_measures = forms.CharField(
        label=_("Plan: measures"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, households, can_plan: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = households
        self.fields["household"].label_from_instance = lambda h: (
            f"{h.number} {h.head.name if h.head else ''} · {h.address}"
        )
        if not can_plan:
            del self.fields["plan_situation"]
            del self.fields["plan_measures"]


class FindingForm(forms.Form):
    description = forms.CharField(
        label=_("What did you find?"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)


class ReportForm(forms.Form):
    extra_tasks = forms.IntegerField(
        label=_("Other tasks done (not recorded as cases)"), min_value=0, max_value=20, initial=0
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )


class NormForm(forms.Form):
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none())
    patrols = forms.IntegerField(label=_("Patrols per day"), min_value=0, max_value=10, initial=2)
    visit_kinds = forms.IntegerField(
        label=_("Kinds of visit per day"), min_value=0, max_value=3, initial=3
    )
    tasks = forms.IntegerField(label=_("Tasks per day"), min_value=0, max_value=50, initial=4)
    hours = forms.DecimalField(
        label=_("Working hours per day"),
        min_value=0,
        max_value=16,
        decimal_places=1,
        max_digits=3,
        initial=8,
    )

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["area"].label_from_instance = lambda a: f"{'— ' * (a.depth - 1)}{a.name}"


class CampaignForm(forms.Form):
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none())
    title = forms.CharField(label=_("Title"), max_length=100)
    text = forms.CharField(
        label=_("Pledge text"), max_length=4000, widget=forms.Textarea(attrs={"rows": 6})
    )
    deadline = forms.DateField(label=_("Sign by"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["area"].label_from_instance = lambda a: f"{'— ' * (a.depth - 1)}{a.name}"
        self.fields["deadline"].initial = timezone.localdate() + dt.timedelta(days=7)


class SignForm(forms.Form):
    signed_name = forms.CharField(
        label=_("Type your full name to sign"),
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class AreaFilterForm(forms.Form):
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none(), required=False)

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["area"].empty_label = _("All my areas")
        self.fields["area"].label_from_instance = lambda a: f"{'— ' * (a.depth - 1)}{a.name}"


class DayFilterForm(AreaFilterForm):
    day = forms.DateField(
        label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class MonthFilterForm(AreaFilterForm):
    month = forms.CharField(
        label=_("Month"), required=False, widget=forms.DateInput(attrs={"type": "month"})
    )

    def clean_month(self):
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            return None
        try:
            return dt.datetime.strptime(value, "%Y-%m").date()
        except ValueError as exc:
            raise forms.ValidationError(_("Give the month as YYYY-MM.")) from exc

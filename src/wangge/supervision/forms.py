"""Forms of supervision. They only parse input: the rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import BulletinKind, Check, PeriodKind


class DateInput(forms.DateInput):
    """The phone's date picker: it only takes ISO dates, whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):
        super().__init__(attrs, format=format)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.get_level_display()}）"


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class ItemForm(forms.Form):
    area = AreaChoiceField(label=_("Area"), queryset=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    period_kind = forms.ChoiceField(label=_("Period"), choices=PeriodKind.choices)
    period = forms.CharField(
        label=_("Month or quarter"),
        max_length=8,
        required=False,
        help_text=_("2026-11 or 2026-Q4; empty for the current one."),
    )
    description = forms.CharField(
        label=_("What is checked"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas


class InspectionForm(forms.Form):
    """Filled in on the phone during the visit."""

    area = AreaChoiceField(label=_("Where"), queryset=None)
    item = forms.ModelChoiceField(label=_("Supervision item"), queryset=None, required=False)
    inspected_on = forms.DateField(label=_("Date"), widget=DateInput)
    checks = forms.MultipleChoiceField(
        label=_("What was checked"), choices=Check.choices, widget=forms.CheckboxSelectMultiple
    )
    staff_expected = forms.IntegerField(
        label=_("People expected at their post"),
        min_value=0,
        max_value=10000,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    staff_present = forms.IntegerField(
        label=_("People found at their post"),
        min_value=0,
        max_value=10000,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    photos = MultipleFileField(label=_("Photos"), required=False)

    def __init__(self, *args, areas, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["item"].queryset = items
        self.fields["inspected_on"].initial = timezone.localdate()


class ProblemForm(forms.Form):
    description = forms.CharField(label=_("Problem"), widget=forms.Textarea(attrs={"rows": 3}))
    area = AreaChoiceField(label=_("Area"), queryset=None, required=False)
    responsible = UserChoiceField(label=_("Responsible person"), queryset=None)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput)

    def __init__(self, *args, areas, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["responsible"].queryset = people


class RectifyForm(forms.Form):
    rectification = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("Follow-up"), widget=forms.Textarea(attrs={"rows": 2}))
    remind = forms.BooleanField(label=_("Remind the person responsible"), required=False)
    deadline = forms.DateField(label=_("New deadline"), required=False, widget=DateInput)


class ToCaseForm(forms.Form):
    grid = AreaChoiceField(label=_("Grid"), queryset=None, required=False)

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids


class StatisticsForm(forms.Form):
    area = AreaChoiceField(label=_("Area"), queryset=None, required=False)
    quarter = forms.ChoiceField(label=_("Quarter"), required=False)

    def __init__(self, *args, areas, quarters, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["quarter"].choices = [(q, q) for q in quarters]


class BulletinGenerateForm(forms.Form):
    area = AreaChoiceField(label=_("Area"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=BulletinKind.choices)
    day = forms.DateField(
        label=_("A day of the period"),
        required=False,
        widget=DateInput,
        help_text=_("Empty: the last complete period."),
    )

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        if areas.count() == 1:
            self.fields["area"].initial = areas.first().pk


class BulletinEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    remarks = forms.CharField(
        label=_("Remarks"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

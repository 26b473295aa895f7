"""Forms shape and type-check input; the rules live in the services."""

from __future__ import annotations

import uuid

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from wangge.accounts.models import Department

from .choices import CaseState, Level, Satisfaction, Source, Urgency


class FastSelect(forms.Select):
    """A <select> of flat choices written out in Python. Django renders every option through
    its own template, about a millisecond per dozen options; the dispatch board's area
    filter lists every village and grid of a town (hundreds) on every page view."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        selected = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, " selected" if str(key) in selected else "", label)
                for key, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


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


def category_choices():
    """The active categories (from the services' copy of the category table: no query)."""
    from .services import active_categories

    choices = []
    for c in active_categories():
        label = f"{c.parent.name} · {c.name}" if c.parent_id else c.name
        choices.append((c.code, label))
    return choices


def _labelled(first: list, choices) -> list[tuple[str, str]]:
    """`first` and an enumeration's choices, their labels in the active language."""
    return [(value, str(label)) for value, label in [*first, *choices]]


class PublicReportForm(forms.Form):
    """The QR page 扫码上报: no account, a phone number to call back."""

    phone = forms.CharField(
        label=_("Your phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("Only the staff who handle your case see it."),
    )
    name = forms.CharField(label=_("Your name (optional)"), max_length=50, required=False)
    category = forms.ChoiceField(label=_("What is it about?"))
    description = forms.CharField(
        label=_("Describe the problem"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
    grid = forms.ChoiceField(label=_("Grid"), required=False)
    photos = MultipleFileField(label=_("Photos (optional)"), required=False)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        self.fields["category"].initial = "other"
        self.fields["grid"].choices = [("", _("Use my phone's location"))] + [
            (g.code, g.name) for g in grids
        ]
        if len(grids) == 1:
            self.fields["grid"].choices = [(grids[0].code, grids[0].name)]
            self.fields["grid"].initial = grids[0].code
        self.fields["token"].initial = uuid.uuid4().hex


class PublicRatingForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("How satisfied are you with the result?"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class StaffReportForm(forms.Form):
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[(s.value, s.label) for s in Source if s not in (Source.OPEN311, Source.API)],
        initial=Source.STAFF,
    )
    category = forms.ChoiceField(label=_("Category"))
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=[("", _("category default"))] + list(Urgency.choices),
        required=False,
    )
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    description = forms.CharField(label=_("Description"), max_length=4000, widget=forms.Textarea)
    grid = forms.ChoiceField(label=_("Grid"), required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    reporter_name = forms.CharField(label=_("Reporter name"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("Reporter phone"), max_length=20, required=False)
    photos = MultipleFileField(label=_("Photos"), required=False)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        self.fields["category"].initial = "other"
        self.fields["grid"].choices = [("", _("locate from the position"))] + [
            (str(g.pk), f"{g.parent.name if g.parent_id else ''} {g.name}") for g in grids
        ]
        self.fields["token"].initial = uuid.uuid4().hex


class BoardFilterForm(forms.Form):
    """Filters of the dispatch board 调度台. The choices are given to each form in its own
    language (a form's fields are deep-copied from the class's for every form: choices with
    lazy labels made that copy a tenth of the board's time)."""

    q = forms.CharField(label=_("Search"), required=False)
    area = forms.ChoiceField(label=_("Area"), required=False, widget=FastSelect)
    state = forms.ChoiceField(label=_("State"), required=False, widget=FastSelect)
    category = forms.ChoiceField(label=_("Category"), required=False, widget=FastSelect)
    level = forms.ChoiceField(label=_("Level"), required=False, widget=FastSelect)
    source = forms.ChoiceField(label=_("Source"), required=False, widget=FastSelect)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, areas=(), **kwargs):
        """`areas`: (id, depth, name) of the areas to filter by."""
        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["area"].choices = [("", str(_("all my areas")))] + [
            (str(pk), ("· " * (depth - 1)) + name) for pk, depth, name in areas
        ]
        fields["state"].choices = _labelled(
            [("", _("open")), ("all", _("all states"))], CaseState.choices
        )
        fields["category"].choices = [("", str(_("all categories")))] + category_choices()
        fields["level"].choices = _labelled([("", _("all levels"))], Level.choices)
        fields["source"].choices = _labelled([("", _("all channels"))], Source.choices)


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_public = forms.BooleanField(label=_("Show on the public board"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("How it was resolved"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = MultipleFileField(label=_("Photos"), required=False)


class ReturnVisitForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("Reporter's satisfaction"), choices=Satisfaction.choices
    )
    note = forms.CharField(
        label=_("Note"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DispatchForm(forms.Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.all())
    note = forms.CharField(label=_("Note"), max_length=4000, required=False)


class TransferForm(forms.Form):
    grid = forms.ChoiceField(label=_("To grid"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=4000)

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = [("", "—")] + [(str(g.pk), g.name) for g in grids]


class MergeForm(forms.Form):
    into = forms.CharField(label=_("Number of the case it duplicates"), max_length=20)
    note = forms.CharField(label=_("Note"), max_length=4000, required=False)


class KpiForm(forms.Form):
    """The area and period of the KPI page: a month, the quarter or the year containing a
    month, or any range of days."""

    MAX_DAYS = 5 * 366

    area = forms.TypedChoiceField(label=_("Area"), coerce=int, required=False)
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[
            ("month", _("month")),
            ("quarter", _("quarter")),
            ("year", _("year")),
            ("range", _("from … to")),
        ],
    )
    month = forms.DateField(
        label=_("Month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        help_text=_("The quarter and the year are those of this month."),
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, areas=(), today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        top = min((a.depth for a in areas), default=1)
        self.fields["area"].choices = [(a.pk, ("· " * (a.depth - top)) + a.name) for a in areas]

    def clean(self):
        from .kpis import period_bounds

        data = super().clean()
        kind = data.get("period") or "month"
        data["period"] = kind
        if kind == "range":
            start, end = data.get("start"), data.get("end")
            if start is None or end is None:
                raise forms.ValidationError(_("Give the first and the last day."))
            if start > end:
                raise forms.ValidationError(_("The first day is after the last day."))
            if (end - start).days > self.MAX_DAYS:
                raise forms.ValidationError(_("Choose at most five years."))
        else:
            start, end = period_bounds(kind, data.get("month") or self.today)
        data["start"], data["end"] = start, end
        return data

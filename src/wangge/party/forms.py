from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import MeetingKind, ModelPostKind, NeedStatus, TeamKind, TeamPurpose

# Bounds of the "not visited in N days" parameter of the coverage pages.
MAX_DAYS = 730


class NeedFulfilForm(forms.Form):
    result = forms.CharField(
        label=_("What was done"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class NeedConvertForm(forms.Form):
    note = forms.CharField(
        label=_("Why it needs the case loop"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NeedFilterForm(forms.Form):
    STATUS_CHOICES = [("", _("All statuses")), *NeedStatus.choices]

    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    area = forms.TypedChoiceField(label=_("Area"), coerce=int, required=False, empty_value=None)
    q = forms.CharField(label=_("Search"), max_length=50, required=False)

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", _("All my areas"))] + [(a.pk, a.name) for a in areas]
        self.fields["q"].widget.attrs["placeholder"] = _("Household or description")


class CoverageForm(forms.Form):
    days = forms.IntegerField(
        label=_("Not visited in (days)"), min_value=1, max_value=MAX_DAYS, required=False
    )
    show = forms.ChoiceField(
        required=False,
        choices=[
            ("uncovered", _("Households without a contact member")),
            ("not_visited", _("Key households not visited")),
            ("over_quota", _("Members over their quota")),
        ],
    )


class ServiceRecordForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.DecimalField(
        label=_("Hours"), min_value=0.5, max_value=24, decimal_places=1, max_digits=4
    )
    description = forms.CharField(label=_("What was done"), max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()
        self.fields["hours"].widget.attrs["step"] = "0.5"


class DualRegisterForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=None)

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class ModelPostFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *ModelPostKind.choices], required=False
    )
    free = forms.BooleanField(label=_("Not yet claimed"), required=False)


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=MeetingKind.choices)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    topic = forms.CharField(label=_("Topic"), max_length=200)
    location = forms.CharField(label=_("Location"), max_length=100, required=False)
    notes = forms.CharField(
        label=_("Notes"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    present = forms.TypedMultipleChoiceField(
        label=_("Present (the others are recorded absent)"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    attendance_count = forms.IntegerField(
        label=_("Head count (trainings, sessions with people from outside)"),
        min_value=0,
        max_value=100000,
        required=False,
    )

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()
        if members is None:
            # Too many members to tick one by one (a town committee): a head count only.
            del self.fields["present"]
        else:
            self.fields["present"].choices = [(m.pk, m.name) for m in members]


class CallForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    area = forms.TypedChoiceField(label=_("Called area"), coerce=int)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=TeamPurpose.choices)
    team = forms.TypedChoiceField(
        label=_("Team (empty: every member of the area)"),
        coerce=int,
        required=False,
        empty_value=None,
    )
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, areas=(), teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [(a.pk, a.name) for a in areas]
        self.fields["team"].choices = [("", "—")] + [(t.pk, t.name) for t in teams]


class TurnoutForm(forms.Form):
    """Who of those signed up turned out. `shown` are the members listed on the page that was
    submitted (the roster is paginated): the others keep what was recorded for them."""

    present = forms.TypedMultipleChoiceField(
        label=_("Turned out"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    shown = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.MultipleHiddenInput
    )

    def __init__(self, *args, signups=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(s.member_id, s.member.name) for s in signups]
        self.fields["present"].choices = choices
        self.fields["shown"].choices = choices


class TeamForm(forms.Form):
    """A new volunteer or commando team 志愿服务队/突击队 of an organisation the user manages."""

    name = forms.CharField(label=_("Team name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=TeamKind.choices)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=TeamPurpose.choices)
    org = forms.ModelChoiceField(label=_("Organisation"), queryset=None, empty_label=None)

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        self.fields["org"].label_from_instance = lambda o: o.name
        self.fields["name"].widget.attrs["placeholder"] = _("e.g. flood commando team")


class _IdsField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        try:
            return {int(v) for v in value or ()}
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Choose members from the list.")) from None


class TeamMembersForm(forms.Form):
    """The members ticked on one page of the choice list. `shown` are the members that page
    listed (the list is paginated and searchable): the others keep their place in the team."""

    present = _IdsField(required=False)
    shown = _IdsField(required=False)

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import rules as R
from .choices import BundleKind, CapPeriod, PeriodKind, SubjectKind, Trigger
from .models import PointRule


def quarter_choices(today: dt.date | None = None, n: int = 8) -> list[tuple[str, str]]:
    today = today or timezone.localdate()
    start, _end = R.period_bounds(PeriodKind.QUARTER, today)
    out = []
    for i in range(n):
        s = R.add_months(start, -3 * i)
        out.append((s.isoformat(), R.period_label(PeriodKind.QUARTER, s)))
    return out


class RankingForm(forms.Form):
    area = forms.ModelChoiceField(queryset=None, label=_("area"), required=False, empty_label=None)
    quarter = forms.ChoiceField(label=_("quarter"), required=False)

    def __init__(self, *args, areas=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["quarter"].choices = quarter_choices()


class AssessmentFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("period"), choices=PeriodKind.choices, required=False)
    start = forms.DateField(
        label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    subject_kind = forms.ChoiceField(
        label=_("subject"), choices=[("", _("all"))] + list(SubjectKind.choices), required=False
    )
    q = forms.CharField(label=_("name"), required=False, max_length=50)
    below = forms.BooleanField(label=_("under the threshold only"), required=False)


class LedgerFilterForm(forms.Form):
    subject_kind = forms.ChoiceField(
        label=_("subject"), choices=[("", _("all"))] + list(SubjectKind.choices), required=False
    )
    q = forms.CharField(label=_("name"), required=False, max_length=50)
    start = forms.DateField(
        label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ManualEntryForm(forms.Form):
    rule = forms.ModelChoiceField(
        queryset=PointRule.objects.filter(trigger=Trigger.MANUAL, is_active=True),
        label=_("rule"),
    )
    subject_id = forms.IntegerField(
        label=_("subject number"),
        min_value=1,
        max_value=2**62,
        help_text=_("The number shown beside the name in the assessment list."),
    )
    day = forms.DateField(
        label=_("day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("reason"), max_length=300, widget=forms.Textarea({"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=300, widget=forms.Textarea({"rows": 2}))


class TalkForm(forms.Form):
    talked_at = forms.DateTimeField(
        label=_("talk held at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    notes = forms.CharField(
        label=_("notes of the talk"), max_length=4000, widget=forms.Textarea({"rows": 4})
    )
    follow_up = forms.CharField(
        label=_("follow-up"), max_length=2000, required=False, widget=forms.Textarea({"rows": 2})
    )


class RuleForm(forms.Form):
    code = forms.SlugField(label=_("code"), max_length=40)
    name = forms.CharField(label=_("name"), max_length=100)
    subject_kind = forms.ChoiceField(label=_("subject"), choices=SubjectKind.choices)
    points = forms.DecimalField(
        label=_("points"), max_digits=6, decimal_places=1, min_value=-1000, max_value=1000
    )
    trigger = forms.ChoiceField(label=_("trigger"), choices=Trigger.choices)
    event = forms.ChoiceField(
        label=_("event"), choices=PointRule._meta.get_field("event").choices, required=False
    )
    cap_period = forms.ChoiceField(label=_("cap period"), choices=CapPeriod.choices, required=False)
    cap = forms.DecimalField(
        label=_("cap (points per period)"),
        max_digits=7,
        decimal_places=1,
        min_value=0,
        required=False,
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    description = forms.CharField(label=_("description"), max_length=300, required=False)


def _share_field(label) -> forms.DecimalField:
    """A bundled share 捆绑奖惩 in percent of the village's result."""
    return forms.DecimalField(
        label=label, max_digits=5, decimal_places=1, min_value=0, max_value=100
    )


class SettingsForm(forms.Form):
    base_score = forms.DecimalField(
        label=_("base score"), max_digits=6, decimal_places=1, min_value=0, max_value=1000
    )
    threshold = forms.DecimalField(
        label=_("admonishment threshold"),
        max_digits=6,
        decimal_places=1,
        min_value=0,
        max_value=1000,
    )
    share_stationed_cadre = _share_field(_("share of a stationed cadre (%)"))
    share_secretary = _share_field(_("share of the village secretary (%)"))
    share_town_grid_chief = _share_field(_("share of the town grid chief (%)"))
    share_committee = _share_field(_("share of a village committee member (%)"))


class BundleLinkForm(forms.Form):
    village = forms.ModelChoiceField(queryset=None, label=_("village"))
    user_id = forms.IntegerField(label=_("person (user number)"), min_value=1, max_value=2**62)
    kind = forms.ChoiceField(label=_("link"), choices=BundleKind.choices)

    def __init__(self, *args, villages=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages

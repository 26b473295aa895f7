"""Forms of village transparency. They only parse input: the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    DecisionKind,
    FeedbackKind,
    IssueKind,
    IssueSource,
    MajorityRule,
    QuorumRule,
)
from .models import DisclosureItem


class DateInput(forms.DateInput):
    input_type = "date"


# --- public ---------------------------------------------------------------------------------


class FeedbackForm(forms.Form):
    """述询评督 from the village page."""

    kind = forms.ChoiceField(choices=FeedbackKind.choices, widget=forms.HiddenInput)
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("Only the village supervision committee sees it."),
    )
    name = forms.CharField(label=_("Name (optional)"), max_length=30, required=False)
    body = forms.CharField(
        label=_("Your words"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    rating = forms.TypedChoiceField(
        label=_("Rating"),
        choices=[(i, "★" * i) for i in range(5, 0, -1)],
        coerce=int,
        required=False,
        empty_value=None,
    )
    # Bots fill every field; people never see this one.
    website = forms.CharField(required=False, widget=forms.HiddenInput)


# --- staff ----------------------------------------------------------------------------------


class DisclosureCreateForm(forms.Form):
    village = forms.ModelChoiceField(label=_("Village"), queryset=None)
    item = forms.ModelChoiceField(label=_("Item"), queryset=DisclosureItem.objects.none())
    period = forms.CharField(
        label=_("Period"), max_length=8, help_text=_("2026-10 (month), 2026-Q3 (quarter) or 2026")
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        self.fields["item"].queryset = DisclosureItem.objects.filter(is_active=True)


class DisclosureEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )


class TableImportForm(forms.Form):
    file = forms.FileField(
        label=_("xlsx file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
        help_text=_("First row: column names. Amount columns must hold numbers."),
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))
    name = forms.CharField(label=_("Name"), max_length=200, required=False)


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class DecisionCreateForm(forms.Form):
    village = forms.ModelChoiceField(label=_("Village"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=DecisionKind.choices)
    title = forms.CharField(label=_("Matter"), max_length=200)
    summary = forms.CharField(
        label=_("Proposal"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    amount = forms.DecimalField(
        label=_("Amount (yuan)"), required=False, max_digits=14, decimal_places=2
    )
    majority_rule = forms.ChoiceField(label=_("Majority rule"), choices=MajorityRule.choices)
    quorum_rule = forms.ChoiceField(label=_("Quorum rule"), choices=QuorumRule.choices)
    held_on = forms.DateField(
        label=_("Party branch meeting on"), widget=DateInput, initial=timezone.localdate
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    document = forms.FileField(label=_("Minutes"), required=False)

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages


class StageForm(forms.Form):
    held_on = forms.DateField(label=_("Meeting on"), widget=DateInput, initial=timezone.localdate)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    document = forms.FileField(label=_("Minutes"), required=False)


class VoteForm(StageForm):
    representatives_total = forms.IntegerField(label=_("Representatives"), min_value=0)
    attendance = forms.IntegerField(label=_("Present"), min_value=0)
    votes_for = forms.IntegerField(label=_("For"), min_value=0)
    votes_against = forms.IntegerField(label=_("Against"), min_value=0)
    votes_abstain = forms.IntegerField(label=_("Abstained"), min_value=0, initial=0)


class PublishTextForm(forms.Form):
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}))
    held_on = forms.DateField(label=_("Date"), widget=DateInput, initial=timezone.localdate)


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class IssueCreateForm(forms.Form):
    village = forms.ModelChoiceField(label=_("Village"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=IssueKind.choices)
    source = forms.ChoiceField(label=_("Raised at"), choices=IssueSource.choices)
    raised_on = forms.DateField(label=_("Raised on"), widget=DateInput, initial=timezone.localdate)
    raised_by = forms.CharField(label=_("Raised by"), max_length=50, required=False)
    question = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 3}))
    answer = forms.CharField(
        label=_("Answer on the spot"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    responsible = forms.CharField(label=_("Responsible person"), max_length=50, required=False)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput, required=False)

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages


class RectifyForm(forms.Form):
    rectification = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class PeriodForm(forms.Form):
    town = forms.ModelChoiceField(label=_("Town"), queryset=None, required=False)
    period = forms.CharField(label=_("Period"), max_length=8, required=False)

    def __init__(self, *args, towns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["town"].queryset = towns

"""Forms of village transparency. They only parse input: the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import (
    ContributionBasis,
    DecisionKind,
    FeedbackKind,
    IssueKind,
    IssueSource,
    MajorityRule,
    ProjectKind,
    QuorumRule,
    VotingBody,
    one_matter_caps,
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
    # 一事一议 has its own form (OneMatterCreateForm).
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(DecisionKind.FOUR_DISCUSSIONS, DecisionKind.FOUR_DISCUSSIONS.label)],
        initial=DecisionKind.FOUR_DISCUSSIONS,
        widget=forms.HiddenInput,
    )
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


class OneMatterCreateForm(forms.Form):
    """一事一议: the project and its plan of contributions 筹资筹劳方案."""

    village = forms.ModelChoiceField(label=_("Village"), queryset=None)
    title = forms.CharField(
        label=_("Project"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. hardening the road to group 3")}),
    )
    project_kind = forms.ChoiceField(label=_("Kind of project"), choices=ProjectKind.choices)
    summary = forms.CharField(
        label=_("What will be built"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    budget = forms.DecimalField(
        label=_("Budget (yuan)"), max_digits=14, decimal_places=2, min_value=0
    )
    other_funding = forms.DecimalField(
        label=_("Other funding (yuan)"),
        help_text=_("State awards and subsidies 财政奖补, collective funds, donations."),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        initial=0,
        required=False,
    )
    basis = forms.ChoiceField(
        label=_("Contribution raised"),
        choices=ContributionBasis.choices,
        widget=forms.RadioSelect,
        initial=ContributionBasis.PERSON,
    )
    contribution = forms.DecimalField(
        label=_("Contribution (yuan per year)"), max_digits=10, decimal_places=2, min_value=0
    )
    contribution_cap = forms.DecimalField(
        label=_("Ceiling (yuan per year)"),
        max_digits=10,
        decimal_places=2,
        min_value=0,
        required=False,
    )
    contributors = forms.IntegerField(
        label=_("Persons or households contributing"), min_value=0, initial=0
    )
    labour_days = forms.IntegerField(
        label=_("Labour days per labourer"), min_value=0, initial=0, required=False
    )
    labourers = forms.IntegerField(label=_("Labourers"), min_value=0, initial=0, required=False)
    exemptions = forms.CharField(
        label=_("Exempted"),
        max_length=500,
        required=False,
        help_text=_("e.g. households in extreme poverty, soldiers in active service"),
    )
    voting_body = forms.ChoiceField(
        label=_("Voted by"), choices=VotingBody.choices, initial=VotingBody.REPRESENTATIVES
    )
    majority_rule = forms.ChoiceField(
        label=_("Majority rule"), choices=MajorityRule.choices, initial=MajorityRule.SIMPLE_PRESENT
    )
    held_on = forms.DateField(label=_("Proposed on"), widget=DateInput, initial=timezone.localdate)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    document = forms.FileField(label=_("Minutes"), required=False)

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        money, days = one_matter_caps(ContributionBasis.PERSON)
        household, _days = one_matter_caps(ContributionBasis.HOUSEHOLD)
        self.fields["contribution_cap"].help_text = _(
            "Empty: the province's limit, %(person)s yuan per person or %(household)s yuan "
            "per household a year; labour at most %(days)d days a labourer."
        ) % {"person": money, "household": household, "days": days}

    def clean(self):
        data = super().clean()
        for name in ("labour_days", "labourers"):
            if data.get(name) is None:
                data[name] = 0
        if data.get("other_funding") is None:
            data["other_funding"] = 0
        return data


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


class OneMatterVoteForm(VoteForm):
    """The vote on a 一事一议 plan: counted among those entitled to attend the meeting (adult
    villagers, households or representatives, by the plan's voting body)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["representatives_total"].label = _("Entitled to attend")
        self.fields["representatives_total"].help_text = _(
            "Villagers aged 18 and over, households or representatives, by the meeting."
        )


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


class TownRefuseForm(forms.Form):
    """乡镇审核不同意: the town refuses a 一事一议 plan, with its reason."""

    reason = forms.CharField(
        label=_("Reason for the refusal"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: the contribution asked of each household is not reasonable."),
    )
    held_on = forms.DateField(label=_("Date"), widget=DateInput, initial=timezone.localdate)


class PeriodForm(forms.Form):
    town = forms.ModelChoiceField(label=_("Town"), queryset=None, required=False)
    period = forms.CharField(label=_("Period"), max_length=8, required=False)

    def __init__(self, *args, towns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["town"].queryset = towns


# --- the table form ---------------------------------------------------------------------------

# A browser form posts one field a cell; Django refuses more than 1,000 fields
# (DATA_UPLOAD_MAX_NUMBER_FIELDS), so bigger tables go through the xlsx import.
FORM_MAX_CELLS = 800
FORM_MAX_COLUMNS = 12
COLUMN_TYPE_CHOICES = [
    ("text", pgettext_lazy("column type", "text")),
    ("number", pgettext_lazy("column type", "number")),
    ("money", pgettext_lazy("column type", "money (totalled)")),
    ("date", pgettext_lazy("column type", "date")),
]


def _bounded(value, low: int, high: int, default: int) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return default
    return max(low, min(high, n))


class TableGrid:
    """The table form 表格填报: column names and types and the rows of cells, as the editor
    sees them. Rows can be added and removed (and columns) without JavaScript: each button
    posts the grid back with an `op`. Saving goes through the same validation as the xlsx
    import (tables.clean_table); the errors are shown on their cells."""

    def __init__(self, columns: list[str], types: list[str], rows: list[list[str]]):
        self.columns = columns
        self.types = types
        self.rows = rows
        self.errors: dict[tuple[int, int], str] = {}
        self.messages: list[str] = []

    @classmethod
    def from_table(cls, table: dict) -> TableGrid:
        from .tables import column_types

        columns = [str(c) for c in (table or {}).get("columns") or []]
        if not columns:
            return cls([str(_("Item")), str(_("Amount (yuan)"))], ["text", "money"], [["", ""]])
        rows = [["" if c is None else str(c) for c in row] for row in table.get("rows") or []]
        return cls(columns, column_types(table), rows or [[""] * len(columns)])

    @classmethod
    def from_post(cls, data) -> TableGrid:
        ncols = _bounded(data.get("ncols"), 1, FORM_MAX_COLUMNS, 1)
        nrows = _bounded(data.get("nrows"), 0, FORM_MAX_CELLS, 0)
        columns = [(data.get(f"col-{c}-name") or "").strip() for c in range(ncols)]
        types = [data.get(f"col-{c}-type") or "text" for c in range(ncols)]
        types = [t if t in dict(COLUMN_TYPE_CHOICES) else "text" for t in types]
        rows = [
            [(data.get(f"cell-{r}-{c}") or "").strip() for c in range(ncols)] for r in range(nrows)
        ]
        return cls(columns, types, rows)

    @property
    def cells(self) -> int:
        return len(self.columns) * len(self.rows)

    @property
    def too_big(self) -> bool:
        return self.cells > FORM_MAX_CELLS or len(self.columns) > FORM_MAX_COLUMNS

    def apply(self, op: str) -> None:
        """add_row, add_col, del_row-N, del_col-N; anything else is ignored."""
        n = len(self.columns)
        if op == "add_row":
            if (len(self.rows) + 1) * n > FORM_MAX_CELLS:
                self.messages.append(
                    str(_("The form holds at most %(n)d cells: import an xlsx file instead."))
                    % {"n": FORM_MAX_CELLS}
                )
            else:
                self.rows.append([""] * n)
        elif op == "add_col":
            if n >= FORM_MAX_COLUMNS or (n + 1) * len(self.rows) > FORM_MAX_CELLS:
                self.messages.append(
                    str(_("The form holds at most %(n)d columns.")) % {"n": FORM_MAX_COLUMNS}
                )
            else:
                self.columns.append("")
                self.types.append("text")
                for row in self.rows:
                    row.append("")
        elif op.startswith("del_row-"):
            i = _bounded(op.removeprefix("del_row-"), -1, len(self.rows), -1)
            if 0 <= i < len(self.rows):
                del self.rows[i]
        elif op.startswith("del_col-"):
            i = _bounded(op.removeprefix("del_col-"), -1, n, -1)
            if 0 <= i < n and n > 1:
                del self.columns[i]
                del self.types[i]
                for row in self.rows:
                    del row[i]

    def to_table(self) -> tuple[dict, list[int]]:
        """The table to save (rows left empty are dropped) and, for each saved row, its row
        in the grid."""
        kept = [i for i, row in enumerate(self.rows) if any(row)]
        rows = [[cell or None for cell in self.rows[i]] for i in kept]
        if not rows and not any(self.columns):
            return {}, []
        return {"columns": list(self.columns), "types": list(self.types), "rows": rows}, kept

    def add_errors(self, exc, kept: list[int]) -> None:
        """Place the errors of a refused save on their cells, numbered as the grid shows."""
        from openpyxl.utils import column_index_from_string

        found = (exc.details or {}).get("errors") or []
        for e in found:
            r = kept[e["row"] - 1] if 0 < e["row"] <= len(kept) else e["row"] - 1
            c = column_index_from_string(e["column"]) - 1
            self.errors[(r, c)] = e["error"]
            name = self.columns[c] if c < len(self.columns) else e["column"]
            self.messages.append(
                str(_("Row %(row)s, column %(column)s: %(error)s"))
                % {"row": r + 1, "column": name, "error": e["error"]}
            )
        if not found:
            self.messages.append(str(exc.message))

    def totals(self) -> list | None:
        from .tables import totals

        return totals({"columns": self.columns, "types": self.types, "rows": self.rows})

    def layout(self) -> dict:
        """What the template draws."""
        return {
            "columns": [
                {"index": c, "name": name, "type": self.types[c]}
                for c, name in enumerate(self.columns)
            ],
            "rows": [
                [
                    {
                        "value": cell,
                        "type": self.types[c],
                        "error": self.errors.get((r, c), ""),
                        "name": f"cell-{r}-{c}",
                    }
                    for c, cell in enumerate(row)
                ]
                for r, row in enumerate(self.rows)
            ],
            "ncols": len(self.columns),
            "nrows": len(self.rows),
            "types": COLUMN_TYPE_CHOICES,
            "totals": self.totals(),
            "messages": self.messages,
        }

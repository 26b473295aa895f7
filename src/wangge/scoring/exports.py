"""The ranking 打擂台 and the assessments of a period as .xlsx (core.excel, write-only mode;
rows read through an iterator so that memory and queries stay flat)."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from wangge.core.excel import write_xlsx

from .selectors import RANKING_LABELS, RANKING_WEIGHTS, ranking_formula


def ranking_xlsx(rows: list[dict]) -> bytes:
    headers = [_("Rank"), _("Village"), _("Code"), _("Composite score")] + [
        str(RANKING_LABELS[k]) for k in RANKING_WEIGHTS
    ]
    body = [
        [r["rank"], r["village"], r["village_code"], r["score"]]
        + [r["values"][k] for k in RANKING_WEIGHTS]
        for r in rows
    ]
    body.append([])
    body.append([ranking_formula()])
    out = io.BytesIO()
    write_xlsx(
        out,
        headers=headers,
        rows=body,
        sheet_title=_("Ranking"),
        widths=[8, 18, 16, 12, 12, 14, 14, 14],
    )
    return out.getvalue()


def assessments_xlsx(qs) -> bytes:
    headers = [
        _("Period"),
        _("From"),
        _("To"),
        _("Subject"),
        _("Number"),
        _("Name"),
        _("Base score"),
        _("Points"),
        _("Bundled share"),
        _("Score"),
        _("Entries"),
        _("Under the threshold"),
        _("State"),
    ]
    from .choices import AssessmentState, PeriodKind, SubjectKind

    kinds, subjects = dict(PeriodKind.choices), dict(SubjectKind.choices)
    states = dict(AssessmentState.choices)

    def rows():
        for a in qs.values_list(
            "period_kind",
            "start",
            "end",
            "subject_kind",
            "subject_id",
            "subject_name",
            "base",
            "points",
            "bundled",
            "score",
            "entry_count",
            "below_threshold",
            "state",
        ).iterator(chunk_size=2000):
            yield [
                str(kinds.get(a[0], a[0])),
                a[1],
                a[2],
                str(subjects.get(a[3], a[3])),
                a[4],
                a[5],
                float(a[6]),
                float(a[7]),
                float(a[8]),
                float(a[9]),
                a[10],
                _("yes") if a[11] else _("no"),
                str(states.get(a[12], a[12])),
            ]

    out = io.BytesIO()
    write_xlsx(out, headers=headers, rows=rows(), sheet_title=_("Assessments"))
    return out.getvalue()

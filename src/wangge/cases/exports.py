"""The KPI page as a spreadsheet: one sheet with the area's figures, one with the ranking."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from .kpis import KPI_COLUMNS, OVERDUE_PENALTY, SCORE_WEIGHTS, KpiReport

_FORMATS = {"rate": "0.0%", "hours": "0.0", "count": "0"}


def _cell_value(kpis, key: str):
    value = kpis.value(key)
    return value if value is not None else None


def _header(ws, headers) -> None:
    ws.append([str(h) for h in headers])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[ws.max_row]:
        cell.font, cell.fill = bold, fill


def score_formula() -> str:
    """The ranking's formula in words, as shown on the page and in the export."""
    from .kpis import KPI_COLUMNS as cols

    labels = {key: str(label) for key, label, _kind in cols}
    labels["settled_in_village_rate"] = _("settled in the grid or the village")
    parts = " + ".join(f"{w} × {labels[k]}" for k, w in SCORE_WEIGHTS.items())
    return _(
        "score = (%(parts)s) − %(penalty)d × overdue now; a rate without any case in the "
        "period is left out and the other weights scaled up to 100."
    ) % {"parts": parts, "penalty": OVERDUE_PENALTY}


def kpi_report_xlsx(report: KpiReport) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = str(_("KPIs"))[:31]
    ws.append([str(_("Area")), report.area.name])
    ws.append([str(_("Period")), f"{report.start:%Y-%m-%d} – {report.end:%Y-%m-%d}"])
    ws.append(
        [
            str(_("Counted")),
            str(
                _(
                    "the cases received in the period and what has become of them so far; overdue: now"
                )
            ),
        ]
    )
    ws.append([])
    _header(ws, [_("Figure"), _("Value")])
    for key, label, kind in KPI_COLUMNS:
        ws.append([str(label), _cell_value(report.totals, key)])
        ws.cell(row=ws.max_row, column=2).number_format = _FORMATS[kind]
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 16

    rk = wb.create_sheet(str(_("Ranking"))[:31])
    _header(rk, [_("Rank"), _("Area"), _("Code"), _("Score")] + [c[1] for c in KPI_COLUMNS])
    for row in report.ranking:
        rk.append(
            [row.rank, row.area.name, row.area.code, row.kpis.score]
            + [_cell_value(row.kpis, key) for key, _label, _kind in KPI_COLUMNS]
        )
        for i, (_key, _label, kind) in enumerate(KPI_COLUMNS, start=5):
            rk.cell(row=rk.max_row, column=i).number_format = _FORMATS[kind]
    for i in range(1, len(KPI_COLUMNS) + 5):
        rk.column_dimensions[get_column_letter(i)].width = 12 if i != 2 else 18
    rk.freeze_panes = "C2"
    rk.append([])
    rk.append([score_formula()])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

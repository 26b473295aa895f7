"""The content of a bulletin 通报, drawn from the data when it is generated and then frozen
into `Bulletin.content` (plain JSON: a published bulletin never changes, even when the data
it came from does), and its downloads (xlsx).

Sections:
- kpis: the case loop's KPIs of the area for the period (`wangge.cases.kpis`, from the rollups)
  and the same figures for each area one level down (the case-loop table 各村办件情况);
- ranking, formula, praise, criticism: from the scoring app through
  `wangge.scoring.selectors.bulletin_sections` (the village ranking 打擂台 and praise and
  criticism by name); while that app does not provide it, these sections say so;
- supervision: inspections and problems of the period;
- problems: the open problems of the problem list 问题清单, overdue first.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.cases import kpis as case_kpis
from wangge.core.errors import NotFound

from .choices import PENDING_STATES, ProblemState
from .models import Problem

logger = logging.getLogger(__name__)

MAX_PROBLEMS = 200
SCORING_SECTIONS = ("ranking", "formula", "praise", "criticism")


def _fmt(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "hours":
        return _("%(h).1f h") % {"h": value}
    return str(value)


def scoring_sections(*, user, area, start: dt.date, end: dt.date) -> dict | None:
    """The scoring app's sections, or None while it does not provide them."""
    try:
        from wangge.scoring import selectors as scoring_selectors
    except ImportError:
        return None
    func = getattr(scoring_selectors, "bulletin_sections", None)
    if func is None:
        return None
    try:
        return func(user=user, area=area, start=start, end=end)
    except NotFound:
        # The generating user may not view assessments there (or it is the system).
        return None


def _clean_rows(rows, keys) -> list[dict]:
    out = []
    for row in rows or []:
        out.append({k: _jsonable(row.get(k)) for k in keys})
    return out


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def build_content(*, user, area, start: dt.date, end: dt.date, now=None) -> dict:
    now = now or timezone.now()
    report = case_kpis.kpi_report(area=area, start=start, end=end, now=now)
    columns = [(k, str(label), kind) for k, label, kind in case_kpis.KPI_COLUMNS]
    totals = report.totals
    kpi_rows = [
        {
            "key": k,
            "label": label,
            "value": _jsonable(totals.value(k)),
            "text": _fmt(totals.value(k), kind),
        }
        for k, label, kind in columns
    ]
    area_columns = [
        ("received", _("received"), "count"),
        ("response_rate", _("response rate"), "rate"),
        ("on_time_resolution_rate", _("on-time resolution rate"), "rate"),
        ("satisfaction_rate", _("satisfaction rate"), "rate"),
        ("overdue_now", _("overdue now"), "count"),
        ("score", _("case-loop score"), "count"),
    ]
    areas = [
        {
            "rank": row.rank,
            "name": row.area.name,
            "code": row.area.code,
            "values": {k: _jsonable(row.kpis.value(k)) for k, _l, _kind in area_columns},
            "texts": [_fmt(row.kpis.value(k), kind) for k, _l, kind in area_columns],
        }
        for row in report.ranking
    ]

    sections = scoring_sections(user=user, area=area, start=start, end=end)
    scoring = {"available": sections is not None}
    if sections is not None:
        scoring["ranking"] = _clean_rows(
            sections.get("ranking"), ("rank", "village", "village_code", "score", "components")
        )
        scoring["formula"] = str(sections.get("formula") or "")
        scoring["praise"] = _clean_rows(
            sections.get("praise"), ("name", "role", "reason", "points")
        )
        scoring["criticism"] = _clean_rows(
            sections.get("criticism"), ("name", "role", "reason", "points")
        )

    from . import selectors

    stats = selectors.statistics(area=area, start=start, end=end)["total"]
    pending = (
        Problem.objects.filter(area_path__startswith=area.path, state__in=PENDING_STATES)
        .select_related("area", "responsible")
        .order_by("-is_overdue", "deadline", "id")
    )
    total_pending = pending.count()
    overdue = pending.filter(is_overdue=True, state=ProblemState.OPEN).count()
    problems = [
        {
            "id": p.pk,
            "area": p.area.name,
            "description": p.description,
            "responsible": str(p.responsible),
            "deadline": p.deadline.isoformat(),
            "state": str(p.get_state_display()),
            "overdue": p.is_overdue and p.state == ProblemState.OPEN,
        }
        for p in pending[:MAX_PROBLEMS]
    ]
    return {
        "version": 1,
        "area": {"name": area.name, "code": area.code, "level": area.level},
        "start": start.isoformat(),
        "end": end.isoformat(),
        "generated_at": now.isoformat(),
        "kpis": {
            "columns": [label for _k, label, _kind in columns],
            "rows": kpi_rows,
            "raw": _jsonable(totals.as_dict()),
        },
        "areas": {"columns": [str(label) for _k, label, _kind in area_columns], "rows": areas},
        "scoring": scoring,
        "supervision": stats,
        "problems": {"total": total_pending, "overdue": overdue, "rows": problems},
    }


# --- xlsx ---------------------------------------------------------------------------------


def write_bulletin_xlsx(bulletin, out) -> None:
    """The bulletin as a workbook: one sheet per section, from the frozen content only."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    from wangge.core.excel import _safe

    c = bulletin.content or {}
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")

    def sheet(title, headers, rows, widths=None):
        ws = wb.create_sheet(title=str(title)[:31])
        for i, w in enumerate(widths or [18] * len(headers)):
            from openpyxl.utils import get_column_letter

            ws.column_dimensions[get_column_letter(i + 1)].width = w
        head = []
        for h in headers:
            cell = WriteOnlyCell(ws, value=str(h))
            cell.font, cell.fill = bold, fill
            head.append(cell)
        ws.append(head)
        for row in rows:
            values = []
            for v in row:
                v = _safe(v)
                if isinstance(v, str) and v.startswith("="):
                    cell = WriteOnlyCell(ws, value=v)
                    cell.data_type = "s"
                    v = cell
                values.append(v)
            ws.append(values)

    sheet(
        _("Summary"),
        [_("Item"), _("Value")],
        [
            [_("Title"), bulletin.title],
            [_("Number"), bulletin.number],
            [_("Area"), (c.get("area") or {}).get("name", "")],
            [_("Period"), f"{c.get('start', '')} – {c.get('end', '')}"],
            [_("State"), str(bulletin.get_state_display())],
            [_("Remarks"), bulletin.remarks],
            *[[r["label"], r["text"]] for r in (c.get("kpis") or {}).get("rows", [])],
        ],
        [24, 60],
    )
    areas = c.get("areas") or {}
    sheet(
        _("Case loop"),
        [_("Rank"), _("Area"), *areas.get("columns", [])],
        [[r["rank"] or "", r["name"], *r["texts"]] for r in areas.get("rows", [])],
    )
    scoring = c.get("scoring") or {}
    if scoring.get("available"):
        labels: list[str] = []
        for r in scoring.get("ranking", []):
            for k in r.get("components") or {}:
                if k not in labels:
                    labels.append(k)
        sheet(
            _("Ranking"),
            [_("Rank"), _("Village"), _("Code"), _("Score"), *labels],
            [
                [
                    r.get("rank"),
                    r.get("village"),
                    r.get("village_code"),
                    r.get("score"),
                    *[(r.get("components") or {}).get(k) for k in labels],
                ]
                for r in scoring.get("ranking", [])
            ]
            + ([[_("Formula"), scoring.get("formula", "")]] if scoring.get("formula") else []),
        )
        for title, key in ((_("Praise"), "praise"), (_("Criticism"), "criticism")):
            sheet(
                title,
                [_("Name"), _("Role"), _("Reason"), _("Points")],
                [
                    [r.get("name"), r.get("role"), r.get("reason"), r.get("points")]
                    for r in scoring.get(key, [])
                ],
                [14, 18, 50, 10],
            )
    problems = c.get("problems") or {}
    sheet(
        _("Open problems"),
        [_("Area"), _("Problem"), _("Responsible"), _("Deadline"), _("State"), _("Overdue")],
        [
            [
                r["area"],
                r["description"],
                r["responsible"],
                r["deadline"],
                r["state"],
                _("yes") if r["overdue"] else "",
            ]
            for r in problems.get("rows", [])
        ],
        [14, 50, 12, 12, 10, 8],
    )
    wb.save(out)


def bulletin_xlsx_bytes(bulletin) -> bytes:
    buf = io.BytesIO()
    write_bulletin_xlsx(bulletin, buf)
    return buf.getvalue()

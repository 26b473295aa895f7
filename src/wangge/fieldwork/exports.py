"""Compliance exports 网格员履职考勤 as .xlsx: the same rows as the day and month views, over
every worker in the filter (in pages of a fixed size, so the queries grow by page, never by
row). Every export leaves an audit row."""

from __future__ import annotations

import datetime as dt
import io

from django.core.paginator import Paginator

from wangge.core.audit import audit
from wangge.core.excel import write_xlsx

from . import selectors
from .choices import VisitKind

CHUNK = 500
MISSING_WORD = {
    "patrols": "巡查",
    "visit_kinds": "走访类别",
    "tasks": "工作任务",
    "hours": "工作时长",
}

DAY_HEADERS = [
    ("日期", 12),
    ("村", 14),
    ("网格", 14),
    ("网格员", 12),
    ("巡查次数", 10),
    ("巡查分钟", 10),
    ("里程(米)", 10),
    ("认亲", 8),
    ("访亲", 8),
    ("帮亲", 8),
    ("上报事件", 10),
    ("办理事件", 10),
    ("其他工作", 10),
    ("工作时长(小时)", 14),
    ("应考勤", 8),
    ("达标", 8),
    ("未达标项", 30),
    ("状态", 8),
]
MONTH_HEADERS = [
    ("月份", 10),
    ("村", 14),
    ("网格", 14),
    ("网格员", 12),
    ("已结日数", 10),
    ("应考勤日数", 12),
    ("达标日数", 10),
    ("达标率(%)", 10),
    ("巡查次数", 10),
    ("走访次数", 10),
    ("工作任务", 10),
    ("工作时长(小时)", 14),
]


def _chunks(posts):
    paginator = Paginator(posts, CHUNK)
    for n in paginator.page_range:
        yield paginator.page(n).object_list


def _missing_text(missing: dict) -> str:
    return "、".join(f"{MISSING_WORD.get(k, k)}差{v}" for k, v in (missing or {}).items())


def export_day(*, user, posts, day: dt.date, area=None) -> bytes:
    def rows():
        for chunk in _chunks(posts):
            for r in selectors.day_rows(chunk, day):
                kinds = r.stats.visits_by_kind
                yield [
                    day,
                    r.area.parent.name if r.area.parent_id else "",
                    r.area.name,
                    r.worker.full_name or r.worker.username,
                    r.stats.patrols,
                    r.stats.patrol_minutes,
                    r.stats.distance_m,
                    kinds.get(VisitKind.ACQUAINT, 0),
                    kinds.get(VisitKind.CALL_ON, 0),
                    kinds.get(VisitKind.HELP, 0),
                    r.stats.cases_reported,
                    r.stats.cases_handled,
                    r.stats.extra_tasks,
                    float(r.hours),
                    "是" if r.required else "否（休息日或请假）",
                    "是" if r.compliant else "否",
                    _missing_text(r.missing),
                    "已结" if r.closed else "未结",
                ]

    out = io.BytesIO()
    n = write_xlsx(
        out,
        headers=[h for h, _w in DAY_HEADERS],
        widths=[w for _h, w in DAY_HEADERS],
        rows=rows(),
        sheet_title=f"考勤{day:%Y%m%d}",
    )
    _audit(user, "day", n, day.isoformat(), area)
    return out.getvalue()


def export_month(*, user, posts, month: dt.date, area=None) -> bytes:
    def rows():
        for chunk in _chunks(posts):
            for r in selectors.month_rows(chunk, month):
                yield [
                    f"{month:%Y-%m}",
                    r.area.parent.name if r.area.parent_id else "",
                    r.area.name,
                    r.worker.full_name or r.worker.username,
                    r.days,
                    r.required,
                    r.compliant,
                    r.rate,
                    r.patrols,
                    r.visits,
                    r.tasks,
                    float(r.hours),
                ]

    out = io.BytesIO()
    n = write_xlsx(
        out,
        headers=[h for h, _w in MONTH_HEADERS],
        widths=[w for _h, w in MONTH_HEADERS],
        rows=rows(),
        sheet_title=f"考勤{month:%Y%m}",
    )
    _audit(user, "month", n, f"{month:%Y-%m}", area)
    return out.getvalue()


def _audit(user, kind: str, n: int, period: str, area) -> None:
    data = {"rows": n, "period": period}
    if area is not None:
        data["area"] = area.code
    audit(
        actor=user,
        verb=f"fieldwork.compliance_{kind}.export",
        object_type="fieldwork.dailyreport",
        data=data,
    )

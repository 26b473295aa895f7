"""Export of village transparency as .xlsx 导出: a village's disclosures for a period (with the
mandatory items still missing), and the completeness of every village of a town.

The rows come from the scoped selectors (a village or town outside the user's scope is never
reached: the views answer 404 first). Each export reads a fixed number of queries whatever the
number of rows, writes text masked (no full ID number leaves in a spreadsheet) and leaves an
audit row.
"""

from __future__ import annotations

from decimal import Decimal
from typing import IO

from django.db.models import Count, Q
from django.utils import timezone

from wangge.areas.models import Area
from wangge.core.audit import audit
from wangge.core.excel import write_xlsx

from . import periods, tables
from .choices import DisclosureStatus, FeedbackKind
from .selectors import completeness, disclosures_for_user, items_active

BODY_EXCERPT = 200

VILLAGE_HEADERS = [
    ("期间", 10),
    ("类别", 8),
    ("公开事项", 16),
    ("必须公开", 8),
    ("标题", 30),
    ("状态", 12),
    ("提交时间", 17),
    ("发布时间", 17),
    ("表格行数", 9),
    ("金额合计", 14),
    ("附件数", 8),
    ("群众提问", 9),
    ("内容摘要", 50),
]
COMPLETENESS_HEADERS = [
    ("村代码", 16),
    ("村", 12),
    ("应公开(项)", 11),
    ("已公开(项)", 11),
    ("完成率", 9),
    ("缺项类别", 10),
    ("缺少的公开事项", 18),
    ("期间", 10),
]
MISSING = "未公开（缺项）"


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _money_total(table: dict) -> Decimal | None:
    sums = tables.totals(table)
    if not sums:
        return None
    return sum((Decimal(s) for s in sums if s is not None), Decimal(0))


def export_village(*, user, village: Area, period: str, out: IO[bytes]) -> int:
    """Every disclosure of `village` for `period` and the shorter periods inside it (a quarter
    brings its months), whatever its status, then one row for each mandatory item not
    published. Three queries (disclosures with their counts, the items, nothing per row)."""
    target = periods.parse(period)
    wanted = [str(p) for p in target.expand()]
    qs = (
        disclosures_for_user(user=user)
        .filter(village=village, period__in=wanted)
        .annotate(
            n_attachments=Count("attachments", distinct=True),
            n_questions=Count(
                "feedback", filter=Q(feedback__kind=FeedbackKind.QUESTION), distinct=True
            ),
        )
        .order_by("period", "item__order", "id")
    )
    found = list(qs)
    published = {(d.item_id, d.period) for d in found if d.status == DisclosureStatus.PUBLISHED}
    items = [i for i in items_active() if i.is_mandatory]

    def rows():
        for d in found:
            total = _money_total(d.table)
            yield [
                d.period,
                d.item.get_category_display(),
                d.item.name,
                "是" if d.item.is_mandatory else "",
                tables.mask_text(d.title),
                d.get_status_display(),
                _when(d.submitted_at),
                _when(d.published_at),
                len(d.rows),
                total,
                d.n_attachments,
                d.n_questions,
                tables.mask_text(d.body[:BODY_EXCERPT]),
            ]
        for p in target.expand():
            for item in items:
                if item.period_kind == p.kind and (item.pk, str(p)) not in published:
                    yield [
                        str(p),
                        item.get_category_display(),
                        item.name,
                        "是",
                        "",
                        MISSING,
                        "",
                        "",
                        None,
                        None,
                        None,
                        None,
                        "",
                    ]

    n = write_xlsx(
        out,
        headers=[h for h, _w in VILLAGE_HEADERS],
        widths=[w for _h, w in VILLAGE_HEADERS],
        rows=rows(),
        sheet_title=f"{village.name}{target}"[:31],
    )
    audit(
        actor=user,
        verb="disclosure.export",
        obj=village,
        data={"rows": n, "village": village.code, "period": str(target)},
    )
    return n


def export_completeness(*, user, town: Area, period: str, out: IO[bytes]) -> int:
    """The completeness view of a town as a sheet: a row for each mandatory item a village has
    not published for `period`, and one row for a village that has published them all."""
    target = periods.parse(period)
    result = completeness(user=user, period=str(target), town=town)

    def rows():
        for row in result:
            rate = f"{row.done / row.required:.0%}" if row.required else ""
            head = [row.village.code, row.village.name, row.required, row.done, rate]
            if row.complete:
                yield [*head, "", "全部公开", ""]
            for item, p in row.missing:
                yield [*head, item.get_category_display(), item.name, p]

    n = write_xlsx(
        out,
        headers=[h for h, _w in COMPLETENESS_HEADERS],
        widths=[w for _h, w in COMPLETENESS_HEADERS],
        rows=rows(),
        sheet_title=f"{town.name}{target}"[:31],
    )
    audit(
        actor=user,
        verb="disclosure.export_completeness",
        obj=town,
        data={"rows": n, "town": town.code, "period": str(target)},
    )
    return n

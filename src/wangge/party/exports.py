"""Export of the coverage check 联户覆盖 of an organisation's areas, as .xlsx 导出: the summary,
then one row per household without a contact member, per key household not visited in N days
and per member over quota. Same selectors (scope) as the coverage page; a fixed number of
queries whatever the number of rows; an audit row per export."""

from __future__ import annotations

from collections import defaultdict
from typing import IO

from django.utils import timezone

from wangge.core.audit import audit
from wangge.core.excel import write_xlsx
from wangge.people.models import Household, Tag

from . import selectors
from .models import PartyOrg

CHUNK = 2000
HEADERS = [
    ("类别", 18),
    ("网格", 14),
    ("户编号", 18),
    ("户主", 10),
    ("地址", 30),
    ("重点标签", 24),
    ("联户党员", 10),
    ("最近联系", 18),
    ("党员", 10),
    ("所在组织", 20),
    ("联户数", 8),
    ("上限", 8),
]
UNCOVERED = "无联户党员"
NOT_VISITED = "重点户未走访"
OVER_QUOTA = "联户超额党员"


def _key_tags(ids_qs) -> dict[int, list[str]]:
    names = dict(Tag.objects.filter(is_key=True).values_list("id", "name"))
    out: dict[int, list[str]] = defaultdict(list)
    through = Household.tags.through
    for hh, tag in (
        through.objects.filter(household_id__in=ids_qs, tag_id__in=list(names))
        .order_by("id")
        .values_list("household_id", "tag_id")
    ):
        out[hh].append(names[tag])
    return out


def _local(at) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}" if at else ""


def export_coverage(*, user, org: PartyOrg, days: int, out: IO[bytes]) -> int:
    cov = selectors.org_coverage(user=user, org=org, days=days)
    uncovered = selectors.org_uncovered(user=user, org=org).order_by("area_path", "number")
    not_visited = selectors.org_key_not_visited(user=user, org=org, days=days).order_by(
        "area_path", "number"
    )
    over = selectors.org_over_quota(user=user, org=org)
    tags = _key_tags(selectors.org_households(user=user, org=org).values("pk"))

    def rows():
        summary = [
            ("户数", cov.households),
            ("已联户", cov.covered),
            ("未联户", cov.uncovered),
            ("联户覆盖率(%)", cov.rate),
            ("重点户", cov.key_households),
            (f"重点户{days}天未走访", cov.key_not_visited),
            ("党员", cov.members),
            ("无联户党员", cov.members_without_contacts),
            ("联户超额党员", cov.members_over_quota),
        ]
        for label, value in summary:
            yield [f"{org.name}·{label}", "", value]
        fields = ("pk", "grid__name", "number", "head__name", "address")
        for r in uncovered.values(*fields).iterator(chunk_size=CHUNK):
            yield [
                UNCOVERED,
                r["grid__name"],
                r["number"],
                r["head__name"] or "",
                r["address"],
                "、".join(tags.get(r["pk"], ())),
            ]
        for r in not_visited.values(*fields, "contact_member", "last_contact_at").iterator(
            chunk_size=CHUNK
        ):
            yield [
                NOT_VISITED,
                r["grid__name"],
                r["number"],
                r["head__name"] or "",
                r["address"],
                "、".join(tags.get(r["pk"], ())),
                r["contact_member"] or "",
                _local(r["last_contact_at"]),
            ]
        for m in over:
            yield [OVER_QUOTA, "", "", "", "", "", "", "", m.name, m.org.name] + [
                m.contact_count,
                m.quota_max,
            ]

    n = write_xlsx(
        out,
        headers=[h for h, _w in HEADERS],
        widths=[w for _h, w in HEADERS],
        rows=rows(),
        sheet_title="联户覆盖",
    )
    audit(
        actor=user,
        verb="party.coverage.export",
        obj=org,
        data={"rows": n, "days": days},
    )
    return n

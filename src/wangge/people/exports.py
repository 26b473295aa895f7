"""Export of the household and resident lists a user can see, as .xlsx 导出.

The rows come from the same selectors (scope) and filters (querystring) as the list pages.
ID numbers are only ever written masked. Rows are read with `.values()` through an iterator and
the tags with one extra query, so the number of queries does not grow with the rows; the
workbook is written in openpyxl's write-only mode. Every export leaves an audit row.
"""

from __future__ import annotations

from collections import defaultdict
from typing import IO

from django.utils.translation import gettext_lazy

from wangge.accounts.choices import Capability
from wangge.areas.models import Area
from wangge.core.audit import audit
from wangge.core.excel import write_xlsx

from .choices import Gender
from .filters import HouseholdFilter, ResidentFilter
from .imports import RELATION_WORD
from .models import Household, Resident, Tag
from .selectors import households_for_user, residents_for_user

GENDER_WORD = {Gender.MALE: "男", Gender.FEMALE: "女"}
CHUNK = 2000

HOUSEHOLD_HEADERS = [
    ("户编号", 18),
    ("网格代码", 20),
    ("网格", 14),
    ("微网格", 14),
    ("地址", 30),
    ("联系电话", 16),
    ("户主", 10),
    ("户主身份证号", 22),
    ("人数", 8),
    ("标签(用、分隔)", 30),
]
RESIDENT_HEADERS = [
    ("户编号", 18),
    ("网格代码", 20),
    ("网格", 14),
    ("姓名", 10),
    ("身份证号", 22),
    ("性别", 6),
    ("出生日期", 12),
    ("民族", 8),
    ("与户主关系", 12),
    ("联系电话", 16),
    ("外出务工(是/否)", 14),
    ("党员", 6),
    ("标签", 30),
]
TITLES = {"households": gettext_lazy("households"), "residents": gettext_lazy("residents")}


def _filtered(qs, filterset_class, params, within: Area | None):
    if params:
        qs = filterset_class(params, queryset=qs).qs
    if within is not None:
        qs = qs.filter(area_path__startswith=within.path)
    return qs


def household_queryset(*, user, params=None, within: Area | None = None):
    """The households `user` may export, narrowed by the list page's filters."""
    if user is None:  # the console: the system actor sees everything
        qs = Household.objects.all()
    else:
        qs = households_for_user(user=user, capability=Capability.EXPORT)
    return _filtered(qs, HouseholdFilter, params, within).prefetch_related(None)


def resident_queryset(*, user, params=None, within: Area | None = None):
    if user is None:
        qs = Resident.objects.all()
    else:
        qs = residents_for_user(user=user, capability=Capability.EXPORT)
    return _filtered(qs, ResidentFilter, params, within).prefetch_related(None)


def _tag_names(through, fk: str, ids_qs) -> dict[int, list[str]]:
    """All tag names of the exported rows in one query (a subquery, not a list of ids)."""
    names = dict(Tag.objects.values_list("id", "name"))
    out: dict[int, list[str]] = defaultdict(list)
    for obj_id, tag_id in (
        through.objects.filter(**{f"{fk}__in": ids_qs}).order_by("id").values_list(fk, "tag_id")
    ):
        out[obj_id].append(names.get(tag_id, ""))
    return out


def export_households(*, user, out: IO[bytes], params=None, within: Area | None = None) -> int:
    qs = household_queryset(user=user, params=params, within=within).order_by("number")
    tags = _tag_names(Household.tags.through, "household_id", qs.values("id"))
    fields = (
        "id",
        "number",
        "grid__code",
        "grid__name",
        "area__name",
        "area__level",
        "address",
        "phone",
        "head__name",
        "head__id_number_masked",
        "member_count",
    )

    def rows():
        for r in qs.values(*fields).iterator(chunk_size=CHUNK):
            yield [
                r["number"],
                r["grid__code"],
                r["grid__name"],
                r["area__name"] if r["area__level"] == "microgrid" else "",
                r["address"],
                r["phone"],
                r["head__name"] or "",
                r["head__id_number_masked"] or "",
                r["member_count"],
                "、".join(tags.get(r["id"], ())),
            ]

    n = write_xlsx(
        out,
        headers=[h for h, _w in HOUSEHOLD_HEADERS],
        widths=[w for _h, w in HOUSEHOLD_HEADERS],
        rows=rows(),
        sheet_title="户",
    )
    _audit(user, "households", n, params, within)
    return n


def export_residents(*, user, out: IO[bytes], params=None, within: Area | None = None) -> int:
    qs = resident_queryset(user=user, params=params, within=within).order_by(
        "household__number", "id"
    )
    tags = _tag_names(Resident.tags.through, "resident_id", qs.values("id"))
    fields = (
        "id",
        "household__number",
        "household__grid__code",
        "household__grid__name",
        "name",
        "id_number_masked",
        "gender",
        "birth_date",
        "ethnicity",
        "relation",
        "phone",
        "is_away",
        "is_party_member",
        "is_deceased",
    )

    def rows():
        for r in qs.values(*fields).iterator(chunk_size=CHUNK):
            yield [
                r["household__number"],
                r["household__grid__code"],
                r["household__grid__name"],
                r["name"] + ("（已故）" if r["is_deceased"] else ""),
                r["id_number_masked"],
                GENDER_WORD.get(r["gender"], ""),
                r["birth_date"],
                r["ethnicity"],
                RELATION_WORD.get(r["relation"], r["relation"]),
                r["phone"],
                "是" if r["is_away"] else "否",
                "是" if r["is_party_member"] else "",
                "、".join(tags.get(r["id"], ())),
            ]

    n = write_xlsx(
        out,
        headers=[h for h, _w in RESIDENT_HEADERS],
        widths=[w for _h, w in RESIDENT_HEADERS],
        rows=rows(),
        sheet_title="居民",
    )
    _audit(user, "residents", n, params, within)
    return n


def _params_dict(params) -> dict:
    if not params:
        return {}
    if hasattr(params, "lists"):
        return {k: v if len(v) > 1 else v[0] for k, v in params.lists()}
    return dict(params)


def _audit(user, kind: str, n: int, params, within) -> None:
    data = {"rows": n, "filters": _params_dict(params)}
    if within is not None:
        data["area"] = within.code
    audit(
        actor=user,
        verb=f"{kind}.export",
        object_type=f"people.{kind[:-1]}",
        data=data,
    )

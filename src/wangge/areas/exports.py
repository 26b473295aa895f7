"""Export of the area tree a user can see, as .xlsx. The first five columns are those of the
import template, so an export can be edited and imported elsewhere."""

from __future__ import annotations

import json
from typing import IO

from wangge.accounts.choices import Capability
from wangge.core.audit import audit
from wangge.core.excel import MAX_CELL_CHARS, write_xlsx

from .choices import AreaKind
from .filters import AreaFilter
from .imports import KIND_WORD, LEVEL_WORD
from .models import Area
from .selectors import areas_for_user

HEADERS = [
    ("上级代码", 20),
    ("名称", 20),
    ("代码", 20),
    ("类型", 12),
    ("边界GeoJSON(可选)", 30),
    ("上级名称", 16),
    ("纬度", 12),
    ("经度", 12),
    ("状态", 8),
]
CHUNK = 2000


def area_queryset(*, user, params=None, within: Area | None = None):
    """Areas in the user's export scope (their posts' subtrees), with the list filters."""
    if user is None:  # the console: the system actor sees everything
        qs = Area.objects.all()
    else:
        qs = areas_for_user(user=user, capability=Capability.EXPORT)
    if params:
        qs = AreaFilter(params, queryset=qs).qs
    if within is not None:
        qs = qs.filter(path__startswith=within.path)
    return qs


def _type_word(level: str, kind: str) -> str:
    if kind != AreaKind.ORDINARY:
        return KIND_WORD.get(kind, LEVEL_WORD.get(level, level))
    return LEVEL_WORD.get(level, level)


def _boundary(value) -> str:
    if not value:
        return ""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # A boundary too long for one cell is left out rather than cut into invalid GeoJSON.
    return text if len(text) <= MAX_CELL_CHARS else ""


def export_areas(*, user, out: IO[bytes], params=None, within: Area | None = None) -> int:
    qs = area_queryset(user=user, params=params, within=within).order_by("path")
    fields = (
        "parent__code",
        "parent__name",
        "name",
        "code",
        "level",
        "kind",
        "boundary",
        "centroid_lat",
        "centroid_lng",
        "is_active",
    )

    def rows():
        for r in qs.values(*fields).iterator(chunk_size=CHUNK):
            yield [
                r["parent__code"] or "",
                r["name"],
                r["code"],
                _type_word(r["level"], r["kind"]),
                _boundary(r["boundary"]),
                r["parent__name"] or "",
                r["centroid_lat"],
                r["centroid_lng"],
                "" if r["is_active"] else "停用",
            ]

    n = write_xlsx(
        out,
        headers=[h for h, _w in HEADERS],
        widths=[w for _h, w in HEADERS],
        rows=rows(),
        sheet_title="区域",
    )
    data = {"rows": n}
    if params:
        data["filters"] = {k: params.get(k) for k in params}
    if within is not None:
        data["area"] = within.code
    audit(actor=user, verb="areas.export", object_type="areas.area", data=data)
    return n

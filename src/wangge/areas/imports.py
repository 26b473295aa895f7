"""Import of the territory tree from a spreadsheet 区域导入.

Every row is checked first — codes, parents (in the database or earlier/later in the same
file), names, types, boundaries and the actor's import scope — and all problems are reported
by row and column. Only a file without a single problem is written, in one transaction,
through `area_create` (the same rules as the form), parents before children.
"""

from __future__ import annotations

import json

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.accounts.choices import Capability
from wangge.accounts.selectors import user_scope
from wangge.core.audit import audit
from wangge.core.errors import DomainError, PermissionDenied
from wangge.core.excel import (
    Column,
    ErrorCollector,
    ImportFileError,
    ImportResult,
    Row,
    chunked,
    read_table,
)

from . import geo
from .choices import LEVEL_ORDER, AreaKind, AreaLevel
from .models import Area
from .services import area_create, validate_code

KIND = "areas"

# What people write in the 类型 column → (level, kind). Either part may be None (not said).
TYPE_WORDS: dict[str, tuple[str | None, str | None]] = {
    "县": (AreaLevel.COUNTY, None),
    "区": (AreaLevel.COUNTY, None),
    "旗": (AreaLevel.COUNTY, None),
    "县区": (AreaLevel.COUNTY, None),
    "县/区/旗": (AreaLevel.COUNTY, None),
    "县(区)": (AreaLevel.COUNTY, None),
    "乡": (AreaLevel.TOWN, None),
    "镇": (AreaLevel.TOWN, None),
    "乡镇": (AreaLevel.TOWN, None),
    "街道": (AreaLevel.TOWN, None),
    "乡镇/街道": (AreaLevel.TOWN, None),
    "苏木": (AreaLevel.TOWN, None),
    "村": (AreaLevel.VILLAGE, None),
    "社区": (AreaLevel.VILLAGE, None),
    "嘎查": (AreaLevel.VILLAGE, None),
    "村/社区": (AreaLevel.VILLAGE, None),
    "村(居)": (AreaLevel.VILLAGE, None),
    "网格": (AreaLevel.GRID, AreaKind.ORDINARY),
    "普通网格": (AreaLevel.GRID, AreaKind.ORDINARY),
    "微网格": (AreaLevel.MICROGRID, AreaKind.ORDINARY),
    "专属网格": (AreaLevel.GRID, AreaKind.OTHER_DEDICATED),
    "企业网格": (AreaLevel.GRID, AreaKind.ENTERPRISE),
    "专属网格(企业)": (AreaLevel.GRID, AreaKind.ENTERPRISE),
    "学校网格": (AreaLevel.GRID, AreaKind.SCHOOL),
    "专属网格(学校)": (AreaLevel.GRID, AreaKind.SCHOOL),
    "市场网格": (AreaLevel.GRID, AreaKind.MARKET),
    "专属网格(市场)": (AreaLevel.GRID, AreaKind.MARKET),
    "企业": (None, AreaKind.ENTERPRISE),
    "学校": (None, AreaKind.SCHOOL),
    "市场": (None, AreaKind.MARKET),
    "专属": (None, AreaKind.OTHER_DEDICATED),
    "普通": (None, AreaKind.ORDINARY),
}
for _level in AreaLevel.values:
    TYPE_WORDS.setdefault(_level, (_level, None))
for _kind in AreaKind.values:
    TYPE_WORDS.setdefault(_kind, (None, _kind))

# The Chinese word written back for each level/kind (exports, templates).
LEVEL_WORD = {
    AreaLevel.COUNTY: "县/区/旗",
    AreaLevel.TOWN: "乡镇/街道",
    AreaLevel.VILLAGE: "村/社区",
    AreaLevel.GRID: "网格",
    AreaLevel.MICROGRID: "微网格",
}
KIND_WORD = {
    AreaKind.ENTERPRISE: "企业网格",
    AreaKind.SCHOOL: "学校网格",
    AreaKind.MARKET: "市场网格",
    AreaKind.OTHER_DEDICATED: "专属网格",
}

COLUMNS = [
    Column(
        "parent_code",
        "上级代码",
        required=True,
        aliases=("parent", "上级区划代码", "所属上级代码"),
        help=gettext_lazy(
            "Code of the parent area, already in the system or in an earlier row of this "
            "file. Empty only for a county."
        ),
        width=20,
    ),
    Column(
        "name",
        "名称",
        required=True,
        aliases=("name", "区域名称", "网格名称"),
        help=gettext_lazy("Name, unique among the children of the same parent."),
        width=20,
    ),
    Column(
        "code",
        "代码",
        required=True,
        aliases=("code", "区划代码", "统计用区划代码", "网格代码"),
        help=gettext_lazy(
            "12-digit statistical division code for counties, towns and villages; a grid "
            "adds 3 digits to its village's code, a micro-grid 2 digits to its grid's code."
        ),
        width=20,
    ),
    Column(
        "type",
        "类型",
        aliases=("type", "level", "层级"),
        help=gettext_lazy(
            "Optional: 县/区/旗, 乡镇/街道, 村/社区, 网格, 微网格, or a dedicated grid: "
            "企业网格, 学校网格, 市场网格, 专属网格. The level must fit the parent."
        ),
        width=14,
        choices=(
            "县/区/旗",
            "乡镇/街道",
            "村/社区",
            "网格",
            "微网格",
            "企业网格",
            "学校网格",
            "市场网格",
            "专属网格",
        ),
    ),
    Column(
        "boundary",
        "边界GeoJSON(可选)",
        aliases=("boundary", "边界", "geojson", "边界geojson"),
        help=gettext_lazy("Optional: the boundary as a GeoJSON Polygon or MultiPolygon."),
        width=30,
    ),
]


def _parse_type(value: str) -> tuple[str | None, str | None] | None:
    v = value.strip().replace("（", "(").replace("）", ")").replace(" ", "")
    return TYPE_WORDS.get(v) or TYPE_WORDS.get(v.lower())


class _Scope:
    """Importing areas needs both capabilities over the parent: import and manage_areas."""

    def __init__(self, actor):
        self.scopes = [
            user_scope(actor, Capability.IMPORT),
            user_scope(actor, Capability.MANAGE_AREAS),
        ]

    @property
    def is_global(self) -> bool:
        return all(s.is_global for s in self.scopes)

    @property
    def is_empty(self) -> bool:
        return any(s.is_empty for s in self.scopes)

    def covers(self, path: str) -> bool:
        return all(s.covers(path) for s in self.scopes)


class _Stub:
    """Stands in for a parent that is only in the file, for code-prefix validation."""

    def __init__(self, code: str):
        self.code = code


def _validate(table, actor) -> tuple[ErrorCollector, list[dict]]:
    errors = ErrorCollector(table)
    scope = _Scope(actor) if actor is not None else None
    rows: list[Row] = table.rows

    file_codes: dict[str, Row] = {}
    for row in rows:
        code = row.get("code")
        if not code:
            continue
        if code in file_codes:
            errors.add(
                row.number,
                "code",
                _("The code %(code)s is already used in row %(row)d of this file.")
                % {"code": code, "row": file_codes[code].number},
            )
        else:
            file_codes[code] = row

    wanted = {r.get("code") for r in rows if r.get("code")} | {
        r.get("parent_code") for r in rows if r.get("parent_code")
    }
    db_areas: dict[str, Area] = {}
    wanted_list = sorted(wanted)
    for chunk in chunked(wanted_list):
        for a in Area.objects.filter(code__in=chunk).only(
            "id", "code", "path", "depth", "level", "is_active", "name", "numchild", "parent_id"
        ):
            db_areas[a.code] = a
    db_parent_ids = [a.pk for a in db_areas.values()]
    taken_names: set[tuple[int, str]] = set()
    for chunk in chunked(db_parent_ids):
        taken_names.update(
            Area.objects.filter(parent_id__in=chunk).values_list("parent_id", "name")
        )

    # The level of each code in the file, following parents through the file and into the
    # database; None when the chain is broken (reported on the row that breaks it).
    level_cache: dict[str, str | None] = {}

    def level_of(code: str, seen: frozenset = frozenset()) -> str | None:
        if code in level_cache:
            return level_cache[code]
        if code in seen:
            return None
        if code in db_areas and code not in file_codes:
            return db_areas[code].level
        row = file_codes.get(code)
        if row is None:
            return None
        parent_code = row.get("parent_code")
        if not parent_code:
            level = AreaLevel.COUNTY
        else:
            parent_level = level_of(parent_code, seen | {code})
            if parent_level is None:
                level = None
            else:
                idx = LEVEL_ORDER.index(parent_level)
                level = LEVEL_ORDER[idx + 1] if idx + 1 < len(LEVEL_ORDER) else None
        level_cache[code] = level
        return level

    plan: list[dict] = []
    names_in_file: dict[tuple[str, str], int] = {}
    for row in rows:
        name = row.get("name")
        code = row.get("code")
        parent_code = row.get("parent_code")
        if not name:
            errors.add(row.number, "name", _("The name is required."))
        elif len(name) > 100:
            errors.add(row.number, "name", _("At most %(n)d characters.") % {"n": 100})
        if not code:
            errors.add(row.number, "code", _("The code is required."))
        elif code in db_areas:
            errors.add(
                row.number,
                "code",
                _("The code %(code)s is already used by %(name)s.")
                % {"code": code, "name": db_areas[code].name},
            )

        parent = None
        parent_level = None
        if parent_code:
            if parent_code == code:
                errors.add(row.number, "parent_code", _("An area cannot be its own parent."))
                continue
            if parent_code in db_areas:
                parent = db_areas[parent_code]
                parent_level = parent.level
                if not parent.is_active:
                    errors.add(
                        row.number,
                        "parent_code",
                        _("%(area)s is no longer active.") % {"area": parent.name},
                    )
                if scope is not None and not scope.covers(parent.path):
                    errors.add(
                        row.number,
                        "parent_code",
                        _("You may not import areas under %(code)s: no post of yours covers it.")
                        % {"code": parent_code},
                    )
            elif parent_code in file_codes:
                parent_level = level_of(parent_code)
                if parent_level is None:
                    errors.add(
                        row.number,
                        "parent_code",
                        _("The parent %(code)s cannot be placed: check its own row.")
                        % {"code": parent_code},
                    )
                    continue
            else:
                errors.add(
                    row.number,
                    "parent_code",
                    _("No area has the code %(code)s, in the system or in this file.")
                    % {"code": parent_code},
                )
                continue
            idx = LEVEL_ORDER.index(parent_level)
            if idx + 1 >= len(LEVEL_ORDER):
                errors.add(row.number, "parent_code", _("A micro-grid cannot have children."))
                continue
            level = LEVEL_ORDER[idx + 1]
        else:
            level = AreaLevel.COUNTY
            if scope is not None and not scope.is_global:
                errors.add(
                    row.number,
                    "parent_code",
                    _("The parent code is required: only a county administrator can add a county."),
                )

        kind = AreaKind.ORDINARY
        type_text = row.get("type")
        if type_text:
            parsed = _parse_type(type_text)
            if parsed is None:
                errors.add(
                    row.number,
                    "type",
                    _("Unknown type %(value)s.") % {"value": type_text},
                )
            else:
                said_level, said_kind = parsed
                if said_level and said_level != level:
                    errors.add(
                        row.number,
                        "type",
                        _("The type says %(said)s, but an area under this parent is a %(level)s.")
                        % {"said": type_text, "level": AreaLevel(level).label},
                    )
                if said_kind:
                    kind = said_kind
                    if kind != AreaKind.ORDINARY and level not in (
                        AreaLevel.GRID,
                        AreaLevel.MICROGRID,
                    ):
                        errors.add(row.number, "type", _("Only grids can be dedicated grids."))

        if code and code not in db_areas:
            try:
                validate_code(
                    code=code, level=level, parent=_Stub(parent_code) if parent_code else None
                )
            except DomainError as exc:
                errors.add(row.number, "code", exc.message)

        if name:
            key = (parent_code or "", name)
            if key in names_in_file:
                errors.add(
                    row.number,
                    "name",
                    _("%(name)s appears twice under the same parent (row %(row)d).")
                    % {"name": name, "row": names_in_file[key]},
                )
            else:
                names_in_file[key] = row.number
            if parent is not None and (parent.pk, name) in taken_names:
                errors.add(
                    row.number,
                    "name",
                    _("%(name)s already exists here.") % {"name": name},
                )

        boundary = None
        text = row.get("boundary")
        if text:
            try:
                boundary = json.loads(text)
            except ValueError:
                errors.add(row.number, "boundary", _("The boundary is not valid GeoJSON."))
            else:
                try:
                    geo.parse_geometry(boundary)
                except DomainError as exc:
                    errors.add(row.number, "boundary", exc.message)
        plan.append(
            {
                "row": row.number,
                "parent_code": parent_code,
                "name": name,
                "code": code,
                "kind": kind,
                "level": level,
                "boundary": boundary,
            }
        )
    return errors, plan


def import_areas(*, actor, upload, file_name: str = "") -> ImportResult:
    """Validate the whole file, then create every area in one transaction, or nothing."""
    if actor is not None and _Scope(actor).is_empty:
        raise PermissionDenied(_("You may not import areas."))
    file_name = file_name or getattr(upload, "name", "") or ""
    try:
        table = read_table(upload, COLUMNS, file_name=file_name)
    except ImportFileError as exc:
        return ImportResult.from_file_error(KIND, file_name, exc)
    errors, plan = _validate(table, actor)
    if errors:
        return ImportResult.from_collector(KIND, table, errors)
    try:
        created = _write(actor, plan, table.file_name)
    except DomainError as exc:
        # A rule the pre-check could not see (e.g. a concurrent change): nothing was written.
        result = ImportResult(kind=KIND, file_name=table.file_name, rows=len(table.rows))
        row = exc.details.get("row") if isinstance(exc.details, dict) else None
        from wangge.core.excel import CellError

        result.errors = [CellError(str(exc.message), row=row)]
        return result
    return ImportResult(
        kind=KIND, file_name=table.file_name, rows=len(table.rows), created={"areas": created}
    )


@transaction.atomic
def _write(actor, plan: list[dict], file_name: str) -> int:
    plan = sorted(plan, key=lambda p: LEVEL_ORDER.index(p["level"]))
    parents: dict[str, Area] = {}
    codes = sorted({p["parent_code"] for p in plan if p["parent_code"]})
    for chunk in chunked(codes):
        for a in Area.objects.filter(code__in=chunk):
            parents[a.code] = a
    by_level: dict[str, int] = {}
    for item in plan:
        parent = parents.get(item["parent_code"]) if item["parent_code"] else None
        try:
            area = area_create(
                actor=actor,
                parent=parent,
                name=item["name"],
                code=item["code"],
                kind=item["kind"],
                boundary=item["boundary"],
            )
        except DomainError as exc:
            exc.details = {"row": item["row"]}
            raise
        parents[area.code] = area
        by_level[area.level] = by_level.get(area.level, 0) + 1
    audit(
        actor=actor,
        verb="areas.import",
        object_type="areas.area",
        data={"file": file_name[:200], "created": len(plan), "levels": by_level},
    )
    return len(plan)

"""Import of households and residents from spreadsheets 户籍/人员导入, and of department lists
(民政, 医保, 残联…) matched to residents by ID number.

All or nothing: every row is checked against the same rules as the forms (people.services),
against the other rows of the file and against the database — with lookups done in bulk, so a
50,000-row file costs a few dozen queries, not one per row — and only a file without a single
problem is written, in one transaction, with one audit row for the batch.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.accounts.choices import Capability
from wangge.accounts.selectors import user_scope
from wangge.areas.choices import AreaLevel
from wangge.areas.models import Area
from wangge.core.audit import audit
from wangge.core.crypto import blind_index, encrypt
from wangge.core.errors import DomainError, PermissionDenied
from wangge.core.excel import (
    CellError,
    Column,
    ErrorCollector,
    ImportFileError,
    ImportResult,
    chunked,
    parse_bool,
    read_table,
    split_list,
)

from . import idnumber
from .choices import ETHNICITIES, Relation, TagTarget
from .models import Household, ListImport, Resident, Tag
from .services import clean_phone, department_list_apply

BATCH = 1000

# Relation to the head of household as written in Chinese registers.
RELATION_WORDS: dict[str, str] = {
    "户主": Relation.HEAD,
    "本人": Relation.HEAD,
    "配偶": Relation.SPOUSE,
    "妻": Relation.SPOUSE,
    "妻子": Relation.SPOUSE,
    "夫": Relation.SPOUSE,
    "丈夫": Relation.SPOUSE,
    "子": Relation.CHILD,
    "女": Relation.CHILD,
    "子女": Relation.CHILD,
    "儿子": Relation.CHILD,
    "女儿": Relation.CHILD,
    "长子": Relation.CHILD,
    "次子": Relation.CHILD,
    "长女": Relation.CHILD,
    "次女": Relation.CHILD,
    "父母": Relation.PARENT,
    "父亲": Relation.PARENT,
    "母亲": Relation.PARENT,
    "父": Relation.PARENT,
    "母": Relation.PARENT,
    "孙子女": Relation.GRANDCHILD,
    "孙子": Relation.GRANDCHILD,
    "孙女": Relation.GRANDCHILD,
    "外孙子": Relation.GRANDCHILD,
    "外孙女": Relation.GRANDCHILD,
    "祖父母": Relation.GRANDPARENT,
    "祖父": Relation.GRANDPARENT,
    "祖母": Relation.GRANDPARENT,
    "外祖父": Relation.GRANDPARENT,
    "外祖母": Relation.GRANDPARENT,
    "兄弟姐妹": Relation.SIBLING,
    "兄": Relation.SIBLING,
    "弟": Relation.SIBLING,
    "姐": Relation.SIBLING,
    "妹": Relation.SIBLING,
    "儿媳": Relation.CHILD_IN_LAW,
    "女婿": Relation.CHILD_IN_LAW,
    "儿媳/女婿": Relation.CHILD_IN_LAW,
    "其他": Relation.OTHER,
}
for _value in Relation.values:
    RELATION_WORDS.setdefault(_value, _value)
# The word written back for each relation (exports), so that an export reads like a register.
RELATION_WORD = {
    Relation.HEAD: "户主",
    Relation.SPOUSE: "配偶",
    Relation.CHILD: "子女",
    Relation.PARENT: "父母",
    Relation.GRANDCHILD: "孙子女",
    Relation.GRANDPARENT: "祖父母",
    Relation.SIBLING: "兄弟姐妹",
    Relation.CHILD_IN_LAW: "儿媳/女婿",
    Relation.OTHER: "其他",
}

TAGS_HELP = gettext_lazy("Optional: tag names separated by 、 (e.g. 低保、留守老人).")

HOUSEHOLD_COLUMNS = [
    Column(
        "number",
        "户编号",
        required=True,
        aliases=("number", "户号", "户编码"),
        help=gettext_lazy("Unique household number, at most 32 characters."),
        width=18,
    ),
    Column(
        "grid_code",
        "网格代码",
        required=True,
        aliases=("grid", "grid_code", "网格编码", "所属网格代码"),
        help=gettext_lazy("Code of the grid or micro-grid the household belongs to."),
        width=20,
    ),
    Column(
        "address",
        "地址",
        required=True,
        aliases=("address", "住址", "家庭住址"),
        help=gettext_lazy("Address, at most 200 characters."),
        width=30,
    ),
    Column(
        "phone",
        "联系电话",
        aliases=("phone", "电话", "手机", "手机号"),
        help=gettext_lazy("Optional: mobile or landline number."),
        width=16,
    ),
    Column("tags", "标签(用、分隔)", aliases=("tags", "标签"), help=TAGS_HELP, width=24),
]

RESIDENT_COLUMNS = [
    Column(
        "household",
        "户编号",
        required=True,
        aliases=("household", "户号", "户编码"),
        help=gettext_lazy("Number of a household already in the system."),
        width=18,
    ),
    Column(
        "name",
        "姓名",
        required=True,
        aliases=("name",),
        help=gettext_lazy("Full name."),
        width=12,
    ),
    Column(
        "id_number",
        "身份证号",
        required=True,
        aliases=("id_number", "身份证号码", "公民身份号码", "证件号码", "身份证"),
        help=gettext_lazy("18-character resident ID number (store the column as text)."),
        width=22,
    ),
    Column(
        "phone",
        "联系电话",
        aliases=("phone", "电话", "手机", "手机号"),
        help=gettext_lazy("Optional: mobile or landline number."),
        width=16,
    ),
    Column(
        "ethnicity",
        "民族",
        aliases=("ethnicity",),
        help=gettext_lazy("Optional, 汉族 when empty."),
        width=10,
    ),
    Column(
        "relation",
        "与户主关系",
        aliases=("relation", "与户主关系(户主/配偶/子女…)"),
        help=gettext_lazy(
            "户主, 配偶, 子女, 父母, 孙子女, 祖父母, 兄弟姐妹, 儿媳/女婿 or 其他; one 户主 per "
            "household."
        ),
        width=12,
        choices=tuple(RELATION_WORD.values()),
    ),
    Column(
        "is_away",
        "外出务工(是/否)",
        aliases=("is_away", "外出务工", "是否外出务工", "外出"),
        help=gettext_lazy("是 or 否 (empty = 否)."),
        width=14,
        choices=("是", "否"),
    ),
    Column("tags", "标签", aliases=("tags", "标签(用、分隔)"), help=TAGS_HELP, width=24),
]

LIST_COLUMNS = [
    Column(
        "name",
        "姓名",
        aliases=("name", "人员姓名", "户主姓名", "救助对象姓名"),
        help=gettext_lazy("Name as on the department's list; checked against the resident."),
        width=12,
    ),
    Column(
        "id_number",
        "身份证号",
        required=True,
        aliases=("id_number", "身份证号码", "公民身份号码", "证件号码", "身份证"),
        help=gettext_lazy("18-character ID number used to find the resident."),
        width=22,
    ),
]


def _require_import(actor) -> None:
    if actor is not None and user_scope(actor, Capability.IMPORT).is_empty:
        raise PermissionDenied(_("You may not import spreadsheets."))


def _tags_by_word(target: str) -> dict[str, Tag]:
    out: dict[str, Tag] = {}
    for tag in Tag.objects.all():
        if tag.target in (target, TagTarget.BOTH):
            out[tag.name] = tag
            out.setdefault(tag.code, tag)
    return out


def _check_tags(errors, row, value: str, tags: dict[str, Tag], all_names: set[str]) -> list[int]:
    ids = []
    for word in split_list(value):
        tag = tags.get(word)
        if tag is None:
            if word in all_names:
                errors.add(row, "tags", _("The tag %(tag)s does not apply here.") % {"tag": word})
            else:
                errors.add(row, "tags", _("Unknown tag %(tag)s.") % {"tag": word})
        elif tag.pk not in ids:
            ids.append(tag.pk)
    return ids


def _domain_message(fn, *args, **kwargs):
    """Run a service-level cleaner; return (value, None) or (None, message)."""
    try:
        return fn(*args, **kwargs), None
    except DomainError as exc:
        return None, exc.message


def _read(kind, upload, columns, file_name):
    file_name = file_name or getattr(upload, "name", "") or ""
    try:
        return read_table(upload, columns, file_name=file_name), None
    except ImportFileError as exc:
        return None, ImportResult.from_file_error(kind, file_name, exc)


# --- households -------------------------------------------------------------------------


def import_households(*, actor, upload, file_name: str = "") -> ImportResult:
    """Validate every row, then create all households in one transaction, or none."""
    _require_import(actor)
    table, failed = _read("households", upload, HOUSEHOLD_COLUMNS, file_name)
    if failed:
        return failed
    errors = ErrorCollector(table)
    scope = user_scope(actor, Capability.IMPORT) if actor is not None else None
    rows = table.rows

    numbers = [r.get("number") for r in rows if r.get("number")]
    existing: set[str] = set()
    for chunk in chunked(sorted(set(numbers))):
        existing.update(Household.objects.filter(number__in=chunk).values_list("number", flat=True))
    codes = sorted({r.get("grid_code") for r in rows if r.get("grid_code")})
    areas: dict[str, Area] = {}
    for chunk in chunked(codes):
        for a in Area.objects.filter(code__in=chunk).only(
            "id", "code", "name", "path", "level", "is_active", "parent_id"
        ):
            areas[a.code] = a
    tags = _tags_by_word(TagTarget.HOUSEHOLD)
    all_tag_names = set(Tag.objects.values_list("name", flat=True))

    seen: dict[str, int] = {}
    plan = []
    for row in rows:
        n = row.number
        number = row.get("number")
        if not number:
            errors.add(n, "number", _("The household number is required."))
        elif len(number) > 32:
            errors.add(n, "number", _("At most %(n)d characters.") % {"n": 32})
        elif number in seen:
            errors.add(
                n,
                "number",
                _("The household number %(n)s is already used in row %(row)d of this file.")
                % {"n": number, "row": seen[number]},
            )
        elif number in existing:
            errors.add(n, "number", _("The household number %(n)s already exists.") % {"n": number})
        if number:
            seen.setdefault(number, n)

        code = row.get("grid_code")
        area = grid_id = None
        if not code:
            errors.add(n, "grid_code", _("The grid code is required."))
        elif code not in areas:
            errors.add(n, "grid_code", _("No grid has the code %(code)s.") % {"code": code})
        else:
            area = areas[code]
            if area.level == AreaLevel.GRID:
                grid_id = area.pk
            elif area.level == AreaLevel.MICROGRID:
                grid_id = area.parent_id
            else:
                errors.add(
                    n,
                    "grid_code",
                    _(
                        "%(code)s is a %(level)s: a household must be placed in a grid or micro-grid."
                    )
                    % {"code": code, "level": AreaLevel(area.level).label},
                )
            if not area.is_active:
                errors.add(n, "grid_code", _("%(area)s is no longer active.") % {"area": area.name})
            if scope is not None and not scope.covers(area.path):
                errors.add(
                    n,
                    "grid_code",
                    _("You may not import into %(code)s: no post of yours covers it.")
                    % {"code": code},
                )

        address = row.get("address")
        if not address:
            errors.add(n, "address", _("The address is required."))
        elif len(address) > 200:
            errors.add(n, "address", _("At most %(n)d characters.") % {"n": 200})
        phone, msg = _domain_message(clean_phone, row.get("phone"))
        if msg:
            errors.add(n, "phone", msg)
        tag_ids = _check_tags(errors, n, row.get("tags"), tags, all_tag_names)
        if area is not None and grid_id is not None:
            plan.append(
                Household(
                    number=number,
                    area_id=area.pk,
                    grid_id=grid_id,
                    area_path=area.path,
                    address=address,
                    phone=phone or "",
                )
            )
            plan[-1]._tag_ids = tag_ids

    if errors:
        return ImportResult.from_collector("households", table, errors)
    try:
        with transaction.atomic():
            Household.objects.bulk_create(plan, batch_size=BATCH)
            ids = _ids_by("number", Household, [h.number for h in plan])
            through = Household.tags.through
            links = [
                through(household_id=ids[h.number], tag_id=t) for h in plan for t in h._tag_ids
            ]
            through.objects.bulk_create(links, batch_size=BATCH)
            audit(
                actor=actor,
                verb="households.import",
                object_type="people.household",
                data={"file": table.file_name[:200], "created": len(plan), "tags": len(links)},
            )
    except IntegrityError:
        return _changed_meanwhile("households", table)
    return ImportResult(
        kind="households",
        file_name=table.file_name,
        rows=len(rows),
        created={"households": len(plan)},
    )


def _changed_meanwhile(kind: str, table) -> ImportResult:
    """Someone saved the same number or ID number between the check and the write: the
    transaction was rolled back, so nothing was imported."""
    return ImportResult(
        kind=kind,
        file_name=table.file_name,
        rows=len(table.rows),
        errors=[
            CellError(
                _(
                    "The data changed while the file was being imported; nothing was imported. "
                    "Upload the file again."
                )
            )
        ],
    )


def _ids_by(field: str, model, values: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for chunk in chunked(values):
        out.update(model.objects.filter(**{f"{field}__in": chunk}).values_list(field, "id"))
    return out


# --- residents --------------------------------------------------------------------------


def _ethnicity(value: str) -> str | None:
    v = (value or "").strip()
    if not v:
        return "汉族"
    if v in ETHNICITIES:
        return v
    if v + "族" in ETHNICITIES:
        return v + "族"
    return None


def import_residents(*, actor, upload, file_name: str = "") -> ImportResult:
    """Validate every row, then create all residents in one transaction, or none. Heads of
    household and member counts are kept right; one audit row is written for the batch."""
    _require_import(actor)
    table, failed = _read("residents", upload, RESIDENT_COLUMNS, file_name)
    if failed:
        return failed
    errors = ErrorCollector(table)
    scope = user_scope(actor, Capability.IMPORT) if actor is not None else None
    rows = table.rows

    numbers = sorted({r.get("household") for r in rows if r.get("household")})
    households: dict[str, tuple[int, str, int | None]] = {}
    for chunk in chunked(numbers):
        for pk, number, path, head_id in Household.objects.filter(number__in=chunk).values_list(
            "id", "number", "area_path", "head_id"
        ):
            households[number] = (pk, path, head_id)
    tags = _tags_by_word(TagTarget.RESIDENT)
    all_tag_names = set(Tag.objects.values_list("name", flat=True))

    parsed: dict[int, idnumber.IdInfo] = {}
    digests: dict[int, str] = {}
    first_row_of_hash: dict[str, int] = {}
    for row in rows:
        value = row.get("id_number")
        if not value:
            errors.add(row.number, "id_number", _("The ID number is required."))
            continue
        try:
            info = idnumber.parse(value)
        except DomainError as exc:
            msg = exc.message
            if row.raw_types.get("id_number") is float:
                msg = _(
                    "The ID number was stored as a number and lost digits: format the column "
                    "as text and type it again."
                )
            errors.add(row.number, "id_number", msg)
            continue
        digest = blind_index(info.number)
        if digest in first_row_of_hash:
            errors.add(
                row.number,
                "id_number",
                _("The same ID number is already in row %(row)d of this file.")
                % {"row": first_row_of_hash[digest]},
            )
            continue
        first_row_of_hash[digest] = row.number
        parsed[row.number] = info
        digests[row.number] = digest
    taken: set[str] = set()
    for chunk in chunked(sorted(first_row_of_hash)):
        taken.update(
            Resident.objects.filter(id_number_hash__in=chunk).values_list(
                "id_number_hash", flat=True
            )
        )

    heads_in_file: dict[str, int] = {}
    plan: list[Resident] = []
    for row in rows:
        n = row.number
        number = row.get("household")
        hh = None
        if not number:
            errors.add(n, "household", _("The household number is required."))
        elif number not in households:
            errors.add(
                n,
                "household",
                _("No household has the number %(n)s: import the households first.")
                % {"n": number},
            )
        else:
            hh = households[number]
            if scope is not None and not scope.covers(hh[1]):
                errors.add(
                    n,
                    "household",
                    _("You may not import into household %(n)s: no post of yours covers it.")
                    % {"n": number},
                )
        name = row.get("name")
        if not name:
            errors.add(n, "name", _("The name is required."))
        elif len(name) > 50:
            errors.add(n, "name", _("At most %(n)d characters.") % {"n": 50})
        if n in digests and digests[n] in taken:
            errors.add(n, "id_number", _("A resident with this ID number is already registered."))
        phone, msg = _domain_message(clean_phone, row.get("phone"))
        if msg:
            errors.add(n, "phone", msg)
        ethnicity = _ethnicity(row.get("ethnicity"))
        if ethnicity is None:
            errors.add(
                n, "ethnicity", _("Unknown ethnicity %(value)s.") % {"value": row.get("ethnicity")}
            )
        relation_text = row.get("relation")
        relation = (
            RELATION_WORDS.get(relation_text.replace(" ", ""))
            if relation_text
            else (Relation.OTHER)
        )
        if relation is None:
            errors.add(
                n,
                "relation",
                _(
                    "Unknown relation %(value)s: use 户主, 配偶, 子女, 父母, 孙子女, 祖父母, 兄弟姐妹, 儿媳/女婿 or 其他."
                )
                % {"value": relation_text},
            )
        elif relation == Relation.HEAD and number:
            if hh is not None and hh[2] is not None:
                errors.add(n, "relation", _("This household already has a head."))
            elif number in heads_in_file:
                errors.add(
                    n,
                    "relation",
                    _("Household %(n)s already has a head in row %(row)d of this file.")
                    % {"n": number, "row": heads_in_file[number]},
                )
            else:
                heads_in_file[number] = n
        away = parse_bool(row.get("is_away"))
        if away is None:
            errors.add(n, "is_away", _("Write 是 or 否."))
        tag_ids = _check_tags(errors, n, row.get("tags"), tags, all_tag_names)
        if errors.total == 0 and hh is not None:
            info = parsed[n]
            resident = Resident(
                household_id=hh[0],
                area_path=hh[1],
                name=name,
                id_number_hash=digests[n],
                id_number_masked=info.masked,
                birth_date=info.birth_date,
                gender=info.gender,
                phone=phone or "",
                ethnicity=ethnicity,
                relation=relation,
                is_away=bool(away),
            )
            resident._tag_ids = tag_ids
            resident._number = info.number
            plan.append(resident)

    if errors:
        return ImportResult.from_collector("residents", table, errors)
    # Encrypt only once the file is known to be good: it is the costly part.
    for r in plan:
        r.id_number_cipher = encrypt(r._number)
        del r._number
    try:
        with transaction.atomic():
            Resident.objects.bulk_create(plan, batch_size=BATCH)
            ids = _ids_by("id_number_hash", Resident, [r.id_number_hash for r in plan])
            through = Resident.tags.through
            links = [
                through(resident_id=ids[r.id_number_hash], tag_id=t)
                for r in plan
                for t in r._tag_ids
            ]
            through.objects.bulk_create(links, batch_size=BATCH)
            household_ids = sorted({r.household_id for r in plan})
            heads = {
                r.household_id: ids[r.id_number_hash] for r in plan if r.relation == Relation.HEAD
            }
            _refresh_households(household_ids, heads)
            audit(
                actor=actor,
                verb="residents.import",
                object_type="people.resident",
                data={
                    "file": table.file_name[:200],
                    "created": len(plan),
                    "households": len(household_ids),
                    "heads": len(heads),
                    "tags": len(links),
                },
            )
    except IntegrityError:
        return _changed_meanwhile("residents", table)
    return ImportResult(
        kind="residents",
        file_name=table.file_name,
        rows=len(rows),
        created={"residents": len(plan), "households_updated": len(household_ids)},
    )


def _refresh_households(household_ids: list[int], heads: dict[int, int]) -> None:
    """Member counts (living members) and new heads of the touched households: one UPDATE
    with subqueries per slice of ids, however many households there are."""
    living = (
        Resident.objects.filter(household_id=OuterRef("pk"), is_deceased=False)
        .order_by()
        .values("household_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    for chunk in chunked(household_ids):
        Household.objects.filter(pk__in=chunk).update(
            member_count=Coalesce(Subquery(living), Value(0))
        )
    head_ids = sorted(heads.values())
    # The head is written from the resident's side: each new head points at its household.
    for chunk in chunked(head_ids):
        Household.objects.filter(
            pk__in=Resident.objects.filter(pk__in=chunk).values("household_id")
        ).update(
            head_id=Subquery(
                Resident.objects.filter(household_id=OuterRef("pk"), pk__in=chunk).values("pk")[:1]
            )
        )


# --- department lists -------------------------------------------------------------------


def import_department_list(
    *, actor, upload, source: str, tag: Tag, file_name: str = ""
) -> tuple[ListImport | None, ImportResult]:
    """Read a department list and hand it to `department_list_apply`, which matches residents
    by ID number within the actor's scope, tags the matches and stores the report.

    Returns (ListImport, result) or (None, result with the file-level errors)."""
    _require_import(actor)
    table, failed = _read("list", upload, LIST_COLUMNS, file_name)
    if failed:
        return None, failed
    rows = [
        {"row": r.number, "id_number": r.get("id_number"), "name": r.get("name")}
        for r in table.rows
    ]
    try:
        record = department_list_apply(
            actor=actor, source=source, tag=tag, file_name=table.file_name, rows=rows
        )
    except DomainError as exc:
        return None, ImportResult.from_file_error("list", table.file_name, exc)
    return record, ImportResult(
        kind="list",
        file_name=table.file_name,
        rows=len(rows),
        created={
            "matched": record.matched,
            "unmatched": record.unmatched,
            "ambiguous": record.ambiguous,
            "invalid": record.invalid,
        },
    )


def tag_for_list(value: str) -> Tag | None:
    """A resident tag by code or Chinese name (CLI and forms)."""
    value = (value or "").strip()
    return Tag.objects.filter(code=value).first() or Tag.objects.filter(name=value).first()


__all__ = [
    "HOUSEHOLD_COLUMNS",
    "LIST_COLUMNS",
    "RESIDENT_COLUMNS",
    "import_department_list",
    "import_households",
    "import_residents",
]

"""Writes of households, residents, tags, plans and department lists."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from wangge.accounts.choices import Capability
from wangge.accounts.selectors import user_scope
from wangge.areas.choices import AreaLevel
from wangge.areas.models import Area
from wangge.core.audit import audit
from wangge.core.crypto import blind_index, decrypt, encrypt
from wangge.core.errors import DomainError, NotFound, PermissionDenied

from . import idnumber
from .choices import ETHNICITIES, ListSource, MatchStatus, Relation, TagTarget
from .models import Household, ListImport, Resident, ServicePlan, Tag

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8})$")


def check_scope(actor, path: str, capability: str) -> None:
    """Raise unless the actor holds `capability` over the area path. None = system actor."""
    if actor is None:
        return
    if not user_scope(actor, capability).covers(path):
        raise PermissionDenied(_("You have no post covering this area."))


def clean_phone(phone: str, *, field: str = "phone", required: bool = False) -> str:
    phone = (phone or "").strip().replace(" ", "")
    if not phone:
        if required:
            raise DomainError(_("The phone number is required."), field=field)
        return ""
    if not PHONE_RE.match(phone):
        raise DomainError(
            _("%(phone)s is not a valid phone number.") % {"phone": phone}, field=field
        )
    return phone


def _resolve_area(area: Area) -> tuple[Area, Area]:
    """A household lives in a grid or micro-grid; return (area, grid)."""
    if area.level == AreaLevel.GRID:
        return area, area
    if area.level == AreaLevel.MICROGRID:
        return area, area.parent
    raise DomainError(_("A household must be placed in a grid or micro-grid."), field="area")


def _clean_text(value: str, *, field: str, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(_("This field is required."), field=field)
    if len(value) > max_length:
        raise DomainError(_("At most %(n)d characters.") % {"n": max_length}, field=field)
    return value


def _point(lat, lng) -> tuple[float | None, float | None]:
    """Both coordinates or neither; a half or impossible position is refused."""
    if lat is None and lng is None:
        return None, None
    if lat is None or lng is None:
        raise DomainError(_("Give both the latitude and the longitude."), field="lat")
    from wangge.areas.geo import validate_point

    return validate_point(lat, lng)


def _tags(tags: Iterable[Tag] | None, target: str) -> list[Tag]:
    tags = list(tags or [])
    for tag in tags:
        if tag.target not in (target, TagTarget.BOTH):
            raise DomainError(
                _("The tag %(tag)s does not apply here.") % {"tag": tag.name}, field="tags"
            )
    return tags


@transaction.atomic
def household_create(
    *,
    actor,
    number: str,
    area: Area,
    address: str,
    phone: str = "",
    tags: Iterable[Tag] | None = None,
    lat=None,
    lng=None,
    notes: str = "",
) -> Household:
    number = _clean_text(number, field="number", max_length=32, required=True)
    area, grid = _resolve_area(area)
    check_scope(actor, area.path, Capability.EDIT_PEOPLE)
    if not area.is_active:
        raise DomainError(_("%(area)s is no longer active.") % {"area": area.name}, field="area")
    lat, lng = _point(lat, lng)
    if Household.objects.filter(number=number).exists():
        raise DomainError(
            _("The household number %(n)s already exists.") % {"n": number}, field="number"
        )
    household = Household.objects.create(
        number=number,
        area=area,
        grid=grid,
        area_path=area.path,
        address=_clean_text(address, field="address", max_length=200, required=True),
        phone=clean_phone(phone),
        lat=lat,
        lng=lng,
        notes=_clean_text(notes, field="notes", max_length=4000),
    )
    household.tags.set(_tags(tags, TagTarget.HOUSEHOLD))
    audit(actor=actor, verb="household.create", obj=household, data={"area": area.code})
    return household


@transaction.atomic
def household_update(
    *,
    actor,
    household: Household,
    address: str | None = None,
    phone: str | None = None,
    tags: Iterable[Tag] | None = None,
    notes: str | None = None,
    area: Area | None = None,
    lat=...,
    lng=...,
) -> Household:
    """Change the fields given (None or left out: unchanged). `lat`/`lng` are set together;
    None for both clears the position."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    check_scope(actor, household.area_path, Capability.EDIT_PEOPLE)
    changed = []
    if address is not None:
        household.address = _clean_text(address, field="address", max_length=200, required=True)
        changed.append("address")
    if phone is not None:
        household.phone = clean_phone(phone)
        changed.append("phone")
    if notes is not None:
        household.notes = _clean_text(notes, field="notes", max_length=4000)
        changed.append("notes")
    if lat is not ... or lng is not ...:
        household.lat, household.lng = _point(
            household.lat if lat is ... else lat, household.lng if lng is ... else lng
        )
        changed.append("location")
    if area is not None and area.pk != household.area_id:
        new_area, grid = _resolve_area(area)
        check_scope(actor, new_area.path, Capability.EDIT_PEOPLE)
        if not new_area.is_active:
            raise DomainError(
                _("%(area)s is no longer active.") % {"area": new_area.name}, field="area"
            )
        household.area, household.grid, household.area_path = new_area, grid, new_area.path
        Resident.objects.filter(household=household).update(area_path=new_area.path)
        changed.append("area")
    household.save()
    if tags is not None:
        household.tags.set(_tags(tags, TagTarget.HOUSEHOLD))
        changed.append("tags")
    audit(actor=actor, verb="household.update", obj=household, data={"fields": changed})
    return household


def _refresh_member_count(household_id: int) -> None:
    n = Resident.objects.filter(household_id=household_id, is_deceased=False).count()
    Household.objects.filter(pk=household_id).update(member_count=n)


@transaction.atomic
def resident_create(
    *,
    actor,
    household: Household,
    name: str,
    id_number: str,
    phone: str = "",
    ethnicity: str = "汉族",
    relation: str = Relation.OTHER,
    is_away: bool = False,
    is_party_member: bool = False,
    tags: Iterable[Tag] | None = None,
) -> Resident:
    household = Household.objects.select_for_update().get(pk=household.pk)
    check_scope(actor, household.area_path, Capability.EDIT_PEOPLE)
    info = idnumber.parse(id_number)
    digest = blind_index(info.number)
    if Resident.objects.filter(id_number_hash=digest).exists():
        raise DomainError(
            _("A resident with this ID number is already registered."), field="id_number"
        )
    if ethnicity not in ETHNICITIES:
        raise DomainError(_("Unknown ethnicity."), field="ethnicity")
    if relation not in Relation.values:
        raise DomainError(_("Unknown relation to the head of household."), field="relation")
    if relation == Relation.HEAD and household.head_id:
        raise DomainError(_("This household already has a head."), field="relation")
    resident = Resident.objects.create(
        household=household,
        area_path=household.area_path,
        name=_clean_text(name, field="name", max_length=50, required=True),
        id_number_cipher=encrypt(info.number),
        id_number_hash=digest,
        id_number_masked=info.masked,
        birth_date=info.birth_date,
        gender=info.gender,
        phone=clean_phone(phone),
        ethnicity=ethnicity,
        relation=relation,
        is_away=is_away,
        is_party_member=is_party_member,
    )
    resident.tags.set(_tags(tags, TagTarget.RESIDENT))
    if relation == Relation.HEAD:
        Household.objects.filter(pk=household.pk).update(head=resident)
    _refresh_member_count(household.pk)
    audit(actor=actor, verb="resident.create", obj=resident, data={"household": household.number})
    return resident


@transaction.atomic
def resident_update(
    *,
    actor,
    resident: Resident,
    name: str | None = None,
    phone: str | None = None,
    ethnicity: str | None = None,
    relation: str | None = None,
    is_away: bool | None = None,
    is_party_member: bool | None = None,
    is_deceased: bool | None = None,
    tags: Iterable[Tag] | None = None,
    id_number: str | None = None,
) -> Resident:
    resident = Resident.objects.select_for_update().select_related("household").get(pk=resident.pk)
    check_scope(actor, resident.area_path, Capability.EDIT_PEOPLE)
    changed = []
    if name is not None:
        resident.name = _clean_text(name, field="name", max_length=50, required=True)
        changed.append("name")
    if phone is not None:
        resident.phone = clean_phone(phone)
        changed.append("phone")
    if ethnicity is not None:
        if ethnicity not in ETHNICITIES:
            raise DomainError(_("Unknown ethnicity."), field="ethnicity")
        resident.ethnicity = ethnicity
        changed.append("ethnicity")
    if relation is not None and relation != resident.relation:
        if relation not in Relation.values:
            raise DomainError(_("Unknown relation to the head of household."), field="relation")
        head_id = resident.household.head_id
        if relation == Relation.HEAD and head_id and head_id != resident.pk:
            raise DomainError(_("This household already has a head."), field="relation")
        resident.relation = relation
        changed.append("relation")
    if id_number is not None:
        info = idnumber.parse(id_number)
        digest = blind_index(info.number)
        if Resident.objects.filter(id_number_hash=digest).exclude(pk=resident.pk).exists():
            raise DomainError(
                _("A resident with this ID number is already registered."), field="id_number"
            )
        resident.id_number_cipher = encrypt(info.number)
        resident.id_number_hash, resident.id_number_masked = digest, info.masked
        resident.birth_date, resident.gender = info.birth_date, info.gender
        changed.append("id_number")
    for flag, value in (
        ("is_away", is_away),
        ("is_party_member", is_party_member),
        ("is_deceased", is_deceased),
    ):
        if value is not None:
            setattr(resident, flag, bool(value))
            changed.append(flag)
    resident.save()
    if tags is not None:
        resident.tags.set(_tags(tags, TagTarget.RESIDENT))
        changed.append("tags")
    if resident.relation == Relation.HEAD:
        Household.objects.filter(pk=resident.household_id).update(head=resident)
    elif resident.household.head_id == resident.pk:
        Household.objects.filter(pk=resident.household_id).update(head=None)
    _refresh_member_count(resident.household_id)
    audit(actor=actor, verb="resident.update", obj=resident, data={"fields": changed})
    return resident


@transaction.atomic
def resident_reveal_id(*, actor, resident: Resident, reason: str = "") -> str:
    """Return the full ID number and log who saw whose, when and why."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Log in to see ID numbers."))
    if not user_scope(actor, Capability.REVEAL_ID).covers(resident.area_path):
        if user_scope(actor, Capability.VIEW_PEOPLE).covers(resident.area_path):
            raise PermissionDenied(_("You are not allowed to see full ID numbers."))
        raise NotFound(_("Not found."))
    number = decrypt(resident.id_number_cipher)
    audit(
        actor=actor,
        verb="resident.reveal_id",
        obj=resident,
        data={"reason": (reason or "")[:200], "household": resident.household_id},
    )
    return number


@transaction.atomic
def service_plan_update(
    *,
    actor,
    household: Household,
    situation: str = "",
    needs: str = "",
    measures: str = "",
    responsible=None,
) -> ServicePlan:
    check_scope(actor, household.area_path, Capability.EDIT_PEOPLE)
    plan, _created = ServicePlan.objects.select_for_update().get_or_create(household=household)
    plan.situation = _clean_text(situation, field="situation", max_length=4000)
    plan.needs = _clean_text(needs, field="needs", max_length=4000)
    plan.measures = _clean_text(measures, field="measures", max_length=4000)
    plan.responsible = responsible
    plan.updated_by = actor if getattr(actor, "pk", None) else None
    plan.save()
    audit(actor=actor, verb="household.service_plan", obj=household)
    return plan


@transaction.atomic
def tag_create(
    *, actor, code: str, name: str, target: str = TagTarget.BOTH, is_key: bool = False
) -> Tag:
    if target not in TagTarget.values:
        raise DomainError(_("Unknown tag target."), field="target")
    if Tag.objects.filter(code=code).exists() or Tag.objects.filter(name=name).exists():
        raise DomainError(_("The tag already exists."), field="name")
    tag = Tag.objects.create(code=code, name=name, target=target, is_key=is_key)
    audit(actor=actor, verb="tag.create", obj=tag)
    return tag


@transaction.atomic
def department_list_apply(
    *, actor, source: str, tag: Tag, file_name: str, rows: list[dict]
) -> ListImport:
    """Match a department list (rows with `row`, `id_number`, `name`) to residents by ID number
    and apply `tag` to each matched resident (and, for a household tag, to the household).

    A row whose ID number is invalid is `invalid`; one with no resident is `unmatched`; one
    whose ID matches but whose name differs, or whose ID appears twice in the list with
    different names, is `ambiguous` and not applied (a person decides). Only residents in the
    actor's import scope are considered: a list for the whole county is applied to the part
    the actor is responsible for, the rest is reported unmatched."""
    if source not in ListSource.values:
        raise DomainError(_("Unknown list source."), field="source")
    if tag.target == TagTarget.HOUSEHOLD:
        raise DomainError(_("Department lists tag residents; choose a resident tag."), field="tag")
    scope = user_scope(actor, Capability.IMPORT) if actor is not None else None
    parsed: list[tuple[dict, str | None]] = []
    names_by_hash: dict[str, set[str]] = {}
    for row in rows:
        try:
            info = idnumber.parse(str(row.get("id_number") or ""))
        except DomainError:
            parsed.append((row, None))
            continue
        digest = blind_index(info.number)
        parsed.append((row, digest))
        names_by_hash.setdefault(digest, set()).add((row.get("name") or "").strip())
    hashes = [h for _r, h in parsed if h]
    residents = Resident.objects.filter(id_number_hash__in=hashes)
    if scope is not None:
        residents = residents.filter(scope.q("area_path"))
    by_hash = {
        r.id_number_hash: r
        for r in residents.only("id", "name", "id_number_hash", "household_id", "id_number_masked")
    }
    report, to_tag, counts = [], set(), dict.fromkeys(MatchStatus.values, 0)
    for row, digest in parsed:
        name = (row.get("name") or "").strip()
        entry = {"row": row.get("row"), "name": name}
        if digest is None:
            status = MatchStatus.INVALID
            entry["id_number"] = (
                idnumber.mask(str(row.get("id_number") or ""))
                if len(str(row.get("id_number") or "")) > 7
                else ""
            )
        else:
            resident = by_hash.get(digest)
            if resident is None:
                status = MatchStatus.UNMATCHED
            elif (name and name != resident.name) or len(names_by_hash[digest] - {""}) > 1:
                status = MatchStatus.AMBIGUOUS
                entry["resident"] = resident.pk
                entry["resident_name"] = resident.name
            else:
                status = MatchStatus.MATCHED
                entry["resident"] = resident.pk
                to_tag.add(resident.pk)
            entry["id_number"] = by_hash[digest].id_number_masked if digest in by_hash else ""
        entry["status"] = status
        counts[status] += 1
        report.append(entry)
    through = Resident.tags.through
    existing = set(
        through.objects.filter(tag=tag, resident_id__in=to_tag).values_list(
            "resident_id", flat=True
        )
    )
    through.objects.bulk_create([through(resident_id=r, tag_id=tag.pk) for r in to_tag - existing])
    if tag.target == TagTarget.BOTH and to_tag:
        hh_ids = set(Resident.objects.filter(pk__in=to_tag).values_list("household_id", flat=True))
        hthrough = Household.tags.through
        have = set(
            hthrough.objects.filter(tag=tag, household_id__in=hh_ids).values_list(
                "household_id", flat=True
            )
        )
        hthrough.objects.bulk_create(
            [hthrough(household_id=h, tag_id=tag.pk) for h in hh_ids - have]
        )
    record = ListImport.objects.create(
        source=source,
        tag=tag,
        file_name=file_name[:200],
        total_rows=len(rows),
        matched=counts[MatchStatus.MATCHED],
        unmatched=counts[MatchStatus.UNMATCHED],
        ambiguous=counts[MatchStatus.AMBIGUOUS],
        invalid=counts[MatchStatus.INVALID],
        report=report,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit(
        actor=actor,
        verb="people.list_import",
        obj=record,
        data={"tag": tag.code, "matched": record.matched, "rows": len(rows)},
    )
    return record

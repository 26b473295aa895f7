"""Writes to the party network. Every function: keyword-only, actor explicit (None = the
system, e.g. the demo loader or a console import), one transaction, state checked, audited."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.areas.choices import AreaLevel
from wangge.areas.models import Area
from wangge.core.audit import audit
from wangge.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from wangge.core.events import emit
from wangge.people.models import Household

from .choices import (
    ALLOWED_PARENT_KINDS,
    BRANCH_KINDS,
    VILLAGE_KINDS,
    BranchRatingState,
    CallStatus,
    EvaluationStage,
    GridLevel,
    MeetingKind,
    MemberStatus,
    ModelPostKind,
    NeedSource,
    NeedStatus,
    OrgChangeKind,
    OrgKind,
    RatingState,
    Star,
    TeamKind,
    TeamPurpose,
)
from .models import (
    Attendance,
    BranchStarRating,
    Contact,
    DualRegistration,
    Meeting,
    Mobilisation,
    ModelPost,
    Need,
    PartyMember,
    PartyOrg,
    PartyOrgChange,
    ServiceRecord,
    SignUp,
    StarEvaluation,
    StarRating,
    Team,
)
from .selectors import (
    ancestor_paths,
    branch_of,
    can_manage_party_area,
    contact_quota,
    covered_paths,
    is_org_organiser,
    member_of_user,
    party_scope,
)


def _uid(actor):
    return actor if getattr(actor, "pk", None) else None


def _check_org_write(actor, org: PartyOrg) -> None:
    """The actor may change this organisation's subtree (None = system): Capability.MANAGE_PARTY
    over its area, or an organiser of it or of one above it (see selectors.party_scope)."""
    if actor is None:
        return
    if not party_scope(actor, write=True).covers_org(org):
        raise PermissionDenied(
            _("You cannot manage the party organisation %(org)s.") % {"org": org.name}
        )


def _check_area_write(actor, path: str) -> None:
    if actor is None:
        return
    if not party_scope(actor, write=True).covers_area(path):
        raise PermissionDenied(_("You cannot manage the party network of this area."))


def _check_organiser(actor, org: PartyOrg, message) -> None:
    if actor is None:
        return
    if not is_org_organiser(actor, org):
        raise PermissionDenied(message)


def _text(value, *, field: str, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(_("This field is required."), field=field)
    if len(value) > max_length:
        raise DomainError(_("At most %(n)d characters.") % {"n": max_length}, field=field)
    return value


def _names_path(org: PartyOrg) -> str:
    names = PartyOrg.objects.filter(path__in=ancestor_paths(org.path)).order_by("depth")
    return " / ".join(names.values_list("name", flat=True))


def _record_change(org, kind, actor, **kwargs) -> PartyOrgChange:
    return PartyOrgChange.objects.create(org=org, kind=kind, actor=_uid(actor), **kwargs)


# -- organisations ------------------------------------------------------------------------


def _clean_areas(area: Area, areas: Iterable[Area] | None) -> list[Area]:
    areas = list(areas or [])
    for a in areas:
        if not a.path.startswith(area.path):
            raise DomainError(
                _("%(area)s is not inside %(parent)s.") % {"area": a.name, "parent": area.name},
                field="areas",
            )
    return areas


def _check_kind(kind: str, parent: PartyOrg | None) -> None:
    if kind not in OrgKind.values:
        raise DomainError(_("Unknown kind of party organisation."), field="kind")
    allowed = ALLOWED_PARENT_KINDS[kind]
    parent_kind = parent.kind if parent is not None else None
    if parent_kind not in allowed:
        if parent is None:
            raise DomainError(
                _("A %(kind)s needs a parent organisation.") % {"kind": OrgKind(kind).label},
                field="parent",
            )
        raise DomainError(
            _("A %(kind)s cannot be placed under a %(parent)s.")
            % {"kind": OrgKind(kind).label, "parent": OrgKind(parent_kind).label},
            field="parent",
        )


def _check_quota(lo, hi) -> None:
    if lo is not None and hi is not None and hi < lo:
        raise DomainError(
            _("The maximum number of contact households is below the minimum."),
            field="contact_quota_max",
        )


@transaction.atomic
def org_create(
    *,
    actor,
    parent: PartyOrg | None,
    name: str,
    kind: str,
    area: Area,
    areas: Iterable[Area] | None = None,
    contact_quota_min: int | None = None,
    contact_quota_max: int | None = None,
) -> PartyOrg:
    name = _text(name, field="name", max_length=100, required=True)
    _check_kind(kind, parent)
    if parent is not None:
        parent = PartyOrg.objects.get(pk=parent.pk)
        _check_org_write(actor, parent)
        if not area.path.startswith(parent.area_path):
            raise DomainError(
                _("The area of %(name)s must lie inside the area of %(parent)s.")
                % {"name": name, "parent": parent.name},
                field="area",
            )
    elif actor is not None and not can_manage_party_area(actor, area.path):
        # A root (a town committee) needs the capability itself: running an organisation
        # somewhere in the area is not enough.
        raise PermissionDenied(_("You cannot manage the party network of this area."))
    if kind == OrgKind.ORGAN_BRANCH and (parent is None or area.pk != parent.area_id):
        raise DomainError(
            _("A town organ party branch belongs to the town of its town committee."),
            field="area",
        )
    _check_quota(contact_quota_min, contact_quota_max)
    areas = _clean_areas(area, areas)
    if PartyOrg.objects.filter(parent=parent, name=name).exists():
        raise DomainError(_("%(name)s already exists here.") % {"name": name}, field="name")
    fields = dict(
        name=name,
        kind=kind,
        area=area,
        area_path=area.path,
        parent=parent,
        contact_quota_min=contact_quota_min,
        contact_quota_max=contact_quota_max,
    )
    try:
        with transaction.atomic():
            org = (
                PartyOrg.objects.add_root(create_kwargs=fields)
                if parent is None
                else PartyOrg.objects.add_child(parent, create_kwargs=fields)
            )
    except IntegrityError as exc:
        raise DomainError(_("%(name)s already exists here.") % {"name": name}) from exc
    if areas:
        org.areas.set(areas)
    _record_change(
        org, OrgChangeKind.CREATE, actor, new_parent=parent, new_name=name, new_kind=kind
    )
    audit(actor=actor, verb="party.org.create", obj=org, data={"kind": kind, "area": area.code})
    return org


@transaction.atomic
def org_rename(*, actor, org: PartyOrg, name: str) -> PartyOrg:
    org = PartyOrg.objects.select_for_update(of=("self",)).get(pk=org.pk)
    _check_org_write(actor, org)
    name = _text(name, field="name", max_length=100, required=True)
    if name == org.name:
        raise DomainError(_("The name is unchanged."), field="name")
    if PartyOrg.objects.filter(parent_id=org.parent_id, name=name).exclude(pk=org.pk).exists():
        raise DomainError(_("%(name)s already exists here.") % {"name": name}, field="name")
    old = org.name
    PartyOrg.objects.filter(pk=org.pk).update(name=name, updated_at=timezone.now())
    org.refresh_from_db()
    _record_change(org, OrgChangeKind.RENAME, actor, old_name=old, new_name=name)
    audit(actor=actor, verb="party.org.rename", obj=org, data={"from": old, "to": name})
    return org


@transaction.atomic
def org_set_areas(
    *,
    actor,
    org: PartyOrg,
    area: Area | None = None,
    areas: Iterable[Area] | None = None,
    contact_quota_min: int | None = ...,  # type: ignore[assignment]
    contact_quota_max: int | None = ...,  # type: ignore[assignment]
) -> PartyOrg:
    """Change the principal area, the covered areas or the contact quota of an organisation."""
    org = PartyOrg.objects.select_for_update(of=("self",)).get(pk=org.pk)
    _check_org_write(actor, org)
    new_area = area or org.area
    if org.parent_id:
        parent = org.parent
        if not new_area.path.startswith(parent.area_path):
            raise DomainError(
                _("The area of %(name)s must lie inside the area of %(parent)s.")
                % {"name": org.name, "parent": parent.name},
                field="area",
            )
    if new_area.pk != org.area_id:
        for child in PartyOrg.objects.filter(path__startswith=org.path).exclude(pk=org.pk):
            if not child.area_path.startswith(new_area.path):
                raise DomainError(
                    _("%(child)s lies outside the new area.") % {"child": child.name},
                    field="area",
                )
    clean = _clean_areas(new_area, areas if areas is not None else org.areas.all())
    lo = org.contact_quota_min if contact_quota_min is ... else contact_quota_min
    hi = org.contact_quota_max if contact_quota_max is ... else contact_quota_max
    _check_quota(lo, hi)
    PartyOrg.objects.filter(pk=org.pk).update(
        area=new_area, area_path=new_area.path, contact_quota_min=lo, contact_quota_max=hi
    )
    PartyMember.objects.filter(org=org).update(area_path=new_area.path)
    org.areas.set(clean)
    org.refresh_from_db()
    _record_change(org, OrgChangeKind.AREAS, actor, note=", ".join(a.code for a in clean)[:500])
    audit(
        actor=actor,
        verb="party.org.areas",
        obj=org,
        data={"area": new_area.code, "areas": [a.code for a in clean], "quota": [lo, hi]},
    )
    return org


@transaction.atomic
def org_set_organisers(*, actor, org: PartyOrg, users: Iterable) -> PartyOrg:
    org = PartyOrg.objects.get(pk=org.pk)
    _check_org_write(actor, org)
    users = list(users)
    org.organisers.set(users)
    audit(actor=actor, verb="party.org.organisers", obj=org, data={"users": [u.pk for u in users]})
    return org


def _move(org: PartyOrg, new_parent: PartyOrg) -> PartyOrg:
    PartyOrg.objects.move(org, new_parent, pos="last-child")
    PartyOrg.objects.filter(pk=org.pk).update(parent=new_parent)
    return PartyOrg.objects.get(pk=org.pk)


@transaction.atomic
def org_move(*, actor, org: PartyOrg, new_parent: PartyOrg, note: str = "") -> PartyOrg:
    """Move an organisation with its subtree under another parent; members and history stay
    attached."""
    org = PartyOrg.objects.get(pk=org.pk)
    new_parent = PartyOrg.objects.get(pk=new_parent.pk)
    _check_org_write(actor, org)
    _check_org_write(actor, new_parent)
    if new_parent.path.startswith(org.path):
        raise DomainError(_("An organisation cannot be moved under itself."), field="new_parent")
    if org.parent_id == new_parent.pk:
        raise DomainError(_("The organisation is already there."), field="new_parent")
    _check_kind(org.kind, new_parent)
    if not org.area_path.startswith(new_parent.area_path):
        raise DomainError(
            _("The area of %(name)s must lie inside the area of %(parent)s.")
            % {"name": org.name, "parent": new_parent.name},
            field="new_parent",
        )
    if PartyOrg.objects.filter(parent=new_parent, name=org.name).exists():
        raise DomainError(
            _("%(name)s already exists there.") % {"name": org.name}, field="new_parent"
        )
    old_parent, old_names = org.parent, _names_path(org)
    org = _move(org, new_parent)
    _record_change(
        org,
        OrgChangeKind.MOVE,
        actor,
        old_parent=old_parent,
        new_parent=new_parent,
        old_path_names=old_names[:500],
        note=note[:500],
    )
    audit(
        actor=actor,
        verb="party.org.move",
        obj=org,
        data={"from": getattr(old_parent, "pk", None), "to": new_parent.pk},
    )
    return org


@transaction.atomic
def orgs_restructure_merge(
    *, actor, sources: list[PartyOrg], target: PartyOrg, note: str = ""
) -> PartyOrg:
    """大村制: the party organisations of merged villages become grid branches 网格党支部 of the
    new village committee 新村党委. Each keeps its id, members and history; its area (the old
    village, now a grid of the new village after areas.villages_merge) is kept. A source that
    still has grid branches of its own must be restructured first."""
    target = PartyOrg.objects.get(pk=target.pk)
    _check_org_write(actor, target)
    if target.kind not in (OrgKind.VILLAGE_COMMITTEE, OrgKind.GENERAL_BRANCH):
        raise DomainError(
            _("Organisations can only be merged into a village committee or general branch."),
            field="target",
        )
    if not sources:
        raise DomainError(_("Choose the organisations to merge."), field="sources")
    loaded = []
    for src in sources:
        src = PartyOrg.objects.get(pk=src.pk)
        _check_org_write(actor, src)
        if src.pk == target.pk or src.kind not in VILLAGE_KINDS:
            raise DomainError(
                _("%(name)s is not a village organisation that can be merged.")
                % {"name": src.name},
                field="sources",
            )
        if target.path.startswith(src.path):
            raise DomainError(_("An organisation cannot be merged into itself."), field="target")
        if (
            PartyOrg.objects.filter(path__startswith=src.path, kind=OrgKind.GRID_BRANCH)
            .exclude(pk=src.pk)
            .exists()
        ):
            raise DomainError(
                _("%(name)s has grid branches; restructure them before merging.")
                % {"name": src.name},
                field="sources",
            )
        if not src.area_path.startswith(target.area_path):
            raise DomainError(
                _(
                    "The area of %(name)s is not inside the area of %(target)s; merge the villages first."
                )
                % {"name": src.name, "target": target.name},
                field="sources",
            )
        if PartyOrg.objects.filter(parent=target, name=src.name).exists():
            raise DomainError(
                _("%(name)s already exists there.") % {"name": src.name}, field="sources"
            )
        loaded.append(src)
    for src in loaded:
        old_parent, old_kind, old_names = src.parent, src.kind, _names_path(src)
        src = _move(src, target)
        PartyOrg.objects.filter(pk=src.pk).update(kind=OrgKind.GRID_BRANCH)
        _record_change(
            src,
            OrgChangeKind.RESTRUCTURE,
            actor,
            old_parent=old_parent,
            new_parent=target,
            old_kind=old_kind,
            new_kind=OrgKind.GRID_BRANCH,
            old_path_names=old_names[:500],
            note=(note or _("merged (大村制)"))[:500],
        )
        audit(
            actor=actor,
            verb="party.org.restructure",
            obj=src,
            data={"into": target.pk, "old_kind": old_kind},
        )
    return PartyOrg.objects.get(pk=target.pk)


@transaction.atomic
def org_dissolve(*, actor, org: PartyOrg, note: str = "") -> PartyOrg:
    org = PartyOrg.objects.select_for_update(of=("self",)).get(pk=org.pk)
    _check_org_write(actor, org)
    if not org.is_active:
        raise TransitionNotAllowed(_("The organisation is already dissolved."))
    if PartyMember.objects.filter(org__path__startswith=org.path, is_active=True).exists():
        raise DomainError(_("Transfer the members before dissolving the organisation."))
    PartyOrg.objects.filter(path__startswith=org.path).update(is_active=False)
    _record_change(org, OrgChangeKind.DISSOLVE, actor, note=note[:500])
    audit(actor=actor, verb="party.org.dissolve", obj=org)
    org.refresh_from_db()
    return org


# -- members ------------------------------------------------------------------------------


def in_organ_branch(org: PartyOrg) -> bool:
    """Whether an organisation is a town organ branch 机关支部 or lies under one."""
    branch = branch_of(org)
    return branch is not None and branch.kind == OrgKind.ORGAN_BRANCH


def _member_org(org: PartyOrg) -> PartyOrg:
    if not org.is_active:
        raise DomainError(_("%(org)s is dissolved.") % {"org": org.name}, field="org")
    if org.kind == OrgKind.TOWN_COMMITTEE:
        raise DomainError(
            _("Members belong to a village or grid organisation, not to the town committee."),
            field="org",
        )
    return org


@transaction.atomic
def member_create(
    *,
    actor,
    org: PartyOrg,
    name: str,
    join_date: dt.date,
    status: str = MemberStatus.FULL,
    birth_date: dt.date | None = None,
    phone: str = "",
    grid_level: int = GridLevel.MEMBER,
    is_mobile: bool = False,
    is_in_service: bool = False,
    workplace: str = "",
    is_central_household: bool = False,
    resident=None,
    user=None,
) -> PartyMember:
    from wangge.people.services import clean_phone

    org = _member_org(PartyOrg.objects.get(pk=org.pk))
    _check_org_write(actor, org)
    if status not in MemberStatus.values:
        raise DomainError(_("Unknown member status."), field="status")
    if grid_level not in GridLevel.values:
        raise DomainError(_("The party-grid level is 1 to 4."), field="grid_level")
    if join_date > timezone.localdate():
        raise DomainError(_("The join date is in the future."), field="join_date")
    if resident is not None:
        if PartyMember.objects.filter(resident=resident).exists():
            raise DomainError(_("This resident is already a party member."), field="resident")
        birth_date = birth_date or resident.birth_date
        name = name or resident.name
        phone = phone or resident.phone
    if user is not None and PartyMember.objects.filter(user=user).exists():
        raise DomainError(_("This user is already linked to a party member."), field="user")
    if org.kind == OrgKind.ORGAN_BRANCH:
        is_in_service = True  # town officials are in-service members by definition
    member = PartyMember.objects.create(
        org=org,
        area_path=org.area_path,
        name=_text(name, field="name", max_length=50, required=True),
        phone=clean_phone(phone),
        status=status,
        join_date=join_date,
        birth_date=birth_date,
        grid_level=grid_level,
        is_mobile=is_mobile,
        is_in_service=is_in_service,
        workplace=_text(workplace, field="workplace", max_length=100),
        is_central_household=is_central_household,
        resident=resident,
        user=user,
    )
    if resident is not None and not resident.is_party_member:
        type(resident).objects.filter(pk=resident.pk).update(is_party_member=True)
    audit(actor=actor, verb="party.member.create", obj=member, data={"org": org.pk})
    return member


_MEMBER_FLAGS = ("is_mobile", "is_in_service", "is_central_household")


@transaction.atomic
def member_update(
    *,
    actor,
    member: PartyMember,
    name: str | None = None,
    phone: str | None = None,
    birth_date: dt.date | None = None,
    grid_level: int | None = None,
    workplace: str | None = None,
    is_mobile: bool | None = None,
    is_in_service: bool | None = None,
    is_central_household: bool | None = None,
    user=...,
) -> PartyMember:
    from wangge.people.services import clean_phone

    member = (
        PartyMember.objects.select_for_update(of=("self",)).select_related("org").get(pk=member.pk)
    )
    _check_org_write(actor, member.org)
    changes = {}
    if name is not None:
        member.name = _text(name, field="name", max_length=50, required=True)
        changes["name"] = member.name
    if phone is not None:
        member.phone = clean_phone(phone)
        changes["phone"] = True
    if birth_date is not None:
        member.birth_date = birth_date
        changes["birth_date"] = True
    if grid_level is not None:
        if grid_level not in GridLevel.values:
            raise DomainError(_("The party-grid level is 1 to 4."), field="grid_level")
        member.grid_level = grid_level
        changes["grid_level"] = grid_level
    if workplace is not None:
        member.workplace = _text(workplace, field="workplace", max_length=100)
        changes["workplace"] = True
    for flag, value in (
        ("is_mobile", is_mobile),
        ("is_in_service", is_in_service),
        ("is_central_household", is_central_household),
    ):
        if value is not None:
            setattr(member, flag, bool(value))
            changes[flag] = bool(value)
    if user is not ...:
        if (
            user is not None
            and PartyMember.objects.filter(user=user).exclude(pk=member.pk).exists()
        ):
            raise DomainError(_("This user is already linked to a party member."), field="user")
        member.user = user
        changes["user"] = getattr(user, "pk", None)
    member.save()
    audit(actor=actor, verb="party.member.update", obj=member, data=changes)
    return member


@transaction.atomic
def member_confirm_full(*, actor, member: PartyMember, on: dt.date | None = None) -> PartyMember:
    """Probationary → full member 预备党员转正."""
    member = (
        PartyMember.objects.select_for_update(of=("self",)).select_related("org").get(pk=member.pk)
    )
    _check_org_write(actor, member.org)
    if member.status != MemberStatus.PROBATIONARY:
        raise TransitionNotAllowed(_("Only a probationary member can become a full member."))
    member.status = MemberStatus.FULL
    member.save(update_fields=["status", "updated_at"])
    audit(
        actor=actor,
        verb="party.member.confirm",
        obj=member,
        data={"on": (on or timezone.localdate()).isoformat()},
    )
    return member


@transaction.atomic
def member_transfer(*, actor, member: PartyMember, org: PartyOrg, note: str = "") -> PartyMember:
    """Transfer a member's relation 组织关系转接 to another organisation. Contacts outside the
    areas of the new organisation are ended."""
    member = (
        PartyMember.objects.select_for_update(of=("self",)).select_related("org").get(pk=member.pk)
    )
    org = _member_org(PartyOrg.objects.get(pk=org.pk))
    _check_org_write(actor, member.org)
    _check_org_write(actor, org)
    if member.org_id == org.pk:
        raise DomainError(_("The member is already in this organisation."), field="org")
    old = member.org
    member.org, member.area_path = org, org.area_path
    member.save(update_fields=["org", "area_path", "updated_at"])
    paths = covered_paths(org)
    ended = 0
    for c in Contact.objects.filter(member=member, ended_on__isnull=True).select_related(
        "household"
    ):
        if not any(c.household.area_path.startswith(p) for p in paths):
            Contact.objects.filter(pk=c.pk).update(ended_on=timezone.localdate())
            ended += 1
    audit(
        actor=actor,
        verb="party.member.transfer",
        obj=member,
        data={"from": old.pk, "to": org.pk, "contacts_ended": ended, "note": note[:200]},
    )
    return member


@transaction.atomic
def member_deactivate(*, actor, member: PartyMember, reason: str = "") -> PartyMember:
    member = (
        PartyMember.objects.select_for_update(of=("self",)).select_related("org").get(pk=member.pk)
    )
    _check_org_write(actor, member.org)
    if not member.is_active:
        raise TransitionNotAllowed(_("The member is already inactive."))
    member.is_active = False
    member.save(update_fields=["is_active", "updated_at"])
    Contact.objects.filter(member=member, ended_on__isnull=True).update(
        ended_on=timezone.localdate()
    )
    audit(actor=actor, verb="party.member.deactivate", obj=member, data={"reason": reason[:200]})
    return member


# -- 双报到 ---------------------------------------------------------------------------------


@transaction.atomic
def dual_register(
    *,
    actor,
    member: PartyMember,
    community: Area,
    registered_on: dt.date | None = None,
    note: str = "",
) -> DualRegistration:
    """An in-service member reports in 报到 to a community (a village-level area)."""
    member = PartyMember.objects.select_related("org", "user").get(pk=member.pk)
    if actor is not None and actor != member.user:
        _check_org_write(actor, member.org)
    if not member.is_active:
        raise DomainError(_("%(member)s is not an active member.") % {"member": member.name})
    if not (member.is_in_service or in_organ_branch(member.org)):
        raise DomainError(_("Only in-service members report in to a community."), field="member")
    if community.level != AreaLevel.VILLAGE:
        raise DomainError(_("Members report in to a village or community."), field="community")
    if DualRegistration.objects.filter(
        member=member, community=community, ended_on__isnull=True
    ).exists():
        raise DomainError(
            _("%(member)s has already reported in to %(community)s.")
            % {"member": member.name, "community": community.name},
            field="community",
        )
    reg = DualRegistration.objects.create(
        member=member,
        community=community,
        community_path=community.path,
        registered_on=registered_on or timezone.localdate(),
        note=_text(note, field="note", max_length=200),
    )
    audit(actor=actor, verb="party.dual_register", obj=reg, data={"community": community.code})
    return reg


@transaction.atomic
def dual_registration_end(
    *, actor, registration: DualRegistration, on: dt.date | None = None
) -> DualRegistration:
    reg = (
        DualRegistration.objects.select_for_update(of=("self",))
        .select_related("member__org")
        .get(pk=registration.pk)
    )
    if actor is not None and actor != reg.member.user:
        _check_org_write(actor, reg.member.org)
    if reg.ended_on is not None:
        raise TransitionNotAllowed(_("This registration has already ended."))
    reg.ended_on = on or timezone.localdate()
    reg.save(update_fields=["ended_on"])
    audit(actor=actor, verb="party.dual_register.end", obj=reg)
    return reg


@transaction.atomic
def service_record_add(
    *, actor, registration: DualRegistration, date: dt.date, description: str, hours
) -> ServiceRecord:
    """Record a service done in the community by a member who reported in. The community's
    staff (any post covering it), the member's organisation or the member may record it."""
    from wangge.accounts.selectors import user_scope

    reg = DualRegistration.objects.select_related("member__org", "member__user").get(
        pk=registration.pk
    )
    if actor is not None and actor != reg.member.user:
        if not (
            user_scope(actor).covers(reg.community_path)
            or party_scope(actor, write=True).covers_org(reg.member.org)
        ):
            raise PermissionDenied(_("You cannot record services for this community."))
    if reg.ended_on is not None and date > reg.ended_on:
        raise DomainError(_("The registration had ended by then."), field="date")
    if date < reg.registered_on or date > timezone.localdate():
        raise DomainError(_("The date is outside the registration."), field="date")
    try:
        hours = Decimal(str(hours)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter the hours as a number."), field="hours")
    if not Decimal("0") < hours <= Decimal("24"):
        raise DomainError(_("The hours must be between 0 and 24."), field="hours")
    rec = ServiceRecord.objects.create(
        registration=reg,
        date=date,
        description=_text(description, field="description", max_length=300, required=True),
        hours=hours,
        recorded_by=_uid(actor),
    )
    audit(actor=actor, verb="party.service_record", obj=rec, data={"hours": str(hours)})
    return rec


# -- contacts 联户 ----------------------------------------------------------------------------


def _check_contactable(member: PartyMember, household: Household, paths: list[str]) -> None:
    if not member.is_active:
        raise DomainError(_("%(member)s is not an active member.") % {"member": member.name})
    if not any(household.area_path.startswith(p) for p in paths):
        raise DomainError(
            _(
                "Household %(household)s is outside the areas of %(org)s; choose a member of an organisation serving it."
            )
            % {"household": household.number, "org": member.org.name},
            field="household",
        )


@transaction.atomic
def contact_assign(
    *, actor, member: PartyMember, household: Household, on: dt.date | None = None
) -> Contact:
    """Assign a household to a member 联户 by hand. Refused when the household lies outside the
    areas of the member's organisation, is already assigned, or the member is at quota."""
    member = (
        PartyMember.objects.select_for_update(of=("self",)).select_related("org").get(pk=member.pk)
    )
    household = Household.objects.get(pk=household.pk)
    _check_org_write(actor, member.org)
    _check_contactable(member, household, covered_paths(member.org))
    current = (
        Contact.objects.filter(household=household, ended_on__isnull=True)
        .select_related("member")
        .first()
    )
    if current is not None:
        raise DomainError(
            _("Household %(household)s is already in contact with %(member)s.")
            % {"household": household.number, "member": current.member.name},
            field="household",
        )
    _lo, hi = contact_quota(member.org)
    load = Contact.objects.filter(member=member, ended_on__isnull=True).count()
    if load >= hi:
        raise DomainError(
            _("%(member)s already keeps in touch with %(n)d households, the maximum.")
            % {"member": member.name, "n": load},
            field="member",
        )
    contact = Contact.objects.create(
        member=member,
        household=household,
        assigned_on=on or timezone.localdate(),
        assigned_by=_uid(actor),
    )
    audit(
        actor=actor,
        verb="party.contact.assign",
        obj=contact,
        data={"member": member.pk, "household": household.number},
    )
    return contact


@transaction.atomic
def contact_end(*, actor, contact: Contact, on: dt.date | None = None) -> Contact:
    contact = (
        Contact.objects.select_for_update(of=("self",))
        .select_related("member__org")
        .get(pk=contact.pk)
    )
    _check_org_write(actor, contact.member.org)
    if contact.ended_on is not None:
        raise TransitionNotAllowed(_("This contact has already ended."))
    contact.ended_on = on or timezone.localdate()
    contact.save(update_fields=["ended_on"])
    audit(actor=actor, verb="party.contact.end", obj=contact)
    return contact


@transaction.atomic
def contact_record_visit(
    *, actor, household: Household, at: dt.datetime | None = None, member: PartyMember | None = None
) -> Contact | None:
    """Note that the household's contact member has been in touch (a visit, a call). Called
    by the fieldwork app when a visit is recorded. Returns the contact row, or None when the
    household has no contact member. A visit by another member does not count for the
    contact member."""
    at = at or timezone.now()
    contact = (
        Contact.objects.select_for_update(of=("self",))
        .filter(household=household, ended_on__isnull=True)
        .select_related("member")
        .first()
    )
    if contact is None:
        return None
    if member is not None and member.pk != contact.member_id:
        return None
    if contact.last_contact_at is None or at > contact.last_contact_at:
        contact.last_contact_at = at
        contact.save(update_fields=["last_contact_at"])
        audit(actor=actor, verb="party.contact.visit", obj=contact, data={"at": at.isoformat()})
    return contact


@dataclass
class ContactPlan:
    """A proposed assignment of households to members inside a grid (not yet applied)."""

    grid_id: int
    assignments: list[tuple[int, int]] = field(default_factory=list)  # (household, member)
    unassigned: list[int] = field(default_factory=list)  # households no member could take
    loads: dict[int, int] = field(default_factory=dict)  # member → load after the plan

    def as_dict(self) -> dict:
        return {
            "grid": self.grid_id,
            "assignments": [{"household": h, "member": m} for h, m in self.assignments],
            "unassigned": list(self.unassigned),
            "loads": {str(k): v for k, v in self.loads.items()},
        }


def contacts_propose(*, actor, grid: Area) -> ContactPlan:
    """Propose contact members for the uncovered households of a grid, balancing the load: each
    household goes to the least-loaded eligible member (one whose organisation serves it) below
    their maximum. Reads only; apply the plan with contacts_apply_plan."""
    if grid.level != AreaLevel.GRID:
        raise DomainError(_("Contacts are balanced inside a grid."), field="grid")
    if actor is not None and not party_scope(actor, write=True).covers_area(grid.path):
        raise PermissionDenied(_("You cannot manage the party network of this area."))
    households = list(
        Household.objects.filter(area_path__startswith=grid.path)
        .exclude(Exists(Contact.objects.filter(household=OuterRef("pk"), ended_on__isnull=True)))
        .order_by("area_path", "number")
        .values_list("pk", "area_path")
    )
    # Members whose organisation serves some part of the grid (or the whole of it).
    orgs = [
        o
        for o in PartyOrg.objects.filter(is_active=True)
        .filter(Q(area_path__startswith=grid.path) | Q(area_path__in=ancestor_paths(grid.path, 4)))
        .prefetch_related("areas")
    ]
    org_paths = {o.pk: covered_paths(o) for o in orgs}
    org_quota = {o.pk: contact_quota(o) for o in orgs}
    members = list(
        PartyMember.objects.filter(is_active=True, org__in=orgs)
        .annotate(load=Count("contacts", filter=Q(contacts__ended_on__isnull=True)))
        .order_by("id")
    )
    loads = {m.pk: m.load for m in members}
    plan = ContactPlan(grid_id=grid.pk)
    for hh_id, path in households:
        eligible = [
            m
            for m in members
            if any(path.startswith(p) for p in org_paths[m.org_id])
            and loads[m.pk] < org_quota[m.org_id][1]
        ]
        if not eligible:
            plan.unassigned.append(hh_id)
            continue
        # Fill members below their minimum first, then spread evenly.
        best = min(
            eligible,
            key=lambda m: (loads[m.pk] >= org_quota[m.org_id][0], loads[m.pk], m.pk),
        )
        plan.assignments.append((hh_id, best.pk))
        loads[best.pk] += 1
    plan.loads = loads
    return plan


@transaction.atomic
def contacts_apply_plan(*, actor, plan: ContactPlan) -> list[Contact]:
    """Apply a proposed plan; every assignment is checked again (a stale plan is refused as a
    whole)."""
    out = []
    members = PartyMember.objects.in_bulk({m for _h, m in plan.assignments})
    households = Household.objects.in_bulk({h for h, _m in plan.assignments})
    for hh_id, member_id in plan.assignments:
        if hh_id not in households or member_id not in members:
            raise DomainError(_("The plan is out of date; propose it again."))
        out.append(
            contact_assign(actor=actor, member=members[member_id], household=households[hh_id])
        )
    audit(
        actor=actor,
        verb="party.contact.plan",
        object_type="areas.area",
        object_id=plan.grid_id,
        data={"assigned": len(out)},
    )
    return out


# -- five-star rating 五星创评 --------------------------------------------------------------


def _stars(stars: Iterable[str], field: str = "stars") -> list[str]:
    out = []
    for s in stars or []:
        if s not in Star.values:
            raise DomainError(_("Unknown star: %(star)s.") % {"star": s}, field=field)
        if s not in out:
            out.append(s)
    return [s for s in Star.values if s in out]


def _rating_for_update(rating: StarRating) -> StarRating:
    return (
        StarRating.objects.select_for_update(of=("self",))
        .select_related("member__user", "branch")
        .get(pk=rating.pk)
    )


def _expect(rating: StarRating, *states: str) -> None:
    if rating.state not in states:
        raise TransitionNotAllowed(
            _("This step is not possible now: the rating is at the stage “%(stage)s”.")
            % {"stage": RatingState(rating.state).label}
        )


@transaction.atomic
def star_rating_open(*, actor, member: PartyMember, year: int) -> StarRating:
    """Open a member's five-star rating for a year (by the branch's organiser, or the member)."""
    member = PartyMember.objects.select_related("org", "user").get(pk=member.pk)
    if actor is not None and actor != member.user:
        _check_org_write(actor, member.org)
    if not member.is_active:
        raise DomainError(_("%(member)s is not an active member.") % {"member": member.name})
    branch = branch_of(member.org)
    if branch is None:
        raise DomainError(_("The member's organisation has no branch."))
    if StarRating.objects.filter(member=member, year=year).exists():
        raise DomainError(
            _("The %(year)d rating of %(member)s is already open.")
            % {"year": year, "member": member.name},
            field="year",
        )
    rating = StarRating.objects.create(member=member, year=year, branch=branch)
    audit(actor=actor, verb="party.star.open", obj=rating, data={"year": year})
    return rating


@transaction.atomic
def star_ratings_open_for_branch(*, actor, branch: PartyOrg, year: int) -> list[StarRating]:
    """Open the year's rating for every active member of a branch who has none yet."""
    branch = PartyOrg.objects.get(pk=branch.pk)
    if branch.kind not in BRANCH_KINDS:
        raise DomainError(_("Star ratings are run by a branch."), field="branch")
    _check_org_write(actor, branch)
    candidates = (
        PartyMember.objects.filter(is_active=True, org__path__startswith=branch.path)
        .exclude(star_ratings__year=year)
        .select_related("org")
    )
    out = []
    for m in candidates:
        if branch_of(m.org).pk == branch.pk:
            out.append(StarRating(member=m, year=year, branch=branch))
    StarRating.objects.bulk_create(out)
    audit(
        actor=actor, verb="party.star.open_branch", obj=branch, data={"year": year, "n": len(out)}
    )
    return out


@transaction.atomic
def star_self_evaluate(
    *, actor, rating: StarRating, stars: Iterable[str], comment: str = ""
) -> StarRating:
    """党员自评: by the member, on their own user account."""
    rating = _rating_for_update(rating)
    if actor is None or rating.member.user_id is None or actor.pk != rating.member.user_id:
        raise PermissionDenied(_("Only the member can evaluate themselves."))
    _expect(rating, RatingState.OPEN)
    stars = _stars(stars)
    StarEvaluation.objects.create(
        rating=rating,
        stage=EvaluationStage.SELF,
        evaluator=actor,
        evaluator_member=rating.member,
        stars=stars,
        comment=_text(comment, field="comment", max_length=500),
    )
    rating.self_stars = stars
    rating.state = RatingState.SELF_EVALUATED
    rating.save(update_fields=["self_stars", "state", "updated_at"])
    audit(actor=actor, verb="party.star.self", obj=rating, data={"stars": stars})
    return rating


@transaction.atomic
def star_peer_evaluate(
    *, actor, rating: StarRating, stars: Iterable[str], comment: str = ""
) -> StarRating:
    """党员互评: by another active member of the same branch, once each. The first peer
    evaluation moves the rating on; more peers may still evaluate until the public stage."""
    rating = _rating_for_update(rating)
    peer = member_of_user(actor)
    if peer is None or peer.pk == rating.member_id:
        raise PermissionDenied(_("Only another member of the branch can evaluate a peer."))
    peer_branch = branch_of(peer.org)
    if peer_branch is None or peer_branch.pk != rating.branch_id:
        raise PermissionDenied(_("Only another member of the branch can evaluate a peer."))
    _expect(rating, RatingState.SELF_EVALUATED, RatingState.PEER_EVALUATED)
    if StarEvaluation.objects.filter(
        rating=rating, stage=EvaluationStage.PEER, evaluator_member=peer
    ).exists():
        raise DomainError(_("You have already evaluated this member."))
    stars = _stars(stars)
    StarEvaluation.objects.create(
        rating=rating,
        stage=EvaluationStage.PEER,
        evaluator=actor,
        evaluator_member=peer,
        stars=stars,
        comment=_text(comment, field="comment", max_length=500),
    )
    if rating.state != RatingState.PEER_EVALUATED:
        rating.state = RatingState.PEER_EVALUATED
        rating.save(update_fields=["state", "updated_at"])
    audit(actor=actor, verb="party.star.peer", obj=rating, data={"stars": stars})
    return rating


@transaction.atomic
def star_public_enter(
    *, actor, rating: StarRating, votes: dict[str, tuple[int, int]], comment: str = ""
) -> StarRating:
    """群众参评: the branch organiser enters the residents' votes per star (for, against). A
    star passes the public evaluation with a simple majority of the votes cast on it."""
    rating = _rating_for_update(rating)
    _check_organiser(
        actor, rating.branch, _("Only the branch's organiser can enter the public evaluation.")
    )
    _expect(rating, RatingState.PEER_EVALUATED)
    clean: dict[str, list[int]] = {}
    for star, pair in (votes or {}).items():
        _stars([star], field="votes")
        try:
            yes, no = (int(pair[0]), int(pair[1]))
        except (TypeError, ValueError, IndexError):
            raise DomainError(_("Enter the votes for and against as numbers."), field="votes")
        if yes < 0 or no < 0:
            raise DomainError(_("Votes cannot be negative."), field="votes")
        clean[star] = [yes, no]
    if not clean:
        raise DomainError(_("Enter the votes of the public evaluation."), field="votes")
    passed = _stars(s for s, (yes, no) in clean.items() if yes > no)
    StarEvaluation.objects.create(
        rating=rating,
        stage=EvaluationStage.PUBLIC,
        evaluator=_uid(actor),
        stars=passed,
        votes=clean,
        comment=_text(comment, field="comment", max_length=500),
    )
    rating.public_stars = passed
    rating.state = RatingState.PUBLIC_EVALUATED
    rating.save(update_fields=["public_stars", "state", "updated_at"])
    audit(actor=actor, verb="party.star.public", obj=rating, data={"votes": clean})
    return rating


@transaction.atomic
def star_propose(
    *, actor, rating: StarRating, stars: Iterable[str], comment: str = ""
) -> StarRating:
    """党组织拟定: the branch's party organiser proposes the stars."""
    rating = _rating_for_update(rating)
    _check_organiser(actor, rating.branch, _("Only the branch's organiser can propose the stars."))
    _expect(rating, RatingState.PUBLIC_EVALUATED)
    stars = _stars(stars)
    StarEvaluation.objects.create(
        rating=rating,
        stage=EvaluationStage.PROPOSAL,
        evaluator=_uid(actor),
        stars=stars,
        comment=_text(comment, field="comment", max_length=500),
    )
    rating.proposed_stars = stars
    rating.state = RatingState.PROPOSED
    rating.save(update_fields=["proposed_stars", "state", "updated_at"])
    audit(actor=actor, verb="party.star.propose", obj=rating, data={"stars": stars})
    return rating


def _superior(rating: StarRating) -> PartyOrg:
    superior = rating.branch.parent
    if superior is None:
        raise DomainError(_("The branch has no superior organisation."))
    return superior


@transaction.atomic
def star_approve(
    *, actor, rating: StarRating, stars: Iterable[str] | None = None, comment: str = ""
) -> StarRating:
    """上级党组织核定: the superior organisation's organiser approves the proposal (or fewer
    stars than proposed)."""
    rating = _rating_for_update(rating)
    _check_organiser(
        actor,
        _superior(rating),
        _("Only the superior organisation's organiser can approve the stars."),
    )
    _expect(rating, RatingState.PROPOSED)
    final = rating.proposed_stars if stars is None else _stars(stars)
    if not set(final) <= set(rating.proposed_stars):
        raise DomainError(
            _(
                "The superior organisation can approve the proposed stars or fewer; return the proposal to change it."
            ),
            field="stars",
        )
    StarEvaluation.objects.create(
        rating=rating,
        stage=EvaluationStage.APPROVAL,
        evaluator=_uid(actor),
        stars=final,
        comment=_text(comment, field="comment", max_length=500),
    )
    rating.stars = final
    rating.star_count = len(final)
    rating.state = RatingState.APPROVED
    rating.approved_at = timezone.now()
    rating.approved_by = _uid(actor)
    rating.save(
        update_fields=["stars", "star_count", "state", "approved_at", "approved_by", "updated_at"]
    )
    audit(actor=actor, verb="party.star.approve", obj=rating, data={"stars": final})
    return rating


@transaction.atomic
def star_return(*, actor, rating: StarRating, reason: str) -> StarRating:
    """The superior organisation sends the proposal back to the branch to propose again."""
    rating = _rating_for_update(rating)
    _check_organiser(
        actor,
        _superior(rating),
        _("Only the superior organisation's organiser can return the proposal."),
    )
    _expect(rating, RatingState.PROPOSED)
    reason = _text(reason, field="reason", max_length=500, required=True)
    StarEvaluation.objects.create(
        rating=rating, stage=EvaluationStage.RETURN, evaluator=_uid(actor), comment=reason
    )
    rating.state = RatingState.PUBLIC_EVALUATED
    rating.proposed_stars = []
    rating.save(update_fields=["state", "proposed_stars", "updated_at"])
    audit(actor=actor, verb="party.star.return", obj=rating, data={"reason": reason})
    return rating


# -- branch star rating 评星定级 ------------------------------------------------------------


@transaction.atomic
def branch_rating_propose(
    *, actor, org: PartyOrg, year: int, stars: int, note: str = ""
) -> BranchStarRating:
    """Propose the year's star grade of a village-level branch (by its own organiser or any
    party manager over it). A proposal may be revised until it is approved."""
    org = PartyOrg.objects.get(pk=org.pk)
    if org.kind not in VILLAGE_KINDS:
        raise DomainError(_("Star grades are given to village-level organisations."), field="org")
    if actor is not None and not is_org_organiser(actor, org):
        _check_org_write(actor, org)
    if not 1 <= int(stars) <= 5:
        raise DomainError(_("A branch has 1 to 5 stars."), field="stars")
    rating = (
        BranchStarRating.objects.select_for_update(of=("self",)).filter(org=org, year=year).first()
    )
    if rating is not None and rating.state == BranchRatingState.APPROVED:
        raise TransitionNotAllowed(_("This star grade is already approved."))
    if rating is None:
        rating = BranchStarRating(org=org, year=year)
    rating.stars = int(stars)
    rating.note = _text(note, field="note", max_length=500)
    rating.proposed_by = _uid(actor)
    rating.save()
    audit(actor=actor, verb="party.branch_rating.propose", obj=rating, data={"stars": stars})
    return rating


@transaction.atomic
def branch_rating_approve(*, actor, rating: BranchStarRating) -> BranchStarRating:
    """Approval by the superior organisation's organiser."""
    rating = (
        BranchStarRating.objects.select_for_update(of=("self",))
        .select_related("org")
        .get(pk=rating.pk)
    )
    superior = rating.org.parent
    if superior is None:
        raise DomainError(_("The branch has no superior organisation."))
    _check_organiser(
        actor, superior, _("Only the superior organisation's organiser can approve the grade.")
    )
    if rating.state != BranchRatingState.PROPOSED:
        raise TransitionNotAllowed(_("This star grade is already approved."))
    rating.state = BranchRatingState.APPROVED
    rating.approved_by = _uid(actor)
    rating.approved_at = timezone.now()
    rating.save(update_fields=["state", "approved_by", "approved_at"])
    audit(actor=actor, verb="party.branch_rating.approve", obj=rating, data={"stars": rating.stars})
    return rating


# -- model posts 示范岗 and claims 认领 ------------------------------------------------------


@transaction.atomic
def model_post_create(
    *, actor, org: PartyOrg, kind: str, title: str, description: str = ""
) -> ModelPost:
    org = PartyOrg.objects.get(pk=org.pk)
    _check_org_write(actor, org)
    if kind not in ModelPostKind.values:
        raise DomainError(_("Unknown kind of model post."), field="kind")
    title = _text(title, field="title", max_length=100, required=True)
    if ModelPost.objects.filter(org=org, title=title).exists():
        raise DomainError(_("%(name)s already exists here.") % {"name": title}, field="title")
    post = ModelPost.objects.create(
        org=org,
        kind=kind,
        title=title,
        description=_text(description, field="description", max_length=500),
    )
    audit(actor=actor, verb="party.model_post.create", obj=post, data={"kind": kind})
    return post


def _check_member_actor(actor, member: PartyMember) -> None:
    """The member themself, or a party manager over the member's organisation."""
    if actor is None or (member.user_id is not None and actor.pk == member.user_id):
        return
    _check_org_write(actor, member.org)


@transaction.atomic
def model_post_claim(*, actor, post: ModelPost, member: PartyMember) -> ModelPost:
    """A member claims 认领 a model post of their organisation or one above it."""
    post = ModelPost.objects.select_for_update(of=("self",)).select_related("org").get(pk=post.pk)
    member = PartyMember.objects.select_related("org").get(pk=member.pk)
    _check_member_actor(actor, member)
    if not post.is_active:
        raise DomainError(_("This model post is closed."))
    if post.holder_id is not None:
        raise TransitionNotAllowed(_("This model post has already been claimed."))
    if not member.is_active or not (
        member.org.path.startswith(post.org.path) or post.org.path.startswith(member.org.path)
    ):
        raise DomainError(
            _("%(member)s is not a member of %(org)s.")
            % {"member": member.name, "org": post.org.name},
            field="member",
        )
    post.holder = member
    post.claimed_at = timezone.now()
    post.save(update_fields=["holder", "claimed_at"])
    audit(actor=actor, verb="party.model_post.claim", obj=post, data={"member": member.pk})
    return post


@transaction.atomic
def model_post_release(*, actor, post: ModelPost) -> ModelPost:
    post = (
        ModelPost.objects.select_for_update(of=("self",))
        .select_related("org", "holder__org")
        .get(pk=post.pk)
    )
    if post.holder_id is None:
        raise TransitionNotAllowed(_("This model post is not claimed."))
    _check_member_actor(actor, post.holder)
    old = post.holder_id
    post.holder, post.claimed_at = None, None
    post.save(update_fields=["holder", "claimed_at"])
    audit(actor=actor, verb="party.model_post.release", obj=post, data={"member": old})
    return post


# -- needs 需求清单 --------------------------------------------------------------------------


@transaction.atomic
def need_create(
    *, actor, household: Household, description: str, source: str = NeedSource.VISIT
) -> Need:
    """Put a household's need on the needs list (from a visit, the resident, a meeting)."""
    from wangge.accounts.selectors import user_scope

    household = Household.objects.get(pk=household.pk)
    if actor is not None and not (
        user_scope(actor).covers(household.area_path)
        or party_scope(actor).covers_area(household.area_path)
        or _member_serves(member_of_user(actor), household)
    ):
        raise PermissionDenied(_("You have no post covering this area."))
    if source not in NeedSource.values:
        raise DomainError(_("Unknown source."), field="source")
    need = Need.objects.create(
        household=household,
        area_path=household.area_path,
        description=_text(description, field="description", max_length=500, required=True),
        source=source,
        created_by=_uid(actor),
    )
    audit(actor=actor, verb="party.need.create", obj=need, data={"household": household.number})
    return need


def _member_serves(member: PartyMember | None, household: Household) -> bool:
    return member is not None and any(
        household.area_path.startswith(p) for p in covered_paths(member.org)
    )


def _need_for_update(need: Need) -> Need:
    return (
        Need.objects.select_for_update(of=("self",))
        .select_related("household", "claimed_by__org")
        .get(pk=need.pk)
    )


@transaction.atomic
def need_claim(*, actor, need: Need, member: PartyMember) -> Need:
    """A member claims 认领 an open need in the areas their organisation serves."""
    need = _need_for_update(need)
    member = PartyMember.objects.select_related("org").get(pk=member.pk)
    _check_member_actor(actor, member)
    if need.status != NeedStatus.OPEN:
        raise TransitionNotAllowed(_("Only an open need can be claimed."))
    if not member.is_active or not _member_serves(member, need.household):
        raise DomainError(
            _("Household %(household)s is outside the areas of %(org)s.")
            % {"household": need.household.number, "org": member.org.name},
            field="member",
        )
    need.status = NeedStatus.CLAIMED
    need.claimed_by = member
    need.claimed_at = timezone.now()
    need.save(update_fields=["status", "claimed_by", "claimed_at"])
    audit(actor=actor, verb="party.need.claim", obj=need, data={"member": member.pk})
    emit("party.need.claimed", need=need, member=member, actor=actor, at=need.claimed_at)
    return need


@transaction.atomic
def need_release(*, actor, need: Need) -> Need:
    need = _need_for_update(need)
    if need.status != NeedStatus.CLAIMED:
        raise TransitionNotAllowed(_("Only a claimed need can be released."))
    _check_member_actor(actor, need.claimed_by)
    old = need.claimed_by_id
    need.status, need.claimed_by, need.claimed_at = NeedStatus.OPEN, None, None
    need.save(update_fields=["status", "claimed_by", "claimed_at"])
    audit(actor=actor, verb="party.need.release", obj=need, data={"member": old})
    return need


@transaction.atomic
def need_fulfil(*, actor, need: Need, result: str) -> Need:
    need = _need_for_update(need)
    if need.status != NeedStatus.CLAIMED:
        raise TransitionNotAllowed(_("Only a claimed need can be fulfilled."))
    _check_member_actor(actor, need.claimed_by)
    need.result = _text(result, field="result", max_length=500, required=True)
    need.status = NeedStatus.FULFILLED
    need.fulfilled_at = timezone.now()
    need.save(update_fields=["status", "result", "fulfilled_at"])
    audit(actor=actor, verb="party.need.fulfil", obj=need)
    emit(
        "party.need.fulfilled", need=need, member=need.claimed_by, actor=actor, at=need.fulfilled_at
    )
    return need


def _case_report():
    """wangge.cases.services.case_report when the cases app provides it, else None."""
    try:
        module = importlib.import_module("wangge.cases.services")
    except ImportError:
        return None
    return getattr(module, "case_report", None)


@transaction.atomic
def need_convert_to_case(*, actor, need: Need, note: str = "") -> Need:
    """A claimed need that the member cannot settle becomes a case 事件 in the case loop. Uses
    wangge.cases.services.case_report when that exists; refused otherwise."""
    need = _need_for_update(need)
    if need.status != NeedStatus.CLAIMED:
        raise TransitionNotAllowed(_("Only a claimed need can become a case."))
    _check_member_actor(actor, need.claimed_by)
    report = _case_report()
    if report is None:
        raise DomainError(_("Cases cannot be reported from here yet."), code="unavailable")
    from wangge.accounts.selectors import user_scope

    note = _text(note, field="note", max_length=500)
    description = need.description + (("\n" + note) if note else "")
    # A member without a post over the household reports on the system's behalf (the party
    # check above is the permission); staff with a post report as themselves.
    staff = (
        actor if actor is not None and user_scope(actor).covers(need.household.area_path) else None
    )
    case = report(
        actor=staff,
        source="staff",
        household=need.household,
        description=description,
        reporter_name=need.claimed_by.name,
        reporter_phone=need.claimed_by.phone,
    )
    need.status = NeedStatus.CONVERTED
    need.case_id = getattr(case, "pk", None)
    need.save(update_fields=["status", "case_id"])
    audit(actor=actor, verb="party.need.convert", obj=need, data={"case": need.case_id})
    return need


# -- organisation life 组织生活 -------------------------------------------------------------


@transaction.atomic
def meeting_record(
    *,
    actor,
    org: PartyOrg,
    kind: str,
    date: dt.date,
    topic: str,
    present: Iterable[PartyMember] = (),
    absent: dict[PartyMember, str] | Iterable[PartyMember] = (),
    attendance_count: int | None = None,
    location: str = "",
    notes: str = "",
) -> Meeting:
    """Record a meeting of 三会一课, a 主题党日, a learning session or a training, with who was
    present and absent (members of the organisation's subtree). `attendance_count` is for
    head counts of trainings not kept per member; it defaults to the members present."""
    org = PartyOrg.objects.get(pk=org.pk)
    _check_org_write(actor, org)
    if kind not in MeetingKind.values:
        raise DomainError(_("Unknown kind of meeting."), field="kind")
    if date > timezone.localdate():
        raise DomainError(_("A meeting is recorded after it took place."), field="date")
    present = list(present)
    absent_reasons = dict(absent) if isinstance(absent, dict) else dict.fromkeys(absent, "")
    ids = [m.pk for m in present] + [m.pk for m in absent_reasons]
    if len(ids) != len(set(ids)):
        raise DomainError(_("A member is listed twice."), field="present")
    allowed = set(
        PartyMember.objects.filter(pk__in=ids, org__path__startswith=org.path).values_list(
            "pk", flat=True
        )
    )
    outside = [m.name for m in [*present, *absent_reasons] if m.pk not in allowed]
    if outside:
        raise DomainError(
            _("Not members of %(org)s: %(names)s.")
            % {"org": org.name, "names": ", ".join(outside)},
            field="present",
        )
    if attendance_count is not None and attendance_count < len(present):
        raise DomainError(
            _("The attendance is lower than the members present."), field="attendance_count"
        )
    meeting = Meeting.objects.create(
        org=org,
        kind=kind,
        date=date,
        topic=_text(topic, field="topic", max_length=200, required=True),
        location=_text(location, field="location", max_length=100),
        notes=_text(notes, field="notes", max_length=4000),
        attendance_count=len(present) if attendance_count is None else attendance_count,
        recorded_by=_uid(actor),
    )
    Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, member=m, present=True) for m in present]
        + [
            Attendance(meeting=meeting, member=m, present=False, absence_reason=(r or "")[:200])
            for m, r in absent_reasons.items()
        ]
    )
    audit(
        actor=actor,
        verb="party.meeting.record",
        obj=meeting,
        data={"kind": kind, "present": len(present), "absent": len(absent_reasons)},
    )
    emit("party.meeting.recorded", meeting=meeting, present=present, actor=actor, at=timezone.now())
    return meeting


# -- teams and mobilisation -----------------------------------------------------------------


@transaction.atomic
def team_create(
    *,
    actor,
    org: PartyOrg,
    name: str,
    kind: str = TeamKind.VOLUNTEER,
    purpose: str = TeamPurpose.GENERAL,
    members: Iterable[PartyMember] = (),
    leader: PartyMember | None = None,
) -> Team:
    org = PartyOrg.objects.get(pk=org.pk)
    _check_org_write(actor, org)
    if kind not in TeamKind.values:
        raise DomainError(_("Unknown kind of team."), field="kind")
    if purpose not in TeamPurpose.values:
        raise DomainError(_("Unknown purpose."), field="purpose")
    name = _text(name, field="name", max_length=100, required=True)
    if Team.objects.filter(org=org, name=name).exists():
        raise DomainError(_("%(name)s already exists here.") % {"name": name}, field="name")
    members = list(members)
    if leader is not None and leader not in members:
        members.append(leader)
    _check_members_under(org, members)
    team = Team.objects.create(org=org, name=name, kind=kind, purpose=purpose, leader=leader)
    team.members.set(members)
    audit(actor=actor, verb="party.team.create", obj=team, data={"members": len(members)})
    return team


def _check_members_under(org: PartyOrg, members: list[PartyMember]) -> None:
    ids = {m.pk for m in members}
    ok = set(
        PartyMember.objects.filter(
            pk__in=ids, org__path__startswith=org.path, is_active=True
        ).values_list("pk", flat=True)
    )
    outside = [m.name for m in members if m.pk not in ok]
    if outside:
        raise DomainError(
            _("Not members of %(org)s: %(names)s.")
            % {"org": org.name, "names": ", ".join(outside)},
            field="members",
        )


@transaction.atomic
def team_set_members(*, actor, team: Team, members: Iterable[PartyMember]) -> Team:
    team = Team.objects.select_related("org").get(pk=team.pk)
    _check_org_write(actor, team.org)
    members = list(members)
    _check_members_under(team.org, members)
    team.members.set(members)
    if team.leader_id and team.leader_id not in {m.pk for m in members}:
        Team.objects.filter(pk=team.pk).update(leader=None)
    audit(actor=actor, verb="party.team.members", obj=team, data={"members": len(members)})
    return team


@transaction.atomic
def call_create(
    *,
    actor,
    area: Area,
    title: str,
    starts_at: dt.datetime,
    purpose: str = TeamPurpose.GENERAL,
    team: Team | None = None,
    description: str = "",
) -> Mobilisation:
    """Call 动员 the party members of an area subtree (or of one team) to duty."""
    _check_area_write(actor, area.path)
    if purpose not in TeamPurpose.values:
        raise DomainError(_("Unknown purpose."), field="purpose")
    if team is not None and not team.org.area_path.startswith(area.path):
        if not area.path.startswith(team.org.area_path):
            raise DomainError(_("The team does not serve this area."), field="team")
    call = Mobilisation.objects.create(
        area=area,
        area_path=area.path,
        team=team,
        title=_text(title, field="title", max_length=200, required=True),
        description=_text(description, field="description", max_length=4000),
        purpose=purpose,
        starts_at=starts_at,
        created_by=_uid(actor),
    )
    audit(actor=actor, verb="party.call.create", obj=call, data={"area": area.code})
    return call


@transaction.atomic
def call_sign_up(*, actor, call: Mobilisation, member: PartyMember) -> SignUp:
    from .selectors import call_eligible_members

    call = (
        Mobilisation.objects.select_for_update(of=("self",)).select_related("team").get(pk=call.pk)
    )
    member = PartyMember.objects.select_related("org").get(pk=member.pk)
    _check_member_actor(actor, member)
    if call.status != CallStatus.OPEN:
        raise TransitionNotAllowed(_("This call is closed."))
    if not call_eligible_members(call).filter(pk=member.pk).exists():
        raise DomainError(
            _("%(member)s is not among the members called.") % {"member": member.name},
            field="member",
        )
    if SignUp.objects.filter(call=call, member=member).exists():
        raise DomainError(_("%(member)s has already signed up.") % {"member": member.name})
    signup = SignUp.objects.create(call=call, member=member)
    audit(actor=actor, verb="party.call.sign_up", obj=signup, data={"member": member.pk})
    return signup


@transaction.atomic
def call_record_turnout(
    *, actor, call: Mobilisation, present: Iterable[PartyMember]
) -> Mobilisation:
    """Check the roster: who of those signed up turned out."""
    call = Mobilisation.objects.select_for_update(of=("self",)).get(pk=call.pk)
    _check_area_write(actor, call.area_path)
    ids = {m.pk for m in present}
    signed = set(call.signups.values_list("member_id", flat=True))
    if not ids <= signed:
        raise DomainError(_("Only members who signed up can be marked present."), field="present")
    call.signups.update(turned_out=False)
    call.signups.filter(member_id__in=ids).update(turned_out=True)
    audit(actor=actor, verb="party.call.turnout", obj=call, data={"present": len(ids)})
    return call


@transaction.atomic
def call_close(*, actor, call: Mobilisation) -> Mobilisation:
    call = Mobilisation.objects.select_for_update(of=("self",)).get(pk=call.pk)
    _check_area_write(actor, call.area_path)
    if call.status != CallStatus.OPEN:
        raise TransitionNotAllowed(_("This call is already closed."))
    call.status = CallStatus.CLOSED
    call.save(update_fields=["status"])
    audit(actor=actor, verb="party.call.close", obj=call)
    return call

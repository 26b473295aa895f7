"""Writes to the territory tree. Every function: keyword-only, actor explicit, atomic, checked,
audited."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from wangge.accounts.models import posts_changed
from wangge.core.audit import audit
from wangge.core.errors import DomainError, PermissionDenied
from wangge.core.paths import rewrite_path_prefix

from . import geo
from .choices import (
    CODE_LENGTH,
    LEVEL_DEPTH,
    LEVEL_ORDER,
    PARENT_PREFIX,
    AreaChangeKind,
    AreaKind,
    AreaLevel,
)
from .models import Area, AreaChange

_DIGITS = re.compile(r"^\d+$")


def _check_manage(actor, area: Area | None) -> None:
    """The actor must hold manage_areas over `area` (None: the top of the tree, which only a
    superuser manages). A None actor is the system (demo data, console imports)."""
    if actor is None:
        return
    from wangge.accounts.choices import Capability
    from wangge.accounts.selectors import user_scope

    scope = user_scope(actor, Capability.MANAGE_AREAS)
    if area is None:
        if not scope.is_global:
            raise PermissionDenied(_("Only a system administrator can create a county."))
    elif not scope.covers(area.path):
        raise PermissionDenied(_("You cannot manage the areas of %(area)s.") % {"area": area.name})


def _child_level(parent: Area | None) -> str:
    if parent is None:
        return AreaLevel.COUNTY
    idx = LEVEL_ORDER.index(parent.level)
    if idx + 1 >= len(LEVEL_ORDER):
        raise DomainError(_("A micro-grid cannot have children."), field="parent")
    return LEVEL_ORDER[idx + 1]


def validate_code(*, code: str, level: str, parent: Area | None) -> str:
    code = (code or "").strip()
    expected = CODE_LENGTH[level]
    if not _DIGITS.match(code) or len(code) != expected:
        raise DomainError(
            _("The code of a %(level)s must be %(n)d digits.")
            % {"level": AreaLevel(level).label, "n": expected},
            field="code",
        )
    if parent is not None and level in PARENT_PREFIX:
        n = PARENT_PREFIX[level]
        if code[:n] != parent.code[:n]:
            raise DomainError(
                _(
                    "The code %(code)s does not start with the first %(n)d digits of its parent %(parent)s."
                )
                % {"code": code, "n": n, "parent": parent.code},
                field="code",
            )
    return code


def _set_boundary(area: Area, boundary) -> None:
    if boundary in (None, "", {}):
        area.boundary = None
        return
    geom = geo.parse_geometry(boundary)
    area.boundary = geom.__geo_interface__
    c = geom.representative_point() if area.centroid_lat is None else None
    if c is not None:
        area.centroid_lat, area.centroid_lng = round(c.y, 7), round(c.x, 7)


@transaction.atomic
def area_create(
    *,
    actor,
    parent: Area | None,
    name: str,
    code: str,
    kind: str = AreaKind.ORDINARY,
    boundary=None,
    centroid_lat=None,
    centroid_lng=None,
) -> Area:
    _check_manage(actor, parent)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("The name is required."), field="name")
    level = _child_level(parent)
    code = validate_code(code=code, level=level, parent=parent)
    if kind not in AreaKind.values:
        raise DomainError(_("Unknown area kind."), field="kind")
    if kind != AreaKind.ORDINARY and level not in (AreaLevel.GRID, AreaLevel.MICROGRID):
        raise DomainError(_("Only grids can be dedicated grids."), field="kind")
    if Area.objects.filter(code=code).exists():
        raise DomainError(_("The code %(code)s is already used.") % {"code": code}, field="code")
    if Area.objects.filter(parent=parent, name=name).exists():
        raise DomainError(_("%(name)s already exists here.") % {"name": name}, field="name")
    fields = dict(
        name=name,
        code=code,
        level=level,
        kind=kind,
        parent=parent,
        centroid_lat=centroid_lat,
        centroid_lng=centroid_lng,
    )
    tmp = Area(**fields)
    _set_boundary(tmp, boundary)
    fields.update(
        boundary=tmp.boundary, centroid_lat=tmp.centroid_lat, centroid_lng=tmp.centroid_lng
    )
    try:
        with transaction.atomic():
            area = (
                Area.objects.add_root(create_kwargs=fields)
                if parent is None
                else Area.objects.add_child(parent, create_kwargs=fields)
            )
    except IntegrityError as exc:
        raise DomainError(
            _("The area could not be saved: the code or name is already used.")
        ) from exc
    AreaChange.objects.create(
        area=area,
        kind=AreaChangeKind.CREATE,
        new_parent=parent,
        new_level=level,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    audit(actor=actor, verb="area.create", obj=area, data={"code": code, "level": level})
    if area.boundary:
        geo.bump_version()
    return area


@transaction.atomic
def area_update(
    *,
    actor,
    area: Area,
    name: str | None = None,
    kind: str | None = None,
    boundary=...,
    centroid_lat=None,
    centroid_lng=None,
) -> Area:
    area = Area.objects.select_for_update().get(pk=area.pk)
    _check_manage(actor, area)
    changes = {}
    if name is not None:
        name = name.strip()
        if not name:
            raise DomainError(_("The name is required."), field="name")
        if name != area.name:
            if (
                Area.objects.filter(parent_id=area.parent_id, name=name)
                .exclude(pk=area.pk)
                .exists()
            ):
                raise DomainError(_("%(name)s already exists here.") % {"name": name}, field="name")
            changes["name"] = [area.name, name]
            area.name = name
    if kind is not None and kind != area.kind:
        if kind not in AreaKind.values:
            raise DomainError(_("Unknown area kind."), field="kind")
        if kind != AreaKind.ORDINARY and area.level not in (AreaLevel.GRID, AreaLevel.MICROGRID):
            raise DomainError(_("Only grids can be dedicated grids."), field="kind")
        changes["kind"] = [area.kind, kind]
        area.kind = kind
    if centroid_lat is not None and centroid_lng is not None:
        area.centroid_lat, area.centroid_lng = geo.validate_point(centroid_lat, centroid_lng)
        changes["centroid"] = [area.centroid_lat, area.centroid_lng]
    if boundary is not ...:
        if centroid_lat is None:
            area.centroid_lat = area.centroid_lng = None
        _set_boundary(area, boundary)
        changes["boundary"] = True
        geo.bump_version()
    area.save()
    AreaChange.objects.create(
        area=area,
        kind=AreaChangeKind.UPDATE,
        note=", ".join(changes),
        actor=actor if getattr(actor, "pk", None) else None,
    )
    audit(
        actor=actor,
        verb="area.update",
        obj=area,
        data={k: v for k, v in changes.items() if k != "boundary"},
    )
    return area


@transaction.atomic
def area_set_ab_partners(*, actor, grid: Area, partner: Area | None) -> Area:
    """Make two adjacent grids each other's AB partner (相邻网格互为AB角)."""
    grid = Area.objects.select_for_update().get(pk=grid.pk)
    _check_manage(actor, grid)
    if grid.level != AreaLevel.GRID:
        raise DomainError(_("Only grids have AB partners."), field="grid")
    old = grid.ab_partner
    if partner is not None:
        partner = Area.objects.select_for_update().get(pk=partner.pk)
        _check_manage(actor, partner)
        if partner.pk == grid.pk:
            raise DomainError(_("A grid cannot be its own AB partner."), field="partner")
        if partner.level != AreaLevel.GRID:
            raise DomainError(_("Only grids have AB partners."), field="partner")
    if old is not None and old.pk != getattr(partner, "pk", None):
        Area.objects.filter(pk=old.pk, ab_partner=grid).update(ab_partner=None)
    if partner is not None:
        if partner.ab_partner_id and partner.ab_partner_id != grid.pk:
            Area.objects.filter(pk=partner.ab_partner_id, ab_partner=partner).update(
                ab_partner=None
            )
        Area.objects.filter(pk=partner.pk).update(ab_partner=grid)
    Area.objects.filter(pk=grid.pk).update(ab_partner=partner)
    audit(
        actor=actor,
        verb="area.ab_partner",
        obj=grid,
        data={"partner": getattr(partner, "code", None), "old": getattr(old, "code", None)},
    )
    grid.refresh_from_db()
    return grid


def _names_path(area: Area) -> str:
    return (
        " / ".join(a.name for a in area.ancestors()) + (" / " if area.depth > 1 else "") + area.name
    )


def _relevel_subtree(area: Area) -> None:
    """Set the levels of a moved subtree from the depths it now has (one UPDATE per depth;
    area_move has already refused a move that would go deeper than micro-grids)."""
    from .choices import DEPTH_LEVEL

    for depth, level in DEPTH_LEVEL.items():
        if depth >= area.depth:
            Area.objects.filter(path__startswith=area.path, depth=depth).exclude(
                level=level
            ).update(level=level)


@transaction.atomic
def area_move(*, actor, area: Area, new_parent: Area, note: str = "") -> Area:
    """Move a subtree under another parent (restructuring). The moved areas keep their ids and
    codes, so their households, cases and history stay attached; levels follow the new depth."""
    area = Area.objects.get(pk=area.pk)
    new_parent = Area.objects.get(pk=new_parent.pk)
    _check_manage(actor, area.parent)
    _check_manage(actor, new_parent)
    if area.depth == 1:
        raise DomainError(_("A county cannot be moved."))
    if new_parent.path.startswith(area.path):
        raise DomainError(_("An area cannot be moved under itself."), field="new_parent")
    if area.parent_id == new_parent.pk:
        raise DomainError(_("The area is already there."), field="new_parent")
    max_depth = area.subtree().aggregate(m=Max("depth"))["m"] - area.depth
    if new_parent.depth + 1 + max_depth > LEVEL_DEPTH[AreaLevel.MICROGRID]:
        raise DomainError(
            _("The moved areas would be deeper than micro-grids."), field="new_parent"
        )
    if Area.objects.filter(parent=new_parent, name=area.name).exists():
        raise DomainError(
            _("%(name)s already exists there.") % {"name": area.name}, field="new_parent"
        )
    old_parent, old_path, old_level, old_names = (
        area.parent,
        area.path,
        area.level,
        _names_path(area),
    )
    Area.objects.move(area, new_parent, pos="last-child")
    area = Area.objects.get(pk=area.pk)
    Area.objects.filter(pk=area.pk).update(parent=new_parent)
    _relevel_subtree(area)
    area = Area.objects.get(pk=area.pk)
    rewrite_path_prefix(old_path, area.path)
    AreaChange.objects.create(
        area=area,
        kind=AreaChangeKind.MOVE,
        old_parent=old_parent,
        new_parent=new_parent,
        old_path_names=old_names,
        old_level=old_level,
        new_level=area.level,
        note=note[:500],
        actor=actor if getattr(actor, "pk", None) else None,
    )
    audit(
        actor=actor,
        verb="area.move",
        obj=area,
        data={"from": getattr(old_parent, "code", None), "to": new_parent.code},
    )
    posts_changed()  # the posts under the subtree are kept with their areas' paths
    geo.bump_version()
    return area


@transaction.atomic
def villages_merge(*, actor, sources: list[Area], target: Area, note: str = "") -> Area:
    """大村制: merge villages into a (new) village. Each source village becomes a grid of the
    target, its grids become micro-grids; it keeps its id, code and households, and the change
    is recorded. A source village that has micro-grids must be flattened first."""
    target = Area.objects.get(pk=target.pk)
    _check_manage(actor, target)
    if target.level != AreaLevel.VILLAGE:
        raise DomainError(_("Villages can only be merged into a village."), field="target")
    if not sources:
        raise DomainError(_("Choose the villages to merge."), field="sources")
    for src in sources:
        src = Area.objects.get(pk=src.pk)
        _check_manage(actor, src)
        if src.pk == target.pk or src.level != AreaLevel.VILLAGE:
            raise DomainError(
                _("%(name)s is not a village that can be merged.") % {"name": src.name},
                field="sources",
            )
        if Area.objects.filter(path__startswith=src.path, level=AreaLevel.MICROGRID).exists():
            raise DomainError(
                _("%(name)s has micro-grids; move them before merging.") % {"name": src.name},
                field="sources",
            )
    for src in sources:
        src = Area.objects.get(pk=src.pk)
        area_move(actor=actor, area=src, new_parent=target, note=note or _("merged (大村制)"))
        src = Area.objects.get(pk=src.pk)
        AreaChange.objects.create(
            area=src,
            kind=AreaChangeKind.MERGE,
            new_parent=target,
            old_level=AreaLevel.VILLAGE,
            new_level=src.level,
            note=note[:500],
            actor=actor if getattr(actor, "pk", None) else None,
        )
        Area.objects.filter(pk=src.pk).update(merged_into=target)
        audit(actor=actor, verb="area.merge", obj=src, data={"into": target.code})
    return Area.objects.get(pk=target.pk)


@transaction.atomic
def area_deactivate(*, actor, area: Area, note: str = "") -> Area:
    area = Area.objects.select_for_update().get(pk=area.pk)
    _check_manage(actor, area)
    if not area.is_active:
        raise DomainError(_("The area is already inactive."))
    Area.objects.filter(path__startswith=area.path).update(is_active=False)
    AreaChange.objects.create(
        area=area,
        kind=AreaChangeKind.DEACTIVATE,
        note=note[:500],
        actor=actor if getattr(actor, "pk", None) else None,
    )
    audit(actor=actor, verb="area.deactivate", obj=area)
    geo.bump_version()
    area.refresh_from_db()
    return area

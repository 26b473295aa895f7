"""Consistency checks over the whole database, fast enough for the county preset
(`wangge demo --preset county --verify`): the tree, the tiling, households in their grids,
ID numbers, denormalized paths, posts and AB partners."""

from __future__ import annotations

import numpy as np
import shapely
from django.db.models import Count, F, Q
from shapely.geometry import shape

from wangge.accounts.choices import ROLE_LEVELS
from wangge.accounts.models import Post
from wangge.areas import geo
from wangge.areas.choices import LEVEL_DEPTH, AreaLevel
from wangge.areas.models import Area
from wangge.core.crypto import blind_index, decrypt
from wangge.people import idnumber
from wangge.people.models import Household, Resident


def verify(*, id_sample: int = 2000) -> list[str]:
    """Return a list of problems (empty when everything is consistent)."""
    problems: list[str] = []
    names = ("bad alphabet", "bad path length", "orphans", "wrong depth", "wrong numchild")
    for name, ids in zip(names, Area.objects.find_problems(), strict=True):
        if ids:
            problems.append(f"treebeard {name}: {list(ids)[:10]}")

    areas = {a.pk: a for a in Area.objects.all()}
    children: dict[int, list[Area]] = {}
    for a in areas.values():
        if a.depth != LEVEL_DEPTH[a.level]:
            problems.append(f"{a.code}: level {a.level} at depth {a.depth}")
        if a.parent_id is not None:
            if a.path[:-4] != areas[a.parent_id].path:
                problems.append(f"{a.code}: path does not extend its parent's")
            children.setdefault(a.parent_id, []).append(a)
    for pk, kids in children.items():
        parent = areas[pk]
        if not parent.boundary or not all(k.boundary for k in kids):
            continue
        outline, parts = shape(parent.boundary), [shape(k.boundary) for k in kids]
        gap = shapely.union_all(parts).symmetric_difference(outline).area
        overlap = abs(sum(p.area for p in parts) - outline.area)
        if gap > 1e-10 or overlap > 1e-10:
            problems.append(f"{parent.code}: children do not tile it ({gap=:.2e} {overlap=:.2e})")
    for a in areas.values():
        if a.ab_partner_id:
            partner = areas[a.ab_partner_id]
            if partner.ab_partner_id != a.pk or partner.parent_id != a.parent_id:
                problems.append(f"{a.code}: AB partner {partner.code} is not mutual/sibling")

    rows = list(Household.objects.values_list("grid_id", "lat", "lng"))
    if rows:
        grid_ids, lats, lngs = (np.array(col) for col in zip(*rows, strict=True))
        found = geo.GridIndex.build(version=-1).lookup_many(lats, lngs)
        wrong = int((found != grid_ids).sum())
        if wrong:
            problems.append(f"{wrong} households are not inside their grid")
    bad_paths = Household.objects.exclude(area_path=F("area__path")).count()
    bad_paths += Household.objects.exclude(Q(grid=F("area")) | Q(grid=F("area__parent"))).count()
    bad_paths += Resident.objects.exclude(area_path=F("household__area_path")).count()
    if bad_paths:
        problems.append(f"{bad_paths} rows with an inconsistent area path or grid")
    heads = Household.objects.annotate(
        n=Count("members", filter=Q(members__relation="head"))
    ).exclude(n=1)
    if heads.exists():
        problems.append(f"{heads.count()} households without exactly one head")
    if Household.objects.filter(head__isnull=True).exists():
        problems.append("households without a head")

    sample = Resident.objects.order_by("?")[:id_sample]
    for r in sample:
        number = decrypt(r.id_number_cipher)
        try:
            info = idnumber.parse(number)
        except idnumber.InvalidIdNumber as exc:
            problems.append(f"resident {r.pk}: {exc}")
            continue
        if (info.birth_date, info.gender) != (r.birth_date, r.gender):
            problems.append(f"resident {r.pk}: birth date or gender differ from the ID")
        if r.id_number_hash != blind_index(number) or r.id_number_masked != info.masked:
            problems.append(f"resident {r.pk}: blind index or mask do not match")

    for post in Post.objects.select_related("area"):
        if post.area.level not in ROLE_LEVELS[post.role]:
            problems.append(f"post {post.pk}: {post.role} on a {post.area.level}")
    if not Area.objects.filter(level=AreaLevel.GRID).exists():
        problems.append("no grids")
    return problems

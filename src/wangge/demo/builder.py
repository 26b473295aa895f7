"""The demo builder: territory, staff, households and residents in bulk.

Rows go in with `bulk_create`, a level of the tree at a time, so that the county preset
(1,000 areas, 2,000 posts, 50,000 households, 150,000 residents) is built in well under
three minutes on SQLite. The tree columns treebeard keeps (path, depth, numchild) are
computed here exactly as `add_child` would set them, so `Area.find_problems()` stays clean.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from wangge.accounts.choices import Role
from wangge.accounts.models import Department, DutyHours, Leave, Post, User
from wangge.areas import geo
from wangge.areas.choices import AreaChangeKind, AreaKind, AreaLevel
from wangge.areas.models import Area, AreaChange
from wangge.core.crypto import blind_index, encrypt
from wangge.core.models import AuditEntry
from wangge.people import idnumber
from wangge.people.models import Household, Resident, ServicePlan, Tag

from . import names, registry
from .fastinsert import RowWriter
from .geometry import Rect, around, scatter, tile
from .logins import DEMO_PASSWORD, LOGINS
from .people import KINDS, IdIssuer, Namer, apply_tags, birth_date, compose, phone
from .presets import STAFF_POOL_SHARES, TOWN_DEPARTMENTS, Plan, TownPlan, VillagePlan, _split

BATCH = 2000

USERNAME_PREFIX = {
    Role.TOWN_ADMIN: "ta",
    Role.TOWN_GRID_CHIEF: "tc",
    Role.SUPERVISOR: "sup",
    Role.PARTY_ORGANISER: "po",
    Role.DEPARTMENT_STAFF: "bm",
    Role.VILLAGE_GRID_CHIEF: "vc",
    Role.STATIONED_CADRE: "zc",
    Role.DISCLOSURE_EDITOR: "gk",
    Role.GRID_WORKER: "gw",
    Role.GRID_WORKER_PART: "gp",
    Role.VOLUNTEER: "zy",
    Role.ELDER: "wl",
}
NEEDS = {
    "dibao": ("享受农村低保", "按时足额发放低保金，年度复核"),
    "tekun": ("特困供养人员", "分散供养照料，定期上门"),
    "severe_disability": ("家有重度残疾人", "残疾人两项补贴、辅具适配"),
    "serious_illness": ("家有大病患者", "医疗救助、慢病卡办理"),
    "left_behind_elderly": ("留守老人在家", "定期探访，代购生活用品"),
    "left_behind_child": ("留守儿童在家", "关爱帮扶，学业跟踪"),
    "hardship": ("家庭收入低", "临时救助，就业帮扶"),
}


@dataclass
class VillageInfo:
    plan: VillagePlan
    area: Area
    rect: Rect
    town: TownPlan
    grids: list = field(default_factory=list)
    namer: Namer | None = None
    buildings: int = 0  # blocks of flats numbered so far (communities)


@dataclass
class GridInfo:
    area: Area
    rect: Rect
    village: VillageInfo
    group: int  # 村民组 number used in addresses (0 for dedicated grids)
    micro: list = field(default_factory=list)  # (Area, Rect)
    households: int = 0


def _node(parent: Area | None, step: int, **fields) -> Area:
    depth = 1 if parent is None else parent.depth + 1
    path = Area._get_path(parent.path if parent is not None else None, depth, step)
    return Area(path=path, depth=depth, numchild=0, parent=parent, **fields)


def _area_fields(rect: Rect) -> dict:
    lat, lng = rect.centre
    return {"boundary": rect.geojson(), "centroid_lat": lat, "centroid_lng": lng}


class Builder:
    def __init__(
        self, plan: Plan, *, seed: int, today: dt.date, stdout=None, options: dict | None = None
    ):
        self.plan = plan
        self.seed = seed
        self.today = today
        self.rng = random.Random(f"{seed}:{plan.key}:core")
        self.ctx = registry.DemoContext(
            preset=plan.key, seed=seed, today=today, stdout=stdout, options=dict(options or {})
        )
        self.villages: list[VillageInfo] = []
        self.grid_infos: list[GridInfo] = []
        self.timings: dict[str, float] = {}
        self.households_by_grid: dict[int, list[int]] = defaultdict(list)

    # ---------------------------------------------------------------- territory
    def build_areas(self) -> None:
        plan, rng, ctx = self.plan, self.rng, self.ctx
        lat, lng = plan.centre
        county_rect = around(lat, lng, *plan.span)
        county = _node(
            None,
            1,
            name=plan.county_name,
            code=plan.county_code,
            level=AreaLevel.COUNTY,
            **_area_fields(county_rect),
        )
        county.numchild = len(plan.towns)
        Area.objects.bulk_create([county])
        ctx.county = county

        towns, villages = [], []
        for t, (town_plan, rect) in enumerate(
            zip(plan.towns, tile(county_rect, len(plan.towns), rng), strict=True), start=1
        ):
            town = _node(
                county,
                t,
                name=town_plan.name,
                code=town_plan.code,
                level=AreaLevel.TOWN,
                **_area_fields(rect),
            )
            town.numchild = len(town_plan.villages)
            towns.append(town)
            cells = tile(rect, len(town_plan.villages), rng)
            for v, (vplan, vrect) in enumerate(zip(town_plan.villages, cells, strict=True), 1):
                area = _node(
                    town,
                    v,
                    name=vplan.name,
                    code=vplan.code,
                    level=AreaLevel.VILLAGE,
                    **_area_fields(vrect),
                )
                area.numchild = vplan.grids
                villages.append(area)
                self.villages.append(VillageInfo(vplan, area, vrect, town_plan))
        Area.objects.bulk_create(towns, batch_size=BATCH)
        Area.objects.bulk_create(villages, batch_size=BATCH)
        ctx.towns, ctx.villages = towns, villages

        grids = []
        for vinfo in self.villages:
            vplan = vinfo.plan
            ordinary = vplan.grids - len(vplan.dedicated)
            cells = tile(vinfo.rect, vplan.grids, rng)
            for g, cell in enumerate(cells, start=1):
                if g <= ordinary:
                    name, kind, group = f"第{names.chinese_number(g)}网格", AreaKind.ORDINARY, g
                else:
                    name, kind = vplan.dedicated[g - ordinary - 1]
                    group = 0
                area = _node(
                    vinfo.area,
                    g,
                    name=name,
                    code=f"{vplan.code}{g:03d}",
                    level=AreaLevel.GRID,
                    kind=kind,
                    **_area_fields(cell),
                )
                info = GridInfo(area, cell, vinfo, group)
                vinfo.grids.append(info)
                self.grid_infos.append(info)
                grids.append(area)
        Area.objects.bulk_create(grids, batch_size=BATCH)
        ctx.grids = grids

        # Micro-grids: lanes of a hamlet, blocks of a community.
        micros = []
        for info in self.grid_infos:
            if info.group == 0:
                continue
            share = 0.6 if info.village.plan.community else self.plan.microgrid_share
            if rng.random() < share:
                self._split_micro(info, rng)
        if not any(info.micro for info in self.grid_infos):
            ordinary = [i for i in self.grid_infos if i.group]
            self._split_micro(ordinary[-1], rng)
        for info in self.grid_infos:
            info.area.numchild = len(info.micro)
            micros.extend(area for area, _ in info.micro)
        Area.objects.bulk_create(micros, batch_size=BATCH)
        ctx.microgrids = micros

        # AB partners: consecutive grids in a village's snake order share an edge.
        pairs = []
        for vinfo in self.villages:
            for a, b in zip(vinfo.grids[0::2], vinfo.grids[1::2], strict=False):
                a.area.ab_partner_id, b.area.ab_partner_id = b.area.pk, a.area.pk
                pairs.extend([a.area, b.area])
        grid_numchild = [g for g in grids if g.numchild]
        Area.objects.bulk_update(pairs, ["ab_partner"], batch_size=500)
        Area.objects.bulk_update(grid_numchild, ["numchild"], batch_size=500)

        everything = [county, *towns, *villages, *grids, *micros]
        AreaChange.objects.bulk_create(
            [
                AreaChange(
                    area=a,
                    kind=AreaChangeKind.CREATE,
                    new_parent_id=a.parent_id,
                    new_level=a.level,
                    note="demo",
                )
                for a in everything
            ],
            batch_size=BATCH,
        )

    def _split_micro(self, info: GridInfo, rng: random.Random) -> None:
        n = rng.randint(2, 3)
        pool = (
            names.URBAN_MICROGRID_NAMES[:n]
            if info.village.plan.community
            else rng.sample(names.RURAL_MICROGRID_NAMES, n)
        )
        for m, (name, cell) in enumerate(
            zip(pool, tile(info.rect, n, rng, rows=1), strict=True), start=1
        ):
            area = _node(
                info.area,
                m,
                name=name,
                code=f"{info.area.code}{m:02d}",
                level=AreaLevel.MICROGRID,
                **_area_fields(cell),
            )
            info.micro.append((area, cell))

    # ---------------------------------------------------------------- staff
    def build_staff(self) -> None:
        plan, rng, ctx = self.plan, self.rng, self.ctx
        password = make_password(DEMO_PASSWORD)
        national = names.NATIONAL_SURNAME
        horqin = plan.region.startswith("15")
        users: list[User] = []
        posts: list[Post] = []
        serial: Counter = Counter()
        named = {role: username for username, role, _ in LOGINS}
        by_user: dict[str, User] = {}

        def person(surnames=national) -> tuple[str, str]:
            gender = "M" if rng.random() < 0.62 else "F"
            year = self.today.year - rng.randint(24, 58)
            if horqin and rng.random() < 0.4:
                return names.mongolian_name(rng, year, gender), gender
            return surnames(rng) + names.given_name(rng, year, gender), gender

        def new_user(role: str, surnames=national, username: str | None = None) -> User:
            if username is None and role in named and named[role] not in by_user:
                username = named[role]
            if username is None:
                serial[role] += 1
                username = f"{USERNAME_PREFIX[role]}{serial[role]:04d}"
            full_name, _ = person(surnames)
            user = User(
                username=username,
                full_name=full_name,
                phone=phone(rng),
                password=password,
                is_staff=username == "admin",
                is_superuser=username == "admin",
            )
            users.append(user)
            by_user[username] = user
            return user

        def post(user: User, area: Area, role: str, **extra) -> Post:
            start = self.today - dt.timedelta(days=rng.randint(60, 1400))
            p = Post(user=user, area=area, role=role, start_date=start, **extra)
            posts.append(p)
            return p

        county = ctx.county
        post(new_user(Role.COUNTY_ADMIN, username="admin"), county, Role.COUNTY_ADMIN)
        departments = []
        if len(plan.towns) > 1:  # a real county also has county-level posts
            post(new_user(Role.SUPERVISOR), county, Role.SUPERVISOR)
            post(new_user(Role.PARTY_ORGANISER), county, Role.PARTY_ORGANISER)
        town_areas = {a.code: a for a in ctx.towns}
        for town_plan in plan.towns:
            town = town_areas[town_plan.code]
            for _ in range(plan.town_admins):
                post(new_user(Role.TOWN_ADMIN), town, Role.TOWN_ADMIN, on_call=True)
            for _ in range(plan.town_grid_chiefs):
                post(new_user(Role.TOWN_GRID_CHIEF), town, Role.TOWN_GRID_CHIEF)
            for _ in range(plan.town_supervisors):
                post(new_user(Role.SUPERVISOR), town, Role.SUPERVISOR)
            post(new_user(Role.PARTY_ORGANISER), town, Role.PARTY_ORGANISER)
            for key, suffix in TOWN_DEPARTMENTS:
                dept = Department(
                    name=town_plan.short + suffix,
                    code=f"{town.code}-{key}",
                    area=town,
                    phone=f"{plan.phone_area}-{rng.randint(2000000, 8999999)}",
                )
                departments.append(dept)
                for _ in range(plan.staff_per_department):
                    user = new_user(Role.DEPARTMENT_STAFF)
                    post(user, town, Role.DEPARTMENT_STAFF, department=dept)
        Department.objects.bulk_create(departments, batch_size=BATCH)
        ctx.departments = departments

        workers: dict[int, list[User]] = defaultdict(list)
        chiefs: dict[int, list[User]] = defaultdict(list)
        surname_of = {}
        for vinfo in self.villages:
            village = vinfo.area
            surnames = names.surname_picker(vinfo.plan.clans)
            surname_of[village.code] = surnames
            chief = new_user(Role.VILLAGE_GRID_CHIEF, surnames)
            # The village party secretary is also its grid chief (书记兼网格长).
            post(chief, village, Role.VILLAGE_GRID_CHIEF, on_call=True)
            post(chief, village, Role.PARTY_ORGANISER)
            chiefs[village.pk].append(chief)
            post(new_user(Role.STATIONED_CADRE), village, Role.STATIONED_CADRE, on_call=True)
            post(new_user(Role.DISCLOSURE_EDITOR, surnames), village, Role.DISCLOSURE_EDITOR)
            for info in vinfo.grids:
                user = new_user(Role.GRID_WORKER, surnames)
                post(user, info.area, Role.GRID_WORKER)
                workers[info.area.pk].append(user)

        # Part-time workers, volunteers and 五老: exactly up to the posts total when the
        # preset has one (程集镇: 374), otherwise in proportion to the territory.
        ordinary = [i for i in self.grid_infos if i.group]
        if plan.posts_total is not None:
            pool = plan.posts_total - len(posts)
            if pool < 0:
                raise ValueError("the preset's fixed posts exceed its posts total")
            part = round(pool * STAFF_POOL_SHARES["grid_worker_part"])
            vol = round(pool * STAFF_POOL_SHARES["volunteer"])
            counts = (part, vol, pool - part - vol)
        else:
            counts = (
                len(ordinary) // 4,
                len(self.villages) + len(ordinary) // 10,
                len(self.villages),
            )
        part, vol, elder = counts
        for info in rng.sample(ordinary, min(part, len(ordinary))):
            user = new_user(Role.GRID_WORKER_PART, surname_of[info.village.plan.code])
            post(user, info.area, Role.GRID_WORKER_PART)
        for i in range(vol):
            info = ordinary[rng.randrange(len(ordinary))]
            area = info.village.area if i % 2 else info.area
            post(new_user(Role.VOLUNTEER, surname_of[info.village.plan.code]), area, Role.VOLUNTEER)
        for i in range(elder):
            vinfo = self.villages[i % len(self.villages)]
            post(new_user(Role.ELDER, surname_of[vinfo.plan.code]), vinfo.area, Role.ELDER)

        User.objects.bulk_create(users, batch_size=BATCH)
        Post.objects.bulk_create(posts, batch_size=BATCH)
        ctx.users = by_user
        ctx.logins = {u: by_user[u] for u, _, _ in LOGINS if u in by_user}
        ctx.workers = dict(workers)
        ctx.village_chiefs = dict(chiefs)
        self.posts = posts

    def build_duty_and_leave(self) -> None:
        rng, ctx = self.rng, self.ctx
        rows = []
        on_duty = {Role.GRID_WORKER, Role.VILLAGE_GRID_CHIEF, Role.TOWN_ADMIN}
        seen = set()
        for p in self.posts:
            if p.user.pk in seen:
                continue
            if p.role in on_duty:
                seen.add(p.user.pk)
                for day in range(5):  # Monday–Friday, with the rural midday break
                    rows.append(
                        DutyHours(user=p.user, weekday=day, start=dt.time(8), end=dt.time(12))
                    )
                    rows.append(
                        DutyHours(user=p.user, weekday=day, start=dt.time(14, 30), end=dt.time(18))
                    )
            elif p.role == Role.GRID_WORKER_PART:
                seen.add(p.user.pk)
                for day in (5, 6):  # part-time: weekend mornings
                    rows.append(
                        DutyHours(user=p.user, weekday=day, start=dt.time(8), end=dt.time(12))
                    )
        DutyHours.objects.bulk_create(rows, batch_size=BATCH)

        # Leaves of grid workers whose grid has an AB partner, never the demo `worker`.
        candidates = [
            ctx.workers[g.pk][0]
            for g in ctx.grids
            if g.ab_partner_id
            and ctx.workers.get(g.pk)
            and ctx.workers[g.pk][0].username != "worker"
        ]
        tz = timezone.get_current_timezone()
        spans = [(-1, 3, "病假"), (6, 8, "事假：家中有事"), (-21, -18, "婚假")]
        leaves = []
        for i, user in enumerate(rng.sample(candidates, min(self.plan.leaves, len(candidates)))):
            a, b, reason = spans[i % len(spans)]
            start = dt.datetime.combine(self.today + dt.timedelta(days=a), dt.time(8), tzinfo=tz)
            end = dt.datetime.combine(self.today + dt.timedelta(days=b), dt.time(18), tzinfo=tz)
            leaves.append(Leave(user=user, start=start, end=end, reason=reason))
        Leave.objects.bulk_create(leaves)

    # ---------------------------------------------------------------- people
    def build_people(self) -> None:
        plan, ctx = self.plan, self.ctx
        rng = random.Random(f"{self.seed}:{plan.key}:people")
        weights = []
        for info in self.grid_infos:
            kind = info.area.kind
            if kind == AreaKind.ENTERPRISE:
                weights.append(0.0)
            elif kind != AreaKind.ORDINARY:
                weights.append(0.3 if kind == AreaKind.MARKET else 0.12)
            elif info.village.plan.community:
                weights.append(rng.uniform(1.4, 2.6))
            else:
                weights.append(rng.uniform(0.6, 1.4))
        for info, n in zip(self.grid_infos, _split(plan.households, weights, 0), strict=True):
            info.households = n

        tags = Tag.objects.in_bulk(field_name="code")
        self.tag_ids = {code: t.pk for code, t in tags.items()}
        self.issuer = IdIssuer(rng)
        self.kinds = names.WeightedChoice(list(zip(KINDS, plan.household_mix, strict=True)))
        by_town: dict[str, list[GridInfo]] = defaultdict(list)
        for info in self.grid_infos:
            by_town[info.village.town.code].append(info)
        for grid_infos in by_town.values():
            self._people_chunk(rng, grid_infos)
            town = grid_infos[0].village.town
            n = sum(i.households for i in grid_infos)
            ctx.log(f"    {town.name}: {n} 户 households")
        # The head of each household, now that the residents have ids.
        Household.objects.filter(head__isnull=True).update(
            head=Subquery(
                Resident.objects.filter(household=OuterRef("pk"), relation="head").values("pk")[:1]
            )
        )
        ctx.households_by_grid = dict(self.households_by_grid)

    def _people_chunk(self, rng: random.Random, grid_infos: list[GridInfo]) -> None:
        plan, today = self.plan, self.today
        households = RowWriter(Household)
        families: list = []
        info_path: dict[str, str] = {}
        for info in grid_infos:
            if not info.households:
                continue
            vplan = info.village.plan
            if info.village.namer is None:
                info.village.namer = Namer(names.surname_picker(vplan.clans), vplan.ethnic)
            namer = info.village.namer
            for (area, lat, lng, address), i in zip(
                self._places(rng, info), range(1, info.households + 1), strict=True
            ):
                family = compose(rng, self.kinds(rng), plan.away_rate)
                namer.name_family(rng, family, today.year)
                apply_tags(rng, family)
                for m in family.members:
                    m.birth = birth_date(rng, today, m.age)
                    region = plan.region
                    if m.married_in and rng.random() < 0.25 or rng.random() < 0.02:
                        region = rng.choice(plan.other_regions)
                    m.id_number = self.issuer.issue(region, m.birth, m.gender)
                    if (
                        16 <= m.age <= 75
                        and rng.random() < 0.8
                        or m.age > 75
                        and rng.random() < 0.3
                    ):
                        m.phone = phone(rng)
                    if m.age >= 18:
                        p = 0.1 if m.gender == "M" and m.age >= 40 else 0.04
                        m.party = rng.random() < p
                contact = next((m.phone for m in family.members if m.phone), "")
                number = f"{info.area.code}{i:04d}"
                info_path[number] = area.path
                households.add(
                    number=number,
                    area_id=area.pk,
                    grid_id=info.area.pk,
                    area_path=area.path,
                    address=address,
                    phone=contact,
                    lat=lat,
                    lng=lng,
                    member_count=len(family.members),
                )
                families.append((number, family, info))
        households.flush()
        town_path = grid_infos[0].village.area.path[: 2 * Area.steplen]
        hh_ids = dict(
            Household.objects.filter(area_path__startswith=town_path).values_list("number", "pk")
        )

        residents = RowWriter(Resident)
        hh_tags = RowWriter(Household.tags.through)
        res_tags = []
        plans = []
        tag_ids = self.tag_ids
        for number, family, info in families:
            hh_id = hh_ids[number]
            self.households_by_grid[info.area.pk].append(hh_id)
            for code in sorted(family.tags):
                if code in tag_ids:
                    hh_tags.add(household_id=hh_id, tag_id=tag_ids[code])
            for m in family.members:
                digest = blind_index(m.id_number)
                residents.add(
                    household_id=hh_id,
                    area_path=info_path[number],
                    name=m.name,
                    id_number_cipher=encrypt(m.id_number),
                    id_number_hash=digest,
                    id_number_masked=idnumber.mask(m.id_number),
                    phone=m.phone,
                    birth_date=m.birth,
                    gender=m.gender,
                    ethnicity=m.ethnicity,
                    relation=m.relation,
                    is_away=m.away,
                    is_party_member=m.party,
                )
                res_tags.extend(
                    (digest, tag_ids[code]) for code in sorted(m.tags) if code in tag_ids
                )
            if family.tags & {"hardship", "dibao", "tekun"}:
                plans.append(self._service_plan(hh_id, family, info))
        residents.flush()
        res_ids = dict(
            Resident.objects.filter(area_path__startswith=town_path).values_list(
                "id_number_hash", "pk"
            )
        )
        through = RowWriter(Resident.tags.through)
        for digest, tag_id in res_tags:
            through.add(resident_id=res_ids[digest], tag_id=tag_id)
        through.flush()
        hh_tags.flush()
        ServicePlan.objects.bulk_create(plans, batch_size=BATCH)

    def _service_plan(self, hh_id: int, family, info: GridInfo) -> ServicePlan:
        head = family.head
        situation = [f"户主{head.name}，{head.age}岁，家庭成员{len(family.members)}人"]
        needs, measures = [], []
        for code, (what, need) in NEEDS.items():
            if code in family.tags:
                situation.append(what)
                needs.append(need)
        worker = self.ctx.workers.get(info.area.pk, [None])[0]
        measures.append("网格员每月入户走访不少于2次，一事一记")
        if "dibao" in family.tags or "tekun" in family.tags:
            measures.append("协助办理年度复核，政策落实到户")
        if worker is not None:
            measures.append(f"责任网格员：{worker.full_name}")
        return ServicePlan(
            household_id=hh_id,
            situation="；".join(situation) + "。",
            needs="；".join(needs) + "。",
            measures="；".join(measures) + "。",
            responsible=worker,
        )

    def _places(self, rng: random.Random, info: GridInfo):
        """(area, lat, lng, address) for each household of a grid."""
        n = info.households
        village = info.village.plan
        if info.group == 0:  # dedicated grid: the unit's own address
            place = info.area.name.removesuffix("网格")
            for i, (lat, lng) in enumerate(scatter(info.rect, n, rng), start=1):
                yield info.area, lat, lng, f"{place}{i}号"
            return
        parts = info.micro or [(info.area, info.rect)]
        if village.community:
            # Blocks of flats, 2 flats a floor, 6 floors, up to 3 entrances; at least one
            # block in each micro-grid; numbered across the community.
            buildings = max(len(parts), -(-n // 36))
            first = info.village.buildings
            info.village.buildings += buildings
            spots = []
            for b in range(buildings):
                area, rect = parts[b % len(parts)]
                (lat, lng) = scatter(rect, 1, rng)[0]
                spots.append((area, lat, lng))
            flats: Counter = Counter()
            for i in range(n):
                b = i * buildings // n
                unit, rest = divmod(flats[b], 12)
                flats[b] += 1
                floor, room = divmod(rest, 2)
                area, lat, lng = spots[b]
                yield (
                    area,
                    lat,
                    lng,
                    f"{village.name}{first + b + 1}栋{unit + 1}单元{floor + 1}0{room + 1}室",
                )
            return
        counts = _split(n, [rng.uniform(0.7, 1.3) for _ in parts], 0)
        house = 0
        for (area, rect), count in zip(parts, counts, strict=True):
            for lat, lng in scatter(
                rect, count, rng, clusters=1 if info.micro else rng.randint(1, 2)
            ):
                house += rng.choice((1, 1, 1, 2))
                yield area, lat, lng, f"{village.name}{info.group}组{house}号"

    # ---------------------------------------------------------------- all
    def run(self) -> registry.DemoContext:
        with transaction.atomic():
            for name, fn in (
                ("areas", self.build_areas),
                ("staff", self.build_staff),
                ("people", self.build_people),
                ("duty", self.build_duty_and_leave),
            ):
                t0 = time.monotonic()
                fn()
                self.timings[name] = time.monotonic() - t0
                self.ctx.log(f"  · {name} {self.timings[name]:.1f}s")
            for step in registry.steps():
                t0 = time.monotonic()
                result = step.func(self.ctx)
                self.timings[step.name] = time.monotonic() - t0
                self.ctx.log(f"  · {step.name} {self.timings[step.name]:.1f}s")
                for label, n in (result or {}).items():
                    self.ctx.counts[label] = self.ctx.counts.get(label, 0) + n
            AuditEntry.objects.create(
                verb="demo.build",
                object_type="areas.area",
                object_id=str(self.ctx.county.pk),
                object_repr=self.ctx.county.name,
                data={"preset": self.plan.key, "seed": self.seed},
            )
            geo.bump_version()
        return self.ctx

"""Demo data of the party network 党建网格, built from the territory, staff and residents the
demo builder has saved (see wangge.demo.registry).

Per town: the town committee 镇党委 with the town organ branch 机关党支部 (town leaders, level 1;
in-service members 在职党员 who report in to a community 双报到); per village a general branch
党总支 (or a village committee 村党委 when it has many members) whose secretary is the village
grid chief (level 2); grid branches 网格党支部 over runs of neighbouring grids, each run by a
grid worker as its secretary; party groups 党小组 over one or more grids ("地域相连、居住相邻、
户数相近", seed 000: 程集镇 69 groups in 232 grids; 科右前旗 600 groups in 850 grids, seed 003);
central households 党员中心户 under the groups.

Members come from the adult residents (linked both ways: Resident.is_party_member is true
exactly for the residents who are members) and from the staff (linked to their user). Every
member of level 3–4 who is neither mobile 流动 nor in service keeps in touch with 10–20
households 联户 of their group's grids (contiguous blocks, balanced like
services.contacts_propose); a few per cent of households stay uncovered.

The large tables (organisations, members, contacts, star ratings) go in with bulk inserts that
set exactly what the services would: treebeard path/depth/numchild, area_path copies, covered
areas, organisers, history rows and audit rows. The small things (dual registrations, needs,
meetings, teams and calls, branch ratings) go through the services with actor=None.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from wangge.accounts.choices import Role
from wangge.accounts.models import Post
from wangge.areas.choices import AreaKind
from wangge.core.models import AuditEntry
from wangge.demo.fastinsert import RowWriter
from wangge.demo.names import chinese_number
from wangge.demo.presets import _split
from wangge.demo.registry import register_step
from wangge.people.models import Household, Resident

from . import services
from .choices import (
    BRANCH_KINDS,
    BranchRatingState,
    EvaluationStage,
    GridLevel,
    MeetingKind,
    MemberStatus,
    ModelPostKind,
    NeedSource,
    OrgChangeKind,
    OrgKind,
    RatingState,
    Star,
    TeamKind,
    TeamPurpose,
)
from .models import (
    BranchStarRating,
    Contact,
    ModelPost,
    PartyMember,
    PartyOrg,
    PartyOrgChange,
    StarEvaluation,
    StarRating,
)
from .selectors import DEFAULT_CONTACT_QUOTA

# Party groups per grid (seed 000: 69 in 232 grids; seed 003: 600 in 850).
GROUPS_PER_GRID = {"county": 600 / 850}
DEFAULT_GROUPS_PER_GRID = 69 / 232
# Party members: 科右前旗 "5300余名农牧民党员" (seed 003); elsewhere about 3% of the adults.
MEMBER_TARGET = {"county": 5300}
ADULT_SHARE = 0.03
MOBILE_SHARE = 0.10  # 流动党员 (seed 001: 190 of 1,732)
IN_SERVICE_SHARE = 0.03
PROBATIONARY_SHARE = 0.03
OLD_SHARE_CONTACTING = 0.75  # so that > 35% of all members are over 60 (seed 001: 35.2%)
UNCOVERED_BASE = 0.02  # households left without a contact member
UNCOVERED_ALL_AWAY = 0.2  # … more often when every adult works far away
CENTRAL_MIN_HOUSEHOLDS = 12  # a central household needs a grid with enough households
CENTRAL_SHARE = 0.3
GRID_WORKER_MEMBER_SHARE = 0.1
EDITOR_MEMBER_SHARE = 0.6
TOWN_ADMIN_MEMBER_SHARE = 0.4
COMMITTEE_MIN_MEMBERS = 45  # 村党委 instead of 党总支
RATING_VILLAGES_PER_TOWN = 3

THEME_DAYS = {
    1: "走访慰问困难党员和老党员",
    2: "学习中央一号文件精神",
    3: "学雷锋志愿服务进网格",
    4: "清明祭英烈革命传统教育",
    5: "防溺水安全宣传进农户",
    6: "秸秆禁烧和夏粮收购政策宣传",
    7: "庆祝建党节·重温入党誓词",
    8: "防汛值守和堤防巡查",
    9: "秋收秋种志愿服务",
    10: "读原著学原文·学习党的创新理论",
    11: "冬季消防安全和人居环境整治",
    12: "年度组织生活会和民主评议党员",
}
MODEL_POSTS = {
    ModelPostKind.DEVELOPMENT: ["特色种植技术服务岗", "电商助农服务岗", "合作社发展带头岗"],
    ModelPostKind.POLICY: ["惠农政策宣讲岗", "医保社保政策宣传岗"],
    ModelPostKind.ENVIRONMENT: ["人居环境整治示范岗", "河塘沟渠清洁监督岗"],
    ModelPostKind.MEDIATION: ["邻里纠纷调解岗", "婚姻家庭矛盾调解岗"],
    ModelPostKind.CARE: ["留守老人关爱岗", "留守儿童关爱岗", "困难群众帮扶岗"],
    ModelPostKind.SAFETY: ["防溺水巡查岗", "秸秆禁烧巡查岗", "消防安全宣传岗"],
}
NEEDS = [
    (
        "留守老人行动不便，需要定期代购药品和生活用品",
        "已联系村卫生室每月送药上门，党员每周代购一次",
    ),
    ("老房屋顶漏雨，希望协助申请危房改造", "已协助提交危房鉴定申请，镇村建办已上门鉴定"),
    ("孩子考上大学，需要办理生源地助学贷款", "已陪同到县资助中心办理，贷款已获批"),
    ("家中老人患慢性病，需要办理门诊慢特病卡", "已帮助准备材料并在镇医保窗口办结"),
    ("希望提供大棚蔬菜种植技术指导", "已联系农技站专家到田间指导两次"),
    ("门前排水沟堵塞，雨天积水进院", "已组织党员志愿者清淤疏通"),
    ("家庭突发变故，申请临时救助", "已协助申请临时救助，救助金已发放"),
    ("外出务工人员返乡，希望了解就业岗位信息", "已推荐到县工业园区企业面试，已上岗"),
    ("独居老人家中电线老化，存在安全隐患", "已联系供电所电工更换线路和插座"),
    ("残疾人需要申请轮椅等辅具", "已协助向残联申请，辅具已送到家"),
]
WORKPLACES = ["中心学校", "卫生院", "财政所", "农业综合服务中心", "供电所", "农商银行营业部"]


def _short(name: str) -> str:
    for suffix in ("满族乡", "苏木", "镇", "乡", "街道"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _branch(org: PartyOrg) -> PartyOrg | None:
    """selectors.branch_of, on unsaved parents: the nearest branch at or above an org."""
    while org is not None and org.kind not in BRANCH_KINDS:
        org = org.parent
    return org


def _sround(x: float, rng: random.Random) -> int:
    whole = math.floor(x)
    return whole + (rng.random() < x - whole)


def _runs(weights: list[float], k: int) -> list[tuple[int, int]]:
    """Split items (in order) into k non-empty contiguous runs with balanced weight sums:
    [(start, end), …] with end exclusive."""
    n = len(weights)
    k = max(1, min(k, n))
    cum = [0.0]
    for w in weights:
        cum.append(cum[-1] + w)
    total = cum[-1]
    out, start = [], 0
    for j in range(1, k):
        target = total * j / k
        lo, hi = start + 1, n - (k - j)
        end = min(range(lo, hi + 1), key=lambda e: (abs(cum[e] - target), e))
        out.append((start, end))
        start = end
    out.append((start, n))
    return out


def _pick(rng: random.Random, pool: list, n: int, weight) -> list:
    """n items of pool without replacement, weighted (Efraimidis–Spirakis), in pool order."""
    if n <= 0 or not pool:
        return []
    keyed = []
    for i, item in enumerate(pool):
        w = weight(item)
        if w > 0:
            keyed.append((rng.random() ** (1.0 / w), i))
    keyed.sort(reverse=True)
    chosen = sorted(i for _k, i in keyed[:n])
    return [pool[i] for i in chosen]


def group_counts(preset: str, ordinary: list[int], grids: list[int]) -> list[int]:
    """Party groups per village: the preset's ratio to all its grids (程集镇: 69 in 232),
    spread over the villages by their ordinary grids, at least one each and never more than
    a village's ordinary grids."""
    ratio = GROUPS_PER_GRID.get(preset, DEFAULT_GROUPS_PER_GRID)
    total = max(len(grids), round(sum(grids) * ratio))
    counts = _split(total, [n or 1 for n in ordinary], 1)
    return [min(c, max(1, n)) for c, n in zip(counts, ordinary, strict=True)]


@dataclass
class Person:
    """An adult resident: (pk, household, name, phone, birth, gender, away)."""

    pk: int
    household_id: int
    grid_id: int
    name: str
    phone: str
    birth: dt.date
    gender: str
    away: bool


@dataclass
class Group:
    org: PartyOrg
    village: object
    grids: list  # Area
    households: list = field(default_factory=list)  # covered (pk, area_path, grid_id) in order
    members: list = field(default_factory=list)  # contacting PartyMember (group org)
    centrals: list = field(default_factory=list)  # (PartyMember, grid)


class PartyDemo:
    def __init__(self, ctx):
        self.ctx = ctx
        self.rng = ctx.rng("party")
        # Services refuse dates in the future: never go past the real today.
        self.today = min(ctx.today, timezone.localdate())
        self.year = self.today.year
        self.quota = getattr(settings, "WANGGE_PARTY_CONTACT_QUOTA", DEFAULT_CONTACT_QUOTA)
        self.tz = timezone.get_current_timezone()
        self.orgs: list[list[PartyOrg]] = [[] for _ in range(6)]  # by depth
        self.org_areas: list[tuple[PartyOrg, object]] = []
        self.organisers: list[tuple[PartyOrg, object]] = []
        self.members: list[PartyMember] = []
        self.audits: list[AuditEntry] = []
        self.names_under: dict[int, set] = defaultdict(set)
        self.counts: dict[str, int] = {}
        self.resident_grid: dict[int, int] = {}

    # ------------------------------------------------------------------ helpers
    def _age(self, birth: dt.date) -> int:
        t = self.today
        return t.year - birth.year - ((t.month, t.day) < (birth.month, birth.day))

    def _org(self, parent, name: str, kind: str, area, areas=()) -> PartyOrg:
        depth = 1 if parent is None else parent.depth + 1
        siblings = self.orgs[depth]
        if parent is None:
            step = sum(1 for o in siblings if o.parent is None) + 1
        else:
            parent.numchild += 1
            step = parent.numchild
        used = self.names_under[id(parent)]
        base, i = name, 2
        while name in used:
            name, i = f"{base}（{i}）", i + 1
        used.add(name)
        org = PartyOrg(
            path=PartyOrg._get_path(parent.path if parent else None, depth, step),
            depth=depth,
            numchild=0,
            parent=parent,
            name=name,
            kind=kind,
            area=area,
            area_path=area.path,
        )
        siblings.append(org)
        for a in areas:
            self.org_areas.append((org, a))
        return org

    def _date_between(self, start: dt.date, end: dt.date) -> dt.date:
        days = (end - start).days
        return start + dt.timedelta(days=self.rng.randint(0, max(0, days)))

    def _birth(self, lo: int, hi: int) -> dt.date:
        age = self.rng.randint(lo, hi)
        return self.today - dt.timedelta(days=int((age + self.rng.random()) * 365.2425))

    def _join(self, birth: dt.date, lo: int = 20, hi: int = 40) -> dt.date:
        latest = self.today - dt.timedelta(days=400)
        age_at = self.rng.randint(lo, hi)
        joined = birth + dt.timedelta(days=int(age_at * 365.2425))
        if joined > latest:
            joined = self._date_between(min(birth + dt.timedelta(days=19 * 366), latest), latest)
        # Branches take new members on 1 July more often than any other day.
        if self.rng.random() < 0.3 and dt.date(joined.year, 7, 1) <= latest:
            joined = dt.date(joined.year, 7, 1)
        return joined

    def _member(self, org: PartyOrg, level: int, **fields) -> PartyMember:
        if org.kind == OrgKind.ORGAN_BRANCH:
            fields["is_in_service"] = True  # as services.member_create: town staff serve
        m = PartyMember(
            org=org,
            area_path=org.area_path,
            grid_level=level,
            status=fields.pop("status", MemberStatus.FULL),
            **fields,
        )
        self.members.append(m)
        return m

    def _resident_member(self, org, level: int, p: Person, **fields) -> PartyMember:
        self.resident_grid[p.pk] = p.grid_id
        probationary = fields.pop("probationary", False)
        if probationary:
            joined = self.today - dt.timedelta(days=self.rng.randint(40, 330))
            status = MemberStatus.PROBATIONARY
        else:
            joined = self._join(p.birth)
            status = MemberStatus.FULL
        return self._member(
            org,
            level,
            name=p.name,
            phone=p.phone,
            birth_date=p.birth,
            join_date=joined,
            status=status,
            resident_id=p.pk,
            **fields,
        )

    def _user_member(self, org, level: int, user, ages: tuple[int, int], **fields) -> PartyMember:
        birth = self._birth(*ages)
        return self._member(
            org,
            level,
            name=user.full_name,
            phone=user.phone,
            birth_date=birth,
            join_date=self._join(birth, 21, 32),
            user=user,
            **fields,
        )

    def _audit(self, verb: str, obj, data: dict, actor=None, object_type: str = "") -> None:
        self.audits.append(
            AuditEntry(
                actor=actor,
                verb=verb,
                object_type=object_type or obj._meta.label_lower,
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                data=data,
            )
        )

    # ------------------------------------------------------------------ load
    def load(self) -> None:
        ctx = self.ctx
        self.grids_by_village: dict[int, list] = defaultdict(list)
        for g in ctx.grids:
            self.grids_by_village[g.parent_id].append(g)
        self.villages_by_town: dict[int, list] = defaultdict(list)
        for v in ctx.villages:
            self.villages_by_town[v.parent_id].append(v)
        self.households: dict[int, list] = defaultdict(list)  # grid → [(pk, path)]
        grid_of: dict[int, int] = {}
        for pk, grid_id, path in Household.objects.order_by("area_path", "number").values_list(
            "pk", "grid_id", "area_path"
        ):
            self.households[grid_id].append((pk, path))
            grid_of[pk] = grid_id
        cutoff = self.today.replace(year=self.today.year - 18)
        self.adults: dict[int, list[Person]] = defaultdict(list)  # grid → adults
        at_home: set[int] = set()
        for pk, hh, name, phone, birth, gender, away in (
            Resident.objects.filter(birth_date__lte=cutoff, is_deceased=False)
            .order_by("pk")
            .values_list("pk", "household_id", "name", "phone", "birth_date", "gender", "is_away")
        ):
            grid = grid_of.get(hh)
            if grid is None:
                continue
            self.adults[grid].append(Person(pk, hh, grid, name, phone, birth, gender, away))
            if not away:
                at_home.add(hh)
        self.at_home = at_home
        users = {u.pk: u for u in ctx.users.values()}
        self.posts: dict[tuple[int, str], list] = defaultdict(list)  # (area, role) → users
        roles = [
            Role.TOWN_GRID_CHIEF,
            Role.PARTY_ORGANISER,
            Role.STATIONED_CADRE,
            Role.DISCLOSURE_EDITOR,
            Role.TOWN_ADMIN,
            Role.GRID_WORKER,
            Role.VILLAGE_GRID_CHIEF,
        ]
        for user_id, area_id, role in (
            Post.objects.filter(role__in=roles)
            .order_by("pk")
            .values_list("user_id", "area_id", "role")
        ):
            if user_id in users:
                self.posts[(area_id, role)].append(users[user_id])
        self.login_ids = {u.pk for u in ctx.logins.values()}
        self.worker_login = ctx.logins.get("worker")

    # ------------------------------------------------------------------ structure
    def build_structure(self) -> None:
        ctx, rng = self.ctx, self.rng
        villages = ctx.villages
        ordinary = {
            v.pk: [g for g in self.grids_by_village[v.pk] if g.kind == AreaKind.ORDINARY]
            for v in villages
        }
        per_village = group_counts(
            ctx.preset,
            [len(ordinary[v.pk]) for v in villages],
            [len(self.grids_by_village[v.pk]) for v in villages],
        )
        self.groups: list[Group] = []
        self.village_orgs: dict[int, PartyOrg] = {}
        self.branches_by_village: dict[int, list[PartyOrg]] = defaultdict(list)
        self.town_orgs: dict[int, PartyOrg] = {}
        self.organ_orgs: dict[int, PartyOrg] = {}
        self.branch_grids: dict[int, list] = {}  # id(branch org) → grids
        for town in ctx.towns:
            committee = self._org(None, f"{town.name}党委", OrgKind.TOWN_COMMITTEE, town)
            self.town_orgs[town.pk] = committee
            self.organ_orgs[town.pk] = self._org(
                committee, f"{town.name}机关党支部", OrgKind.ORGAN_BRANCH, town
            )
        for village, n_groups in zip(villages, per_village, strict=True):
            grids = ordinary[village.pk] or self.grids_by_village[village.pk]
            extra = [g for g in self.grids_by_village[village.pk] if g not in grids]
            weights = [max(1, len(self.households[g.pk])) for g in grids]
            runs = [grids[a:b] for a, b in _runs(weights, n_groups)]
            runs[-1] = runs[-1] + extra  # dedicated grids (school, market …) join the last
            committee = self.town_orgs[village.parent_id]
            # The kind is settled once the members are counted (see build_members).
            vorg = self._org(committee, f"{village.name}党总支", OrgKind.GENERAL_BRANCH, village)
            self.village_orgs[village.pk] = vorg
            group_weights = [sum(len(self.households[g.pk]) for g in run) or 1 for run in runs]
            n_branches = max(1, round(len(runs) / 3))
            for a, b in _runs(group_weights, n_branches):
                branch_grids = [g for run in runs[a:b] for g in run]
                branch = self._grid_org(vorg, branch_grids, village, OrgKind.GRID_BRANCH)
                self.branches_by_village[village.pk].append(branch)
                self.branch_grids[id(branch)] = branch_grids
                for n, run in enumerate(runs[a:b], start=a + 1):
                    name = f"第{chinese_number(n)}党小组"
                    area, areas = (run[0], ()) if len(run) == 1 else (village, run)
                    org = self._org(branch, name, OrgKind.PARTY_GROUP, area, areas)
                    self.groups.append(Group(org, village, run))
        rng.random()  # keep the stream stable if the structure above changes shape

    def _grid_org(self, parent, grids, village, kind) -> PartyOrg:
        ordinary = [g for g in grids if g.kind == AreaKind.ORDINARY] or grids
        first, last = ordinary[0].name, ordinary[-1].name
        if len(ordinary) == 1:
            name = first.removesuffix("网格") + "网格党支部"
        else:
            a = first.removeprefix("第").removesuffix("网格")
            b = last.removeprefix("第").removesuffix("网格")
            name = f"第{a}至{b}网格党支部"
        if len(grids) == 1:
            return self._org(parent, name, kind, grids[0])
        return self._org(parent, name, kind, village, grids)

    # ------------------------------------------------------------------ members
    def build_members(self) -> None:
        ctx, rng = self.ctx, self.rng
        lo, hi = self.quota
        used: set[int] = set()
        # Households left uncovered: a few per cent, more where nobody is at home.
        for group in self.groups:
            for g in group.grids:
                for pk, path in self.households[g.pk]:
                    p = UNCOVERED_BASE + (UNCOVERED_ALL_AWAY if pk not in self.at_home else 0)
                    if rng.random() >= p:
                        group.households.append((pk, path, g.pk))
        adults = sum(len(v) for v in self.adults.values())
        target = MEMBER_TARGET.get(ctx.preset) or round(ADULT_SHARE * adults)

        # Staff who are members (not counted as contacting unless they work in a grid).
        staff_plan = []  # (org, level, user, ages, extra)
        for town in ctx.towns:
            organ = self.organ_orgs[town.pk]
            for user in self.posts[(town.pk, Role.TOWN_GRID_CHIEF)]:
                staff_plan.append((organ, GridLevel.TOWNSHIP, user, (38, 55), {}))
            for user in self.posts[(town.pk, Role.PARTY_ORGANISER)]:
                staff_plan.append((organ, GridLevel.TOWNSHIP, user, (35, 52), {}))
                self.organisers.append((self.town_orgs[town.pk], user))
                self.organisers.append((organ, user))
            for village in self.villages_by_town[town.pk]:
                for user in self.posts[(village.pk, Role.STATIONED_CADRE)]:
                    staff_plan.append((organ, GridLevel.TOWNSHIP, user, (30, 52), {}))
            for user in self.posts[(town.pk, Role.TOWN_ADMIN)]:
                if rng.random() < TOWN_ADMIN_MEMBER_SHARE:
                    staff_plan.append(
                        (
                            organ,
                            GridLevel.MEMBER,
                            user,
                            (26, 48),
                            {"is_in_service": True, "workplace": f"{town.name}人民政府"},
                        )
                    )
        grid_staff: dict[int, list] = defaultdict(list)  # id(group org) → users
        group_of_grid = {g.pk: grp for grp in self.groups for g in grp.grids}
        for village in ctx.villages:
            vorg = self.village_orgs[village.pk]
            for user in self.posts[(village.pk, Role.VILLAGE_GRID_CHIEF)][:1]:
                staff_plan.append((vorg, GridLevel.VILLAGE, user, (42, 58), {}))
                self.organisers.append((vorg, user))
            for user in self.posts[(village.pk, Role.DISCLOSURE_EDITOR)]:
                if rng.random() < EDITOR_MEMBER_SHARE:
                    staff_plan.append((vorg, GridLevel.VILLAGE, user, (28, 52), {}))
            for branch in self.branches_by_village[village.pk]:
                secretary = None
                for g in self.branch_grids[id(branch)]:
                    for user in self.posts[(g.pk, Role.GRID_WORKER)]:
                        if user != self.worker_login and secretary is None:
                            secretary = user
                if secretary is not None:
                    staff_plan.append((branch, GridLevel.VILLAGE, secretary, (30, 50), {}))
                    self.organisers.append((branch, secretary))
                for g in self.branch_grids[id(branch)]:
                    for user in self.posts[(g.pk, Role.GRID_WORKER)]:
                        if user in (secretary, self.worker_login):
                            continue
                        if rng.random() < GRID_WORKER_MEMBER_SHARE and g.pk in group_of_grid:
                            grid_staff[id(group_of_grid[g.pk].org)].append(user)
        seen_users: set[int] = set()
        for org, level, user, ages, extra in staff_plan:
            if user.pk in seen_users:
                continue
            seen_users.add(user.pk)
            self._user_member(org, level, user, ages, **extra)
        for group in self.groups:
            for user in grid_staff[id(group.org)]:
                if user.pk not in seen_users:
                    seen_users.add(user.pk)
                    group.members.append(
                        self._user_member(group.org, GridLevel.MEMBER, user, (24, 45))
                    )

        # How many contacting members: what is left of the target after the others, at an
        # average load inside the quota.
        level2_residents = 2 * len(ctx.villages)
        in_service = round(IN_SERVICE_SHARE * target)
        mobile = round(MOBILE_SHARE * target)
        contacting = target - len(seen_users) - level2_residents - in_service - mobile
        contacting += sum(len(g.members) for g in self.groups)
        covered = sum(len(g.households) for g in self.groups)
        load = covered / max(1, contacting)
        load = min(max(load, lo + 1.5), hi - 4)
        group_sizes = []
        for group in self.groups:
            k = len(group.households)
            lo_n, hi_n = math.ceil(k / hi), math.floor(k / lo)
            n = max(1, round(k / load))
            if lo_n <= hi_n:
                n = min(max(n, lo_n), hi_n)
            else:
                n = 1
            group_sizes.append(max(n, len(group.members) + 1))
        mobile_per_group = _split(mobile, [float(n) for n in group_sizes], 0)

        def male(w):
            return lambda p: w * (2.2 if p.gender == "M" else 1.0)

        for group, n, n_mobile in zip(self.groups, group_sizes, mobile_per_group, strict=True):
            pool = [p for g in group.grids for p in self.adults[g.pk] if p.pk not in used]
            home = [p for p in pool if not p.away]
            leader_pool = [p for p in home if 48 <= self._age(p.birth) <= 74]
            leader = _pick(rng, leader_pool or home, 1, male(1.0))
            n_res = n - len(group.members) - len(leader)
            old_n = _sround(OLD_SHARE_CONTACTING * n_res, rng)
            old_pool = [p for p in home if 60 <= self._age(p.birth) <= 78 and p not in leader]
            old = _pick(rng, old_pool, old_n, male(1.0))
            young_pool = [p for p in home if 23 <= self._age(p.birth) < 60 and p not in leader]
            young = _pick(rng, young_pool, n_res - len(old), male(1.0))
            away = [p for p in pool if p.away and 20 <= self._age(p.birth) <= 55]
            movers = _pick(rng, away, n_mobile, male(1.0))
            for p in leader:
                used.add(p.pk)
                group.members.insert(0, self._resident_member(group.org, GridLevel.GROUP, p))
            rest = old + young
            rng.shuffle(rest)
            for p in rest:
                used.add(p.pk)
                probationary = self._age(p.birth) <= 40 and rng.random() < PROBATIONARY_SHARE * 10
                group.members.append(
                    self._resident_member(group.org, GridLevel.MEMBER, p, probationary=probationary)
                )
            for p in movers:
                used.add(p.pk)
                self._resident_member(
                    group.org,
                    GridLevel.MEMBER,
                    p,
                    is_mobile=True,
                    probationary=rng.random() < PROBATIONARY_SHARE * 3,
                )

        # Village cadres 村两委 who are not staff in the system: level 2 in the village org.
        for village in ctx.villages:
            vorg = self.village_orgs[village.pk]
            pool = [
                p
                for g in self.grids_by_village[village.pk]
                for p in self.adults[g.pk]
                if p.pk not in used and not p.away and 38 <= self._age(p.birth) <= 66
            ]
            for p in _pick(rng, pool, 2, male(1.0)):
                used.add(p.pk)
                self._resident_member(vorg, GridLevel.VILLAGE, p)

        # In-service members 在职党员: residents working in the town's institutions, members of
        # the organ branch, who report in to the community (or village) where they live.
        self.in_service: list[tuple[PartyMember, object]] = []
        village_of_grid = {g.pk: v for v in ctx.villages for g in self.grids_by_village[v.pk]}
        per_town = _split(in_service, [len(self.villages_by_town[t.pk]) for t in ctx.towns], 0)
        for town, n in zip(ctx.towns, per_town, strict=True):
            villages = self.villages_by_town[town.pk]
            communities = [v for v in villages if v.name.endswith("社区")] or villages
            pool = [
                p
                for v in communities
                for g in self.grids_by_village[v.pk]
                for p in self.adults[g.pk]
                if p.pk not in used and not p.away and 25 <= self._age(p.birth) <= 55
            ]
            for p in _pick(rng, pool, n, lambda p: 1.0):
                used.add(p.pk)
                workplace = _short(town.name) + rng.choice(WORKPLACES)
                m = self._resident_member(
                    self.organ_orgs[town.pk],
                    GridLevel.MEMBER,
                    p,
                    is_in_service=True,
                    workplace=workplace,
                )
                self.in_service.append((m, village_of_grid[p.grid_id]))
        for m in self.members:
            if m.user is not None and m.is_in_service:
                villages = self.villages_by_town[m.org.area_id]
                communities = [v for v in villages if v.name.endswith("社区")] or villages
                self.in_service.append((m, rng.choice(communities)))

        # Central households 党员中心户: some level-4 members of a group, one per grid with
        # enough households, as organisations of their own under the group.
        for group in self.groups:
            per_grid = defaultdict(int)
            for _pk, _path, grid_id in group.households:
                per_grid[grid_id] += 1
            taken: set[int] = set()
            n = len(group.members)
            share = len(group.households) / max(1, n)
            grids = {g.pk: g for g in group.grids}
            for m in list(group.members):
                if m.grid_level != GridLevel.MEMBER or m.resident_id is None or n <= 1:
                    continue
                grid_id = self._grid_of_member(m)
                if (
                    grid_id in taken
                    or per_grid.get(grid_id, 0) < CENTRAL_MIN_HOUSEHOLDS
                    or rng.random() >= CENTRAL_SHARE
                ):
                    continue
                taken.add(grid_id)
                grid = grids[grid_id]
                org = self._org(group.org, f"{m.name}党员中心户", OrgKind.CENTRAL_HOUSEHOLD, grid)
                m.org, m.area_path, m.is_central_household = org, org.area_path, True
                group.members.remove(m)
                group.centrals.append((m, grid, max(lo, min(round(share), per_grid[grid_id] - 2))))
                n -= 1

        # The village org is a 村党委 when it has many members.
        per_village = defaultdict(int)
        for m in self.members:
            per_village[m.area_path[: 3 * 4]] += 1
        for village in ctx.villages:
            vorg = self.village_orgs[village.pk]
            if per_village[village.path] >= COMMITTEE_MIN_MEMBERS:
                vorg.kind = OrgKind.VILLAGE_COMMITTEE
                vorg.name = vorg.name.replace("党总支", "党委")

    def _grid_of_member(self, m: PartyMember) -> int:
        return self.resident_grid[m.resident_id]

    # ------------------------------------------------------------------ save
    def save_structure_and_members(self) -> None:
        for depth in range(1, 6):
            PartyOrg.objects.bulk_create(self.orgs[depth], batch_size=1000)
        through = PartyOrg.areas.through
        through.objects.bulk_create(
            [through(partyorg_id=o.pk, area_id=a.pk) for o, a in self.org_areas], batch_size=2000
        )
        org_users = PartyOrg.organisers.through
        org_users.objects.bulk_create(
            [org_users(partyorg_id=o.pk, user_id=u.pk) for o, u in dict.fromkeys(self.organisers)],
            batch_size=2000,
        )
        all_orgs = [o for level in self.orgs for o in level]
        PartyOrgChange.objects.bulk_create(
            [
                PartyOrgChange(
                    org=o,
                    kind=OrgChangeKind.CREATE,
                    new_parent=o.parent,
                    new_name=o.name,
                    new_kind=o.kind,
                )
                for o in all_orgs
            ],
            batch_size=2000,
        )
        for o in all_orgs:
            self._audit("party.org.create", o, {"kind": o.kind, "area": o.area.code})
        for m in self.members:
            m.org_id = m.org.pk
            m.area_path = m.org.area_path
        PartyMember.objects.bulk_create(self.members, batch_size=2000)
        for m in self.members:
            self._audit("party.member.create", m, {"org": m.org_id})
        # Resident.is_party_member: exactly the residents who are members.
        Resident.objects.filter(is_party_member=True).update(is_party_member=False)
        ids = [m.resident_id for m in self.members if m.resident_id]
        for i in range(0, len(ids), 5000):
            Resident.objects.filter(pk__in=ids[i : i + 5000]).update(is_party_member=True)
        self.counts["party.PartyOrg"] = len(all_orgs)
        self.counts["party.PartyMember"] = len(self.members)

    # ------------------------------------------------------------------ contacts
    def build_contacts(self) -> None:
        rng = self.rng
        writer = RowWriter(Contact)
        n = 0
        per_grid: dict[int, int] = defaultdict(int)
        for group in self.groups:
            formed = self.today - dt.timedelta(days=rng.randint(200, 900))
            remaining = list(group.households)
            plan: list[tuple[int, PartyMember, int]] = []
            for m, grid, take in group.centrals:
                mine = [h for h in remaining if h[2] == grid.pk][:take]
                chosen = {h[0] for h in mine}
                remaining = [h for h in remaining if h[0] not in chosen]
                plan.extend((h[0], m, h[2]) for h in mine)
            members = group.members
            if members:
                k, size = len(members), len(remaining)
                for i, m in enumerate(members):
                    a, b = i * size // k, (i + 1) * size // k
                    plan.extend((h[0], m, h[2]) for h in remaining[a:b][: self.quota[1]])
            for hh_id, m, grid_id in plan:
                roll = rng.random()
                if roll < 0.72:
                    last = self.today - dt.timedelta(days=rng.randint(0, 40))
                elif roll < 0.9:
                    last = self.today - dt.timedelta(days=rng.randint(41, 150))
                else:
                    last = None
                last_at = (
                    dt.datetime.combine(
                        last, dt.time(rng.randint(8, 18), rng.randint(0, 59)), tzinfo=self.tz
                    )
                    if last
                    else None
                )
                assigned = formed + dt.timedelta(days=rng.randint(0, 20))
                writer.add(
                    member_id=m.pk,
                    household_id=hh_id,
                    assigned_on=assigned,
                    last_contact_at=last_at,
                )
                per_grid[grid_id] += 1
                n += 1
        writer.flush()
        grids = {g.pk: g for g in self.ctx.grids}
        for grid_id, count in sorted(per_grid.items()):
            grid = grids[grid_id]
            self.audits.append(
                AuditEntry(
                    verb="party.contact.plan",
                    object_type="areas.area",
                    object_id=str(grid.pk),
                    data={"assigned": count},
                )
            )
        self.counts["party.Contact"] = n

    # ------------------------------------------------------------------ ratings
    def build_ratings(self) -> None:
        """五星创评 in a few villages per town: last year approved, this year at every stage;
        评星定级 of every village organisation."""
        rng, ctx = self.rng, self.ctx
        stage_order = list(RatingState.values)
        by_branch: dict[int, list[PartyMember]] = defaultdict(list)
        for m in self.members:
            b = _branch(m.org)
            if b is not None:
                by_branch[b.pk].append(m)
        chief = ctx.logins.get("chief")
        ratings: list[StarRating] = []
        evaluations: list[tuple[StarRating, StarEvaluation]] = []
        rated_villages = []
        for town in ctx.towns:
            rated_villages += self.villages_by_town[town.pk][:RATING_VILLAGES_PER_TOWN]
        stages_cycle = [
            RatingState.PROPOSED,
            RatingState.APPROVED,
            RatingState.PUBLIC_EVALUATED,
            RatingState.PEER_EVALUATED,
            RatingState.SELF_EVALUATED,
            RatingState.OPEN,
        ]
        organiser_of: dict[int, object] = {}
        for o, u in self.organisers:
            organiser_of.setdefault(o.pk, u)
        last_year_end = dt.datetime(self.year - 1, 12, 20, 10, tzinfo=self.tz)
        for vi, village in enumerate(rated_villages):
            vorg = self.village_orgs[village.pk]
            branches = [vorg, *self.branches_by_village[village.pk]]
            for bi, branch in enumerate(branches):
                members = [m for m in by_branch[branch.pk] if m.is_active]
                if not members:
                    continue
                superior = branch.parent
                approver = organiser_of.get(superior.pk) if superior else None
                proposer = organiser_of.get(branch.pk)
                # The grid branches of the demo chief's village start at "proposed" (the
                # chief, organiser of the village organisation, approves them); the village
                # organisation itself is at the peer stage, the chief's own rating is open.
                if branch is vorg:
                    stage = stages_cycle[(vi + 3) % len(stages_cycle)]
                    if village.pk == ctx.villages[0].pk:
                        stage = RatingState.PEER_EVALUATED
                else:
                    stage = stages_cycle[(bi - 1 + vi) % len(stages_cycle)]
                for m in members:
                    quality = rng.choices((5, 4, 3, 2, 1), (20, 40, 25, 10, 5))[0]
                    final = sorted(rng.sample(list(Star.values), quality), key=Star.values.index)
                    # Last year: approved, for members who joined before it ended.
                    if m.join_date.year < self.year and len(members) > 1:
                        r = self._rating(
                            m,
                            branch,
                            self.year - 1,
                            RatingState.APPROVED,
                            final,
                            members,
                            approver,
                            proposer,
                            evaluations,
                        )
                        r.approved_at = last_year_end
                        ratings.append(r)
                    this_stage = stage
                    if rng.random() < 0.2 and this_stage != RatingState.OPEN:
                        this_stage = stage_order[stage_order.index(stage) - 1]
                    if chief is not None and m.user_id == chief.pk:
                        this_stage = RatingState.OPEN
                    if len(members) < 2:
                        this_stage = min(
                            this_stage, RatingState.SELF_EVALUATED, key=stage_order.index
                        )
                    quality = max(1, min(5, quality + rng.choice((-1, 0, 0, 1))))
                    final = sorted(rng.sample(list(Star.values), quality), key=Star.values.index)
                    ratings.append(
                        self._rating(
                            m,
                            branch,
                            self.year,
                            this_stage,
                            final,
                            members,
                            approver,
                            proposer,
                            evaluations,
                        )
                    )
        StarRating.objects.bulk_create(ratings, batch_size=2000)
        for r, e in evaluations:
            e.rating_id = r.pk
        StarEvaluation.objects.bulk_create([e for _r, e in evaluations], batch_size=2000)
        for r in ratings:
            self._audit("party.star.open", r, {"year": r.year})
            if r.state == RatingState.APPROVED:
                self._audit("party.star.approve", r, {"stars": r.stars}, actor=r.approved_by)
        self.counts["party.StarRating"] = len(ratings)

        # 评星定级: last year approved for every village organisation; this year proposed.
        town_po = {
            self.town_orgs[t.pk].pk: organiser_of.get(self.town_orgs[t.pk].pk) for t in ctx.towns
        }
        rows = []
        for village in ctx.villages:
            vorg = self.village_orgs[village.pk]
            approver = town_po.get(vorg.parent.pk)
            proposer = organiser_of.get(vorg.pk)
            stars = rng.choices((5, 4, 3, 2), (15, 40, 35, 10))[0]
            rows.append(
                BranchStarRating(
                    org=vorg,
                    year=self.year - 1,
                    stars=stars,
                    state=BranchRatingState.APPROVED,
                    note="年度评星定级",
                    proposed_by=proposer,
                    approved_by=approver,
                    approved_at=dt.datetime(self.year, 1, 15, 10, tzinfo=self.tz),
                )
            )
            if village in rated_villages:
                rows.append(
                    BranchStarRating(
                        org=vorg,
                        year=self.year,
                        stars=max(1, min(5, stars + rng.choice((-1, 0, 1)))),
                        state=BranchRatingState.PROPOSED,
                        note="支部自评，待镇党委核定",
                        proposed_by=proposer,
                    )
                )
        BranchStarRating.objects.bulk_create(rows)
        self.counts["party.BranchStarRating"] = len(rows)

    def _rating(self, m, branch, year, state, final, members, approver, proposer, evaluations):
        rng = self.rng
        order = list(RatingState.values)
        reached = order.index(state)
        r = StarRating(member=m, year=year, branch=branch, state=state)
        stars_all = list(Star.values)

        def near(base):
            s = set(base)
            if rng.random() < 0.35:
                s.add(rng.choice(stars_all))
            if s and rng.random() < 0.15:
                s.discard(rng.choice(sorted(s)))
            return [x for x in stars_all if x in s]

        if reached >= order.index(RatingState.SELF_EVALUATED):
            own = (
                near(final)
                if rng.random() < 0.5
                else sorted(set(final) | {rng.choice(stars_all)}, key=stars_all.index)
            )
            r.self_stars = own
            evaluations.append(
                (
                    r,
                    StarEvaluation(
                        stage=EvaluationStage.SELF, evaluator=m.user, evaluator_member=m, stars=own
                    ),
                )
            )
        if reached >= order.index(RatingState.PEER_EVALUATED):
            peers = [p for p in members if p is not m]
            for peer in rng.sample(peers, min(len(peers), rng.randint(2, 4))):
                evaluations.append(
                    (
                        r,
                        StarEvaluation(
                            stage=EvaluationStage.PEER,
                            evaluator=peer.user,
                            evaluator_member=peer,
                            stars=near(final),
                        ),
                    )
                )
        if reached >= order.index(RatingState.PUBLIC_EVALUATED):
            votes = {}
            for s in stars_all:
                cast = rng.randint(25, 40)
                share = rng.uniform(0.6, 0.95) if s in final else rng.uniform(0.15, 0.45)
                yes = round(cast * share)
                votes[s] = [yes, cast - yes]
            public = [s for s in stars_all if votes[s][0] > votes[s][1]]
            r.public_stars = public
            evaluations.append(
                (
                    r,
                    StarEvaluation(
                        stage=EvaluationStage.PUBLIC,
                        evaluator=proposer,
                        stars=public,
                        votes=votes,
                        comment="网格群众代表参评",
                    ),
                )
            )
        if reached >= order.index(RatingState.PROPOSED):
            r.proposed_stars = list(r.public_stars)
            evaluations.append(
                (
                    r,
                    StarEvaluation(
                        stage=EvaluationStage.PROPOSAL,
                        evaluator=proposer,
                        stars=r.proposed_stars,
                        comment="支委会研究拟定",
                    ),
                )
            )
        if reached >= order.index(RatingState.APPROVED):
            r.stars = list(r.proposed_stars)
            r.star_count = len(r.stars)
            r.approved_by = approver
            r.approved_at = timezone.now()
            evaluations.append(
                (
                    r,
                    StarEvaluation(
                        stage=EvaluationStage.APPROVAL,
                        evaluator=approver,
                        stars=r.stars,
                        comment="同意",
                    ),
                )
            )
        return r

    # ------------------------------------------------------------------ life
    def build_life(self) -> None:
        """双报到, model posts, needs, organisation life, teams and calls: through the
        services (actor=None), a modest number of each."""
        rng, ctx, today = self.rng, self.ctx, self.today
        n_reg = n_service = 0
        for m, community in self.in_service:
            reg = services.dual_register(
                actor=None,
                member=m,
                community=community,
                registered_on=today - dt.timedelta(days=rng.randint(60, 700)),
                note="到居住地社区（村）报到",
            )
            n_reg += 1
            for _ in range(rng.choice((0, 1, 1, 2, 3))):
                services.service_record_add(
                    actor=None,
                    registration=reg,
                    date=self._date_between(reg.registered_on, today),
                    description=rng.choice(
                        [
                            "参加社区环境卫生整治",
                            "入户宣传防范电信诈骗",
                            "协助开展老年人健康体检",
                            "参加文明交通志愿服务",
                            "为辖区留守儿童辅导作业",
                        ]
                    ),
                    hours=rng.choice((2, 2.5, 3, 4)),
                )
                n_service += 1
        self.counts["party.DualRegistration"] = n_reg
        self.counts["party.ServiceRecord"] = n_service

        # 示范岗 (seed 002: 6 kinds, 318 posts in 35 villages): bulk, a few per village.
        by_village: dict[int, list[PartyMember]] = defaultdict(list)
        village_by_path = {v.path: v for v in ctx.villages}
        for m in self.members:
            v = village_by_path.get(m.area_path[:12])
            if v is not None and m.is_active and not m.is_mobile:
                by_village[v.pk].append(m)
        posts = []
        now = timezone.now()
        for village in ctx.villages:
            vorg = self.village_orgs[village.pk]
            candidates = [m for m in by_village[village.pk] if m.grid_level >= GridLevel.GROUP]
            rng.shuffle(candidates)
            for kind, titles in MODEL_POSTS.items():
                for title in titles[: rng.randint(1, len(titles))]:
                    holder = candidates.pop() if candidates and rng.random() < 0.8 else None
                    posts.append(
                        ModelPost(
                            org=vorg,
                            kind=kind,
                            title=title,
                            holder=holder,
                            claimed_at=now - dt.timedelta(days=rng.randint(5, 300))
                            if holder
                            else None,
                        )
                    )
        ModelPost.objects.bulk_create(posts, batch_size=2000)
        self.counts["party.ModelPost"] = len(posts)

        # Needs 需求清单, claimed and fulfilled by the households' contact members.
        active = self._showcase_villages()
        contact_of = dict(
            Contact.objects.filter(
                ended_on__isnull=True,
                household__grid__parent__in=[v.pk for v in active],
            ).values_list("household_id", "member_id")
        )
        members_by_pk = {m.pk: m for m in self.members}
        hh_by_village: dict[int, list[int]] = defaultdict(list)
        for v in active:
            for g in self.grids_by_village[v.pk]:
                hh_by_village[v.pk].extend(
                    pk for pk, _ in self.households[g.pk] if pk in contact_of
                )
        households = Household.objects.in_bulk([pk for v in active for pk in hh_by_village[v.pk]])
        n_needs = 0
        for v in active:
            pool = hh_by_village[v.pk]
            for i, hh_id in enumerate(rng.sample(pool, min(len(pool), 4))):
                what, result = NEEDS[(i + rng.randrange(len(NEEDS))) % len(NEEDS)]
                need = services.need_create(
                    actor=None,
                    household=households[hh_id],
                    description=what,
                    source=rng.choice([NeedSource.VISIT, NeedSource.VISIT, NeedSource.RESIDENT]),
                )
                n_needs += 1
                if i == 0:
                    continue  # stays open, for a member to claim
                need = services.need_claim(
                    actor=None, need=need, member=members_by_pk[contact_of[hh_id]]
                )
                if i >= 2:
                    services.need_fulfil(actor=None, need=need, result=result)
        self.counts["party.Need"] = n_needs

        # Organisation life: 主题党日 every month, a party lecture and a members' meeting per
        # quarter in the village organisations; committee meetings of the grid branches and
        # group meetings in the showcase villages.
        subtree: dict[int, list[PartyMember]] = defaultdict(list)
        for m in self.members:
            org = m.org
            while org is not None:
                subtree[org.pk].append(m)
                org = org.parent
        n_meetings = 0

        def meet(org, kind, date, topic, location, who):
            nonlocal n_meetings
            present, absent = [], {}
            for m in who:
                if m.is_mobile:
                    absent[m] = "外出务工（流动党员），已线上学习"
                elif rng.random() < 0.08:
                    absent[m] = rng.choice(["身体原因请假", "家中有事请假", "外出办事请假"])
                else:
                    present.append(m)
            services.meeting_record(
                actor=None,
                org=org,
                kind=kind,
                date=date,
                topic=topic,
                location=location,
                present=present,
                absent=absent,
                notes="会议由支部书记主持，按程序进行，形成会议记录。",
            )
            n_meetings += 1

        months = []
        y, mth = today.year, today.month
        for _ in range(3):
            day = dt.date(y, mth, min(rng.randint(5, 25), 28))
            if day <= today:
                months.append(day)
            y, mth = (y - 1, 12) if mth == 1 else (y, mth - 1)
        if not months:
            months.append(today)
        showcase = {v.pk for v in active}
        for village in ctx.villages:
            vorg = self.village_orgs[village.pk]
            place = f"{village.name}党群服务中心"
            everyone = subtree[vorg.pk]
            if not everyone:
                continue
            for day in months[: 3 if village.pk in showcase else 1]:
                meet(vorg, MeetingKind.THEME_DAY, day, THEME_DAYS[day.month], place, everyone)
            if village.pk not in showcase:
                continue
            meet(
                vorg,
                MeetingKind.PARTY_LECTURE,
                months[-1],
                "书记讲党课：党建引领网格化服务管理",
                place,
                everyone,
            )
            meet(
                vorg,
                MeetingKind.MEMBERS_MEETING,
                months[0],
                "讨论确定发展对象，通报本季度三务公开情况",
                place,
                everyone,
            )
            for branch in self.branches_by_village[village.pk]:
                committee = [m for m in subtree[branch.pk] if m.grid_level <= GridLevel.GROUP]
                if committee:
                    meet(
                        branch,
                        MeetingKind.COMMITTEE_MEETING,
                        months[0],
                        "研究本季度党员联户走访和群众需求认领",
                        place,
                        committee,
                    )
            for group in self.groups:
                if group.village.pk == village.pk and subtree[group.org.pk]:
                    meet(
                        group.org,
                        MeetingKind.GROUP_MEETING,
                        months[0],
                        "交流联户走访情况，梳理群众急难愁盼",
                        f"{group.grids[0].name}党员中心户家中",
                        subtree[group.org.pk],
                    )
        self.counts["party.Meeting"] = n_meetings

        # Teams: a flood commando team 防汛突击队 per town with a closed call, a volunteer team
        # in the showcase villages with an open call.
        n_teams = n_calls = 0
        for town in ctx.towns:
            committee = self.town_orgs[town.pk]
            fit = [
                m
                for m in subtree[committee.pk]
                if not m.is_mobile and m.birth_date and self._age(m.birth_date) < 58
            ]
            if len(fit) < 4:
                continue
            crew = _pick(rng, fit, min(24, len(fit)), lambda m: 2.0 if m.grid_level <= 2 else 1.0)
            leader = next((m for m in crew if m.grid_level == GridLevel.TOWNSHIP), crew[0])
            team = services.team_create(
                actor=None,
                org=committee,
                name=f"{town.name}防汛抢险党员突击队",
                kind=TeamKind.COMMANDO,
                purpose=TeamPurpose.FLOOD,
                members=crew,
                leader=leader,
            )
            n_teams += 1
            flood_day = (
                dt.date(self.year, 7, 18)
                if today >= dt.date(self.year, 7, 20)
                else (dt.date(self.year - 1, 7, 18))
            )
            call = services.call_create(
                actor=None,
                area=town,
                title="强降雨防汛值守：沿河堤段巡查",
                starts_at=dt.datetime.combine(flood_day, dt.time(20), tzinfo=self.tz),
                purpose=TeamPurpose.FLOOD,
                team=team,
                description="气象台发布暴雨橙色预警，突击队员20:00前到岗，分段巡查堤防和低洼地带。",
            )
            signed = crew[: max(2, len(crew) * 4 // 5)]
            for m in signed:
                services.call_sign_up(actor=None, call=call, member=m)
            services.call_record_turnout(
                actor=None, call=call, present=[m for m in signed if rng.random() < 0.9]
            )
            services.call_close(actor=None, call=call)
            n_calls += 1
        for village in active:
            vorg = self.village_orgs[village.pk]
            fit = [m for m in subtree[vorg.pk] if not m.is_mobile and m.grid_level >= 2]
            if len(fit) < 3:
                continue
            crew = _pick(rng, fit, min(12, len(fit)), lambda m: 1.0)
            team = services.team_create(
                actor=None,
                org=vorg,
                name=f"{village.name}党员志愿服务队",
                kind=TeamKind.VOLUNTEER,
                purpose=TeamPurpose.GENERAL,
                members=crew,
                leader=crew[0],
            )
            n_teams += 1
            if village.pk == ctx.villages[0].pk:
                call = services.call_create(
                    actor=None,
                    area=village,
                    title="秸秆禁烧夜间巡查",
                    starts_at=dt.datetime.combine(
                        today + dt.timedelta(days=3), dt.time(18, 30), tzinfo=self.tz
                    ),
                    purpose=TeamPurpose.STRAW,
                    description="秋收期间每晚分片巡查田间地头，发现火点立即处置并报告。",
                )
                for m in crew[: len(crew) // 2]:
                    services.call_sign_up(actor=None, call=call, member=m)
                n_calls += 1
        self.counts["party.Team"] = n_teams
        self.counts["party.Mobilisation"] = n_calls

    def _showcase_villages(self) -> list:
        """Villages with the full organisation life and needs: the demo chief's village and
        the first few of each town."""
        out = []
        for town in self.ctx.towns:
            out += self.villages_by_town[town.pk][:RATING_VILLAGES_PER_TOWN]
        return out

    def run(self) -> dict[str, int]:
        self.load()
        self.build_structure()
        self.build_members()
        self.save_structure_and_members()
        self.build_contacts()
        self.build_ratings()
        self.build_life()
        AuditEntry.objects.bulk_create(self.audits, batch_size=2000)
        return self.counts


@register_step("party", order=20)
def build_party(ctx) -> dict[str, int]:
    return PartyDemo(ctx).run()

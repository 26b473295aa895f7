"""Demo cases: a year of the closed loop 闭环 over the demo territory.

`wangge demo --preset town` gives ~5,000 cases over the last twelve months, `--preset county
--cases 1000000` a million. Every case gets a timeline (CaseAction) that the services could
have written: reported → accepted → (notes, escalation, dispatch to a department and its
report-in, the deadline sweep's yellow warning and overdue escalation) → resolved → return
visit (unsatisfied → reopened with a new time limit → resolved again) → closed; a few are
rejected, recent ones are still open, some of those overdue. Handlers, first responders,
managers and return visitors are the demo's real staff, chosen as the routing rules would.

Deadlines come from the category limits (deadlines.limits_for) on the working calendar
(deadlines.is_workday, WORKING_PERIODS), through the table of office periods the services'
deadlines come from (deadlines.WorkCalendar), in epoch seconds. The daily rollups are
counted while generating, exactly as kpis.recount counts the timeline.

Rows go in with TupleWriter (COPY on PostgreSQL, executemany on SQLite) with explicit case
ids, a chunk of cases at a time, so memory stays flat for a million cases. Everything happens
before the day of the build (the last moment is its midnight), so a seed gives the same cases
all day. Tracking codes come from the seeded generator: demo data only.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from wangge.accounts.choices import Role
from wangge.demo.fastinsert import TupleWriter, epoch_converter, reset_sequences
from wangge.demo.names import WeightedChoice
from wangge.demo.people import phone as random_phone
from wangge.demo.registry import register_step, wipe_on_reset

from . import deadlines
from .choices import LEVEL_ORDER, CaseState, Level, Satisfaction, Source, Urgency, Verb
from .models import Case, CaseAction, CaseCounter, CaseDailyRollup, Category

wipe_on_reset(CaseCounter)

# Cases built when `--cases` is not given.
DEFAULT_CASES = {"tiny": 120, "town": 5000, "county": 100_000}
DAYS = 365
CHUNK = 10_000  # cases generated and written at a time
SQLITE_CACHE_KIB = 512 * 1024

SOURCES = [
    (Source.PATROL, 30),
    (Source.QR, 24),
    (Source.STAFF, 14),
    (Source.HOTLINE, 14),
    (Source.API, 8),
    (Source.OPEN311, 5),
    (Source.SUPERVISION, 5),
]
PUBLIC = {Source.QR, Source.OPEN311}
# Hours of the day when problems get reported (weights 0–23).
HOURS = [1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 15, 12, 7, 6, 10, 13, 14, 13, 10, 8, 6, 4, 2, 1]

# Leaf category → (weight, months with 3× the weight, department key, titles, resolutions).
CATEGORY_PROFILE = {
    "dispute_neighbour": (
        9,
        (),
        "sfs",
        [
            "邻里因排水沟堵塞发生争执",
            "邻居院墙滴水引发纠纷",
            "邻里因鸡鸭散养发生口角",
            "相邻通道被占用",
        ],
        ["网格员上门调解，双方达成一致", "村调委会调解，签订调解协议"],
    ),
    "dispute_land": (
        5,
        (3, 4, 10),
        "gts",
        ["承包地边界不清发生争议", "流转土地租金未按约支付", "地头界石被移动"],
        ["村组干部现场丈量确界，双方认可", "国土所核对确权图，边界已明确"],
    ),
    "dispute_family": (
        5,
        (1, 2),
        "sfs",
        ["赡养老人问题兄弟间有矛盾", "夫妻因琐事争吵需调解", "分家析产产生分歧"],
        ["网格员联合五老入户调解，已和好", "司法所提供法律咨询，达成赡养协议"],
    ),
    "dispute_building": (
        4,
        (3, 4, 5),
        "gts",
        ["宅基地建房越界", "翻建房屋影响邻居采光"],
        ["现场核查后按规划整改，双方和解"],
    ),
    "dispute_demolition": (
        1,
        (),
        "gts",
        ["征地补偿款分配有异议", "拆迁安置面积有争议"],
        ["镇工作组逐户解释政策，补偿已落实"],
    ),
    "petition": (
        3,
        (),
        "sfs",
        ["反映低保评定不公", "要求解决历史遗留问题", "反映村务不公开"],
        ["镇党委约谈，问题已答复并公开"],
    ),
    "safety": (
        7,
        (6, 7, 8),
        "pcs",
        ["村道旁电线杆倾斜", "废弃机井未封口", "自建房外墙开裂", "燃气罐存放不规范"],
        ["已设置警示并联系供电所处理", "已封堵井口，设立警示牌", "督促整改，隐患已消除"],
    ),
    "environment": (
        12,
        (5, 6, 7, 8),
        None,
        ["村口垃圾堆积未清运", "沟渠漂浮物较多", "路边乱堆柴草", "污水直排坑塘"],
        ["保洁员已清运，环境恢复整洁", "组织党员志愿者清理沟渠", "已劝导农户清理柴草"],
    ),
    "straw_burning": (
        3,
        (6, 10),
        None,
        ["田间发现焚烧秸秆", "地头有烟点"],
        ["网格员赶到现场扑灭，已劝导农户"],
    ),
    "forest_fire": (
        1,
        (3, 4, 10, 11),
        None,
        ["林地边有人野外用火", "上坟烧纸存在火险"],
        ["现场制止并宣传防火知识"],
    ),
    "flood": (
        2,
        (6, 7, 8),
        None,
        ["河堤出现渗水", "低洼处农田积水", "排涝闸门需检修"],
        ["组织巡堤抢险，险情已排除", "抽水排涝完成"],
    ),
    "epidemic": (
        1,
        (1, 2, 12),
        "mzs",
        ["返乡人员未登记", "村卫生室缺少药品"],
        ["已登记并跟踪健康情况", "协调卫生院补充药品"],
    ),
    "livelihood": (
        11,
        (1, 12),
        "mzs",
        ["独居老人家中断电", "低保金未按时到账", "残疾人补贴咨询办理", "留守老人需要代购药品"],
        ["已联系电工恢复供电", "协调民政所核实，已补发", "网格员代办完成"],
    ),
    "help_agency": (
        8,
        (),
        "mzs",
        ["代办医保缴费", "代办老年证", "代办养老保险认证"],
        ["网格员代办完成并送达"],
    ),
    "consultation": (
        7,
        (),
        None,
        ["咨询新农合报销政策", "咨询惠农补贴发放时间", "咨询宅基地审批流程"],
        ["已当面解答政策"],
    ),
    "infrastructure": (
        8,
        (),
        None,
        ["村道路面破损", "路灯不亮", "自来水管道漏水", "桥梁护栏损坏"],
        ["村里已安排维修，恢复正常", "联系水务站更换管道"],
    ),
    "public_order": (
        3,
        (),
        "pcs",
        ["夜间有人聚众喧哗", "村里发现陌生人推销", "电动车被盗"],
        ["派出所出警处置，已平息", "已提醒村民防范诈骗"],
    ),
    "other": (2, (), None, ["反映其他问题", "建议增设健身器材"], ["已转相关人员办理并答复"]),
}
DEFAULT_DEPARTMENT = "sfs"  # 司法所 for a dispatch without an obvious department
ESCALATE_SHARE = {Level.GRID: 0.08, Level.VILLAGE: 0.1}
YELLOW = ', "warning": "yellow"'
RED = ', "warning": "red"'
NOTES = ["已到现场查看，正在协调处理", "已联系相关人员，等待答复", "正在跟进，明日再去现场"]
ESCALATE_NOTES = ["网格内无法解决，提请村里协调", "涉及多个部门，请求上级协调"]
REJECT_NOTES = ["经核实不属于网格事项，已告知反映人", "重复反映，已合并答复"]
VISIT_NOTES = ["电话回访，群众表示满意", "入户回访，问题已解决", "回访时群众提出仍有顾虑"]


@dataclass
class GridPlace:
    grid_id: int
    path: str
    village_id: int
    town_id: int
    bbox: tuple[float, float, float, float]  # x0 y0 x1 y1
    micro: list  # (area id, path, bbox)
    households: list  # (id, area id, lat, lng, address, phone, head name)


def _seconds(hours) -> float:
    return dt.timedelta(hours=float(hours)).total_seconds()


def _bbox(geojson) -> tuple[float, float, float, float]:
    ring = geojson["coordinates"][0]
    xs = [p[0] for p in ring]
    ys = [p[1] for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


class Staff:
    """Who holds which post where, in post order (the routing rules' preference)."""

    def __init__(self):
        from wangge.accounts.models import Post

        self.by_area: dict = defaultdict(lambda: defaultdict(list))
        self.department_staff: dict = defaultdict(list)
        posts = (
            Post.objects.active()
            .order_by("id")
            .values_list("area_id", "role", "user_id", "department_id")
        )
        for area_id, role, user_id, department_id in posts:
            users = self.by_area[area_id][role]
            if user_id not in users:
                users.append(user_id)
            if role == Role.DEPARTMENT_STAFF and department_id:
                self.department_staff[department_id].append(user_id)

    def first(self, area_id: int, *roles) -> tuple[int | None, str]:
        for role in roles:
            users = self.by_area.get(area_id, {}).get(role)
            if users:
                return users[0], role
        return None, ""


COUNTER_INDEX = {
    name: i
    for i, name in enumerate(
        [
            "received",
            "responded",
            "responded_on_time",
            "resolved",
            "resolved_on_time",
            "closed",
            "rejected",
            "return_visits",
            "satisfied",
            "basically",
            "unsatisfied",
            "settled_grid",
            "settled_village",
            "settled_town",
            "settled_county",
            "escalated",
        ]
    )
}
OPEN = {CaseState.REPORTED, CaseState.ACCEPTED, CaseState.IN_PROGRESS}
# The last reports of the year that go to the grid of the demo login `worker`.
LOGIN_RECENT = 6
WORKING = {CaseState.ACCEPTED, CaseState.IN_PROGRESS}

CASE_COLUMNS = [
    "id",
    "number",
    "tracking_code",
    "title",
    "description",
    "category_id",
    "urgency",
    "source",
    "reporter_name",
    "reporter_phone",
    "reported_by_id",
    "household_id",
    "address",
    "lat",
    "lng",
    "area_id",
    "grid_id",
    "area_path",
    "state",
    "level",
    "handler_id",
    "first_responder_id",
    "department_id",
    "department_reported_at",
    "working_time",
    "respond_by",
    "resolve_by",
    "warn_at",
    "warning",
    "auto_escalated_for",
    "reported_at",
    "accepted_at",
    "resolved_at",
    "closed_at",
    "resolution",
    "settled_level",
    "satisfaction",
    "return_visited_at",
    "public_satisfaction",
    "public_rated_at",
    "updated_at",
]
ACTION_COLUMNS = [
    "case_id",
    "actor_id",
    "actor_role",
    "verb",
    "from_state",
    "to_state",
    "from_level",
    "to_level",
    "note",
    "is_public",
    "created_at",
    "data",
]


class CaseGenerator:
    def __init__(self, ctx, total: int):
        self.ctx = ctx
        self.total = total
        self.rng = ctx.rng("cases")
        tz = timezone.get_current_timezone()
        self.tz = tz
        # Everything happens before the day of the build: the same seed, the same cases all day.
        self.now = timezone.make_aware(dt.datetime.combine(ctx.today, dt.time()), tz).timestamp()
        self.first_day = ctx.today - dt.timedelta(days=DAYS)
        self.calendar = deadlines.WorkCalendar(
            self.first_day - dt.timedelta(days=3), ctx.today + dt.timedelta(days=200)
        )
        self.to_db, self.date_to_db = epoch_converter()
        self.staff = Staff()
        self.rollups: dict = {}
        self.durations: dict = defaultdict(int)
        from . import kpis, models

        # Duration histograms (time to respond, to close), when the KPI code keeps them.
        self.duration_model = getattr(models, "CaseDurationRollup", None)
        self.duration_bucket = getattr(kpis, "duration_bucket", None)
        if self.duration_model is None:
            self.duration_bucket = None
        self._day_cache: dict[int, dt.date] = {}
        self._load_categories()
        self._load_places()

    # ------------------------------------------------------------------ reference data
    def _load_categories(self) -> None:
        cats = list(
            Category.objects.filter(is_active=True)
            .select_related("parent")
            .prefetch_related("limits", "parent__limits")
        )
        with_children = {c.parent_id for c in cats if c.parent_id}
        leaves = [c for c in cats if c.pk not in with_children]
        self.categories = {}
        monthly: dict[int, list] = {m: [] for m in range(1, 13)}
        for c in leaves:
            weight, peak, dept, titles, resolutions = CATEGORY_PROFILE.get(
                c.code, (2, (), None, [c.name], ["已办结"])
            )
            limits = {}
            for urgency in Urgency.values:
                lim = deadlines.limits_for(c, urgency)
                limits[urgency] = (
                    _seconds(lim.response_hours),
                    _seconds(lim.resolve_hours),
                    _seconds(lim.resolve_hours * deadlines.YELLOW_FRACTION),
                    lim.working_time,
                )
            self.categories[c.pk] = (c, limits, dept, titles, resolutions)
            for m in range(1, 13):
                monthly[m].append((c.pk, weight * (3 if m in peak else 1)))
        self.category_by_month = {m: WeightedChoice(items) for m, items in monthly.items()}
        self.sources = WeightedChoice(SOURCES)
        self.hours = WeightedChoice([(h, w) for h, w in enumerate(HOURS)])

    def _load_places(self) -> None:
        from wangge.people.models import Household

        ctx = self.ctx
        village_town = {v.pk: v.parent_id for v in ctx.villages}
        micro: dict[int, list] = defaultdict(list)
        for m in ctx.microgrids:
            if m.boundary:
                micro[m.parent_id].append((m.pk, _bbox(m.boundary)))
        households: dict[int, list] = defaultdict(list)
        rows = Household.objects.order_by("id").values_list(
            "id", "grid_id", "area_id", "lat", "lng", "address", "phone", "head__name"
        )
        for hid, grid_id, area_id, lat, lng, address, phone, head in rows.iterator(chunk_size=5000):
            households[grid_id].append((hid, area_id, lat, lng, address, phone, head or ""))
        paths = {m.pk: m.path for m in ctx.microgrids}
        self.places = []
        weights = []
        for g in ctx.grids:
            if not g.boundary:
                continue
            hh = households.get(g.pk, [])
            self.places.append(
                GridPlace(
                    g.pk,
                    g.path,
                    g.parent_id,
                    village_town[g.parent_id],
                    _bbox(g.boundary),
                    micro.get(g.pk, []),
                    hh,
                )
            )
            weights.append(len(hh) + 8)
        # The grid of the demo login `worker`: the last reports of the year are filed there,
        # so that a newcomer who signs in as the grid worker finds work on the to-do list.
        workers = getattr(ctx, "workers", {})
        self.login_place = next(
            (
                i
                for i, place in enumerate(self.places)
                if [u.username for u in workers.get(place.grid_id, [])[:1]] == ["worker"]
            ),
            None,
        )
        self.area_path = {g.pk: g.path for g in ctx.grids} | paths
        self.place_choice = WeightedChoice(list(zip(range(len(self.places)), weights, strict=True)))
        self.departments: dict = defaultdict(dict)
        for d in ctx.departments:
            key = d.code.rsplit("-", 1)[-1]
            self.departments[d.area_id][key] = (d.pk, d.name)

    # ------------------------------------------------------------------ helpers
    def day_of(self, ts: float) -> dt.date:
        bucket = int(ts // 900)  # every UTC offset is a multiple of 15 minutes
        day = self._day_cache.get(bucket)
        if day is None:
            day = dt.datetime.fromtimestamp(bucket * 900, tz=self.tz).date()
            self._day_cache[bucket] = day
        return day

    def bump(self, grid_id: int, ts: float, *names: str) -> None:
        key = (grid_id, self.day_of(ts))
        row = self.rollups.get(key)
        if row is None:
            row = self.rollups[key] = [0] * len(COUNTER_INDEX)
        for name in names:
            row[COUNTER_INDEX[name]] += 1

    def chief(self, place: GridPlace, level: str) -> tuple[int | None, str]:
        """routing.level_chief: the first post holder of the level's roles."""
        if level == Level.GRID:
            return self.staff.first(place.grid_id, Role.GRID_WORKER, Role.GRID_WORKER_PART)
        if level == Level.VILLAGE:
            return self.staff.first(place.village_id, Role.VILLAGE_GRID_CHIEF, Role.STATIONED_CADRE)
        if level == Level.TOWN:
            return self.staff.first(place.town_id, Role.TOWN_GRID_CHIEF, Role.TOWN_ADMIN)
        return self.staff.first(self.ctx.county.pk, Role.COUNTY_ADMIN)

    def manager(self, place: GridPlace, level: str) -> tuple[int | None, str]:
        if level in (Level.GRID, Level.VILLAGE):
            return self.staff.first(place.village_id, Role.VILLAGE_GRID_CHIEF, Role.STATIONED_CADRE)
        if level == Level.TOWN:
            return self.staff.first(place.town_id, Role.TOWN_ADMIN, Role.TOWN_GRID_CHIEF)
        return self.staff.first(self.ctx.county.pk, Role.COUNTY_ADMIN)

    def visitor(self, place: GridPlace, exclude: set) -> tuple[int | None, str]:
        """A return visitor in scope who is neither the handler nor the resolver."""
        for area_id, roles in (
            (place.village_id, (Role.VILLAGE_GRID_CHIEF, Role.STATIONED_CADRE)),
            (place.town_id, (Role.TOWN_ADMIN, Role.TOWN_GRID_CHIEF)),
        ):
            for role in roles:
                for user in self.staff.by_area.get(area_id, {}).get(role, ()):
                    if user not in exclude:
                        return user, role
        return None, "system"

    def reported_times(self) -> list[int]:
        """Report moments over the last year: busier on weekdays and by day, a little more
        every month (the platform catches on)."""
        rng = self.rng
        days = [self.first_day + dt.timedelta(days=i) for i in range(DAYS)]
        weights = [
            (0.75 + 0.5 * i / DAYS) * (1.0 if d.weekday() < 5 else 0.7) for i, d in enumerate(days)
        ]
        pick_day = WeightedChoice(list(zip(range(DAYS), weights, strict=True)))
        midnights = [
            timezone.make_aware(dt.datetime.combine(d, dt.time()), self.tz).timestamp()
            for d in days
        ]
        out = []
        for _ in range(self.total):
            day = pick_day(rng)
            out.append(int(midnights[day]) + self.hours(rng) * 3600 + rng.randrange(3600))
        out.sort()
        return out

    # ------------------------------------------------------------------ one case
    def case(
        self, case_id: int, number: str, t0: int, out_actions: list, *, place: int | None = None
    ) -> tuple:
        """One case and its timeline (appended to out_actions) as database rows; `place`
        (an index of self.places) puts it in that grid instead of a random one."""
        rng, cal, now, tz = self.rng, self.calendar, self.now, self.tz
        chosen = self.place_choice(rng)  # drawn all the same: the same seed, the same stream
        place = self.places[chosen if place is None else place]
        cat_id = self.category_by_month[self.day_of(t0).month](rng)
        category, limits, dept_key, titles, resolutions = self.categories[cat_id]
        urgency = category.default_urgency
        if urgency == Urgency.NORMAL and rng.random() < 0.08:
            urgency = Urgency.IMPORTANT
        elif urgency == Urgency.IMPORTANT and rng.random() < 0.1:
            urgency = Urgency.URGENT
        respond_s, resolve_s, warn_s, working = limits[urgency]
        respond_by = cal.add(t0, respond_s, working)
        resolve_by = cal.add(t0, resolve_s, working)
        warn_at = cal.add(t0, warn_s, working)
        source = self.sources(rng)

        # Where: a household's home (its area may be a micro-grid), or a point in the grid.
        hid = None
        if place.households and (source in PUBLIC or rng.random() < 0.45):
            hh = place.households[rng.randrange(len(place.households))]
            hid, area_id, lat, lng, address, reporter_phone, reporter_name = hh
        else:
            x0, y0, x1, y1 = place.bbox
            lng = round(x0 + (x1 - x0) * (0.02 + 0.96 * rng.random()), 6)
            lat = round(y0 + (y1 - y0) * (0.02 + 0.96 * rng.random()), 6)
            area_id = place.grid_id
            for mid, (mx0, my0, mx1, my1) in place.micro:
                if mx0 < lng < mx1 and my0 < lat < my1:
                    area_id = mid
                    break
            address, reporter_phone, reporter_name = "", "", ""
        if (source in PUBLIC or source == Source.HOTLINE) and not reporter_phone:
            reporter_phone = random_phone(rng)

        # Who entered it and who takes it (routing.route).
        level = category.default_level
        worker, worker_role = self.chief(place, Level.GRID)
        actor, actor_role = None, "public"
        if source in (Source.PATROL, Source.STAFF, Source.API):
            actor, actor_role = worker, worker_role
        elif source == Source.HOTLINE:
            actor, actor_role = self.staff.first(place.town_id, Role.TOWN_ADMIN)
        elif source == Source.SUPERVISION:
            actor, actor_role = self.staff.first(place.town_id, Role.SUPERVISOR, Role.TOWN_ADMIN)
        if level != Level.GRID:
            handler, handler_role = self.chief(place, level)
            reason = "level_chief"
        else:
            handler, handler_role = worker, worker_role
            local = dt.datetime.fromtimestamp(t0, tz=tz)
            duty = local.weekday() < 5 and (8 <= local.hour < 12 or 14 <= local.hour < 18)
            reason = "reporter" if actor == worker else "on_duty" if duty else "queued"
        first_responder = actor if actor is not None else handler
        title = titles[rng.randrange(len(titles))]
        description = f"{title}。地点：{address}。请尽快处理。" if address else f"{title}。"
        grid_id = place.grid_id

        # The simulated case, changed by each step below as the services would.
        state, cur_level = CaseState.REPORTED, level
        warning, auto_for = "normal", None
        department = dept_reported = None
        accepted_at = resolved_at = closed_at = visited_at = rated_at = None
        satisfaction = public_satisfaction = settled = resolution = ""
        resolver = None
        was_reopened = False
        actions = []
        last_t = t0
        to_db = self.to_db
        head = f'{{"grid": {grid_id}'

        def act(ts, who, role, verb, from_state, note="", public=True, data="", from_level=""):
            nonlocal last_t
            last_t = ts
            actions.append(
                (
                    case_id,
                    who,
                    role,
                    verb,
                    from_state,
                    state,
                    from_level or cur_level,
                    cur_level,
                    note,
                    public,
                    to_db(ts),
                    head + data + "}",
                )
            )

        act(
            t0,
            actor,
            actor_role,
            Verb.REPORT,
            "",
            data=f', "source": "{source}", "routing": "{reason}", "handler": {_js(handler)}',
        )
        self.bump(grid_id, t0, "received")

        # The plan: moments when people act. The deadline sweep's steps slot in between.
        roll = rng.random()
        rejected = roll < 0.025
        stuck = 0.025 <= roll < 0.04  # never resolved: overdue, escalated by the sweep
        u = rng.uniform(1.05, 2.5) if rng.random() < 0.06 else rng.uniform(0.05, 0.9)
        t_accept = cal.add(t0, respond_s * u, working) + rng.randrange(60)
        plan: list[tuple[float, str]] = []
        if rejected:
            if rng.random() < 0.3:
                plan.append((t_accept, "accept"))
            t_reject = cal.add(max(t0, t_accept), 3600 * rng.uniform(0.2, 3), True) + 1
            plan.append((t_reject, "reject"))
        else:
            plan.append((t_accept, "accept"))
            v = rng.uniform(1.05, 1.8) if rng.random() < 0.09 else rng.uniform(0.15, 0.95)
            t_resolve = now + 400 * 86400 if stuck else cal.add(t0, resolve_s * v, working)
            t_resolve = max(t_resolve, t_accept + 600 + rng.randrange(1800))
            steps = []
            if rng.random() < 0.6:
                steps.append("note")
            if rng.random() < ESCALATE_SHARE.get(level, 0):
                steps.append("escalate")
                if level == Level.GRID and rng.random() < 0.2:
                    steps.append("escalate")
            if rng.random() < (0.35 if dept_key in ("pcs", "gts") else 0.08):
                steps.append("dispatch")
            span = min(t_resolve - t_accept, 5 * 86400)
            cuts = sorted(rng.uniform(0.05, 0.9) for _ in steps)
            plan += [(t_accept + span * c, s) for c, s in zip(cuts, steps, strict=True)]
            plan.append((t_resolve, "resolve"))

        def sweep(until):
            """sweep(): yellow at 80% of the time, red and one level up when overdue."""
            nonlocal warning, auto_for, cur_level, handler, handler_role, state
            nonlocal department, dept_reported
            if state not in OPEN:
                return
            if warning == "normal" and warn_at <= until:
                at = warn_at + min(rng.randrange(1, 300), (until - warn_at) // 2)
                if at < resolve_by:
                    warning = "yellow"
                    act(at, None, "system", Verb.WARN, state, public=False, data=YELLOW)
            if resolve_by <= until and auto_for != resolve_by:
                at = resolve_by + min(rng.randrange(1, 300), (until - resolve_by) // 2)
                warning, auto_for = "red", resolve_by
                if cur_level == Level.COUNTY:
                    act(at, None, "system", Verb.WARN, state, public=False, data=RED)
                    return
                from_state, from_level = state, cur_level
                cur_level = LEVEL_ORDER[LEVEL_ORDER.index(cur_level) + 1]
                handler, handler_role = self.chief(place, cur_level)
                department = dept_reported = None
                if state == CaseState.ACCEPTED:
                    state = CaseState.IN_PROGRESS
                when = dt.datetime.fromtimestamp(resolve_by, tz=tz).strftime("%Y-%m-%d %H:%M")
                act(
                    at,
                    None,
                    "system",
                    Verb.AUTO_ESCALATE,
                    from_state,
                    note=f"超时未办结（时限{when}），自动提级",
                    data=f', "handler": {_js(handler)}',
                    from_level=from_level,
                )
                self.bump(grid_id, t0, "escalated")

        i = 0
        while i < len(plan):
            t, what = plan[i]
            t = round(t)  # whole seconds, like the report
            i += 1
            if t >= now:
                break
            sweep(t)
            from_state = state
            if what == "accept" and state == CaseState.REPORTED:
                state, accepted_at = CaseState.ACCEPTED, t
                on_time = t <= respond_by
                act(
                    t,
                    handler,
                    handler_role,
                    Verb.ACCEPT,
                    from_state,
                    "已受理",
                    data=_ontime(on_time),
                )
                self.bump(grid_id, t0, "responded", *(("responded_on_time",) if on_time else ()))
                self.duration(grid_id, t0, "respond", t - t0)
            elif what == "note" and state in WORKING:
                state = CaseState.IN_PROGRESS
                note = NOTES[rng.randrange(len(NOTES))]
                act(t, handler, handler_role, Verb.NOTE, from_state, note, rng.random() < 0.5)
            elif what == "escalate" and state in OPEN and cur_level in (Level.GRID, Level.VILLAGE):
                if department is not None:
                    continue
                who, who_role, from_level = handler, handler_role, cur_level
                cur_level = LEVEL_ORDER[LEVEL_ORDER.index(cur_level) + 1]
                handler, handler_role = self.chief(place, cur_level)
                if state == CaseState.ACCEPTED:
                    state = CaseState.IN_PROGRESS
                note = ESCALATE_NOTES[rng.randrange(len(ESCALATE_NOTES))]
                data = f', "handler": {_js(handler)}'
                act(
                    t,
                    who,
                    who_role,
                    Verb.ESCALATE,
                    from_state,
                    note,
                    data=data,
                    from_level=from_level,
                )
                self.bump(grid_id, t0, "escalated")
            elif what == "dispatch" and state in WORKING and department is None:
                dept = self.departments.get(place.town_id, {}).get(dept_key or DEFAULT_DEPARTMENT)
                if not dept or not self.staff.department_staff.get(dept[0]):
                    continue
                who, who_role = self.manager(place, cur_level)
                state, department, dept_reported = CaseState.IN_PROGRESS, dept, None
                data = (
                    f', "department": {dept[0]}, "department_name": {json.dumps(dept[1])}'
                    f', "previous_handler": {_js(handler)}, "dispatched_by": {_js(who)}'
                )
                act(t, who, who_role, Verb.DISPATCH, from_state, "请部门协助处置", data=data)
                # The department reports in 报到 within hours, before anything else happens.
                nxt = plan[i][0] if i < len(plan) else t + 7200
                plan.insert(i, (min(t + rng.uniform(0.3, 6) * 3600, t + (nxt - t) * 0.8), "in"))
            elif (
                what == "in" and state == CaseState.IN_PROGRESS and department and not dept_reported
            ):
                staff = self.staff.department_staff[department[0]]
                handler, handler_role = staff[rng.randrange(len(staff))], Role.DEPARTMENT_STAFF
                dept_reported = t
                data = f', "department_name": {json.dumps(department[1])}'
                act(t, handler, handler_role, Verb.REPORT_IN, from_state, "已报到", data=data)
            elif what == "resolve" and state in WORKING and not (department and not dept_reported):
                state, resolved_at, settled, resolver = CaseState.RESOLVED, t, cur_level, handler
                satisfaction, visited_at = "", None  # the new resolution waits for its visit
                resolution = resolutions[rng.randrange(len(resolutions))]
                on_time = t <= resolve_by
                act(
                    t,
                    handler,
                    handler_role,
                    Verb.RESOLVE,
                    from_state,
                    resolution,
                    data=_ontime(on_time),
                )
                extra = ("resolved_on_time",) if on_time else ()
                self.bump(grid_id, t0, "resolved", f"settled_{cur_level}", *extra)
                t_visit = cal.add(t, 3600 * rng.uniform(1, 14), True) + rng.randrange(600)
                plan.insert(i, (t_visit, "visit"))
            elif what == "visit" and state == CaseState.RESOLVED:
                who, who_role = self.visitor(place, {handler, resolver})
                r = rng.random()
                if r < 0.04 and not was_reopened:  # reopened once at most
                    sat = Satisfaction.UNSATISFIED
                elif r < 0.16:
                    sat = Satisfaction.BASICALLY
                else:
                    sat = Satisfaction.SATISFIED
                satisfaction, visited_at = sat, t
                reopened = sat == Satisfaction.UNSATISFIED
                was_reopened = was_reopened or reopened
                if reopened:  # a new time limit from now (deadlines.resolve_deadlines)
                    state, resolved_at, settled, warning = CaseState.IN_PROGRESS, None, "", "normal"
                    resolve_by = cal.add(t, resolve_s, working)
                    warn_at = cal.add(t, warn_s, working)
                    again = cal.add(t, resolve_s * rng.uniform(0.2, 0.9), working)
                    plan.insert(i, (max(again, t + 900), "resolve"))
                else:
                    t_close = cal.add(t, 3600 * rng.uniform(0.2, 6), True) + rng.randrange(300)
                    plan.insert(i, (t_close, "close"))
                note = VISIT_NOTES[2] if reopened else VISIT_NOTES[rng.randrange(2)]
                data = f', "satisfaction": "{sat}", "reopened": {_jb(reopened)}'
                act(t, who, who_role, Verb.RETURN_VISIT, from_state, note, data=data)
                self.bump(grid_id, t0, "return_visits", sat)
            elif what == "close" and state == CaseState.RESOLVED:
                who, who_role = self.manager(place, cur_level)
                state, closed_at = CaseState.CLOSED, t
                act(t, who, who_role, Verb.CLOSE, from_state)
                self.bump(grid_id, t0, "closed")
                self.duration(grid_id, t0, "close", t - t0)
                if source in PUBLIC and rng.random() < 0.2:
                    plan.insert(i, (t + rng.uniform(1, 72) * 3600, "rate"))
            elif what == "rate" and state == CaseState.CLOSED:
                public_satisfaction = (
                    Satisfaction.SATISFIED if rng.random() < 0.9 else Satisfaction.BASICALLY
                )
                rated_at = t
                data = f', "satisfaction": "{public_satisfaction}"'
                act(t, None, "public", Verb.RATE_PUBLIC, from_state, data=data)
            elif what == "reject" and state in OPEN:
                who, who_role = self.manager(place, cur_level)
                state, closed_at = CaseState.REJECTED, t
                note = REJECT_NOTES[rng.randrange(len(REJECT_NOTES))]
                act(t, who, who_role, Verb.REJECT, from_state, note)
                self.bump(grid_id, t0, "rejected")
        sweep(now - 1)
        out_actions.extend(actions)

        def d(ts):
            return None if ts is None else to_db(ts)

        return (
            case_id,
            number,
            _tracking_code(rng, t0),
            title,
            description,
            cat_id,
            urgency,
            source,
            reporter_name,
            reporter_phone,
            actor,
            hid,
            address,
            lat,
            lng,
            area_id,
            grid_id,
            self.area_path.get(area_id, place.path),
            state,
            cur_level,
            handler,
            first_responder,
            department[0] if department else None,
            d(dept_reported),
            working,
            d(respond_by),
            d(resolve_by),
            d(warn_at),
            warning,
            d(auto_for),
            d(t0),
            d(accepted_at),
            d(resolved_at),
            d(closed_at),
            resolution,
            settled,
            satisfaction,
            d(visited_at),
            public_satisfaction,
            d(rated_at),
            d(last_t),
        )

    def duration(self, grid_id: int, ts: float, measure: str, seconds: float) -> None:
        if self.duration_bucket is not None:
            key = (grid_id, self.day_of(ts), measure, self.duration_bucket(seconds / 3600))
            self.durations[key] += 1

    # ------------------------------------------------------------------ all
    def run(self) -> dict[str, int]:
        if connection.vendor != "sqlite":
            return self._run()
        # A million cases update a dozen indexes at random places: with SQLite's default 2 MB
        # page cache that is disk-bound; a larger cache for this connection, for this step.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            previous = cursor.fetchone()[0]
            cursor.execute("PRAGMA cache_size = -%d" % SQLITE_CACHE_KIB)
            try:
                return self._run()
            finally:
                cursor.execute("PRAGMA cache_size = %d" % int(previous))

    def _run(self) -> dict[str, int]:
        started = time.monotonic()
        times = self.reported_times()
        first_id = (Case.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        counters = dict(CaseCounter.objects.values_list("year", "last"))
        cases = TupleWriter(Case, CASE_COLUMNS, batch=CHUNK)
        actions = TupleWriter(CaseAction, ACTION_COLUMNS, batch=CHUNK * 8)
        pending: list = []
        login_from = len(times) - LOGIN_RECENT if self.login_place is not None else len(times)
        for n, t0 in enumerate(times):
            year = self.day_of(t0).year
            counters[year] = counters.get(year, 0) + 1
            place = self.login_place if n >= login_from else None
            cases.add(
                self.case(first_id + n, f"{year}{counters[year]:06d}", t0, pending, place=place)
            )
            if len(pending) >= actions.batch:
                cases.flush()  # the cases before the actions that point at them
                for row in pending:
                    actions.add(row)
                pending = []
            if (n + 1) % 100_000 == 0:
                self.ctx.log(f"    {n + 1} cases, {time.monotonic() - started:.0f}s")
        cases.flush()
        for row in pending:
            actions.add(row)
        actions.flush()
        reset_sequences(Case)
        for year, last in counters.items():
            CaseCounter.objects.update_or_create(year=year, defaults={"last": last})
        rollups = self.write_rollups()
        return {
            "cases.Case": cases.written,
            "cases.CaseAction": actions.written,
            "cases.CaseDailyRollup": rollups,
        }

    def write_rollups(self) -> int:
        """The daily rollups counted while generating (what kpis.recount counts from the
        timeline). On a database that already had cases, the services' own rebuild instead."""
        from . import kpis

        if CaseDailyRollup.objects.exists():
            kpis.rebuild_rollups()
            return CaseDailyRollup.objects.count()
        paths = {p.grid_id: p.path for p in self.places}
        writer = TupleWriter(CaseDailyRollup, ["grid_id", "area_path", "day", *COUNTER_INDEX])
        for (grid_id, day), row in sorted(self.rollups.items()):
            writer.add((grid_id, paths[grid_id], self.date_to_db(day), *row))
        writer.flush()
        if self.duration_bucket is not None:
            columns = ["grid_id", "area_path", "day", "measure", "bucket", "count"]
            durations = TupleWriter(self.duration_model, columns)
            for (grid_id, day, measure, bucket), n in sorted(self.durations.items()):
                durations.add((grid_id, paths[grid_id], self.date_to_db(day), measure, bucket, n))
            durations.flush()
        return writer.written


def _js(value) -> str:
    return "null" if value is None else str(value)


def _jb(value: bool) -> str:
    return "true" if value else "false"


def _ontime(value: bool) -> str:
    return ', "on_time": true' if value else ', "on_time": false'


def _tracking_code(rng, t0: int) -> str:
    from .services import tracking_code_at

    return tracking_code_at(t0, rng.getrandbits(96).to_bytes(12, "big"))


@register_step("cases", order=100)
def build_cases(ctx) -> dict[str, int]:
    """The demo Open311 key, then a year of cases (ctx.options["cases"], else per preset)."""
    from .services import ensure_demo_open311_key

    ensure_demo_open311_key()
    total = ctx.options.get("cases")
    if total is None:
        total = DEFAULT_CASES.get(ctx.preset, 1000)
    if int(total) <= 0 or not ctx.grids:
        return {}
    return CaseGenerator(ctx, int(total)).run()

"""Demo fieldwork: the "2348" norms (the county default, a town's and a village's own), a
month of patrols with routes, visits 走访 of the three kinds and closed daily reports for every
grid worker, and pledge campaigns 责任承诺书 (秸秆禁烧 open in every town, 防汛 done county-wide).

Runs after the cases (order 110) so that the closed reports count the cases the workers
reported and handled, exactly as the daily close would: the reports are made from the
inserted rows by the same `compliance.day_stats` / `evaluate` the close uses, so a recount
agrees. Large tables go in with plain bulk inserts; route points are kept for the last days
(older patrols keep their measured distance, as if the points had been pruned).

The demo `worker` login has a realistic phone home: last month's reports, some key
households due for a visit, and the straw-burning pledge still to sign.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from wangge.accounts.choices import GRID_WORKER_ROLES
from wangge.accounts.models import Post
from wangge.demo.fastinsert import RowWriter
from wangge.demo.registry import register_step, wipe_on_reset
from wangge.people.models import Household, Tag

from . import compliance
from .choices import ReportStatus, VisitKind
from .models import (
    ClosedDay,
    DailyNorm,
    DailyReport,
    Patrol,
    PatrolPoint,
    Pledge,
    PledgeCampaign,
    Visit,
)
from .services import route_distance

DAYS = 30
# Route points kept for the patrols of the last days (all days in the smaller presets).
POINT_DAYS = {"county": 2}
POINTS_PER_PATROL = 8
# Key households of the demo worker's grid that nobody visits this month (visits due).
DUE_FOR_WORKER = 3

STRAW_TEXT = (
    "为切实做好秸秆禁烧工作，本人郑重承诺：\n"
    "一、落实网格包保责任，每日巡查责任网格内田间地头、沟渠路边不少于两次；\n"
    "二、入户宣传秸秆禁烧和综合利用政策，做到户户知晓；\n"
    "三、发现火点第一时间处置并上报，确保不燃一把火、不冒一处烟；\n"
    "四、因工作不力造成火点的，自愿接受组织处理。"
)
FLOOD_TEXT = (
    "汛期期间，本人承诺：坚守岗位、24小时保持通讯畅通；每日排查责任网格内危房、沟塘、"
    "低洼地带；掌握留守老人、残疾人等重点人群转移名单；遇险情第一时间报告并组织群众转移。"
)


def _aware(day: dt.date, minutes: float) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time())) + dt.timedelta(minutes=minutes)


class FieldworkDemo:
    def __init__(self, ctx):
        self.ctx = ctx
        self.rng = ctx.rng("fieldwork")
        self.today = ctx.today
        self.counts: dict[str, int] = {}

    # -- who works where ---------------------------------------------------------------------

    def load(self) -> None:
        posts = (
            Post.objects.active(self.today)
            .filter(role__in=GRID_WORKER_ROLES, area__path__startswith=self.ctx.county.path)
            .select_related("area")
            .order_by("user_id", "role", "start_date", "id")
        )
        self.workers: dict[int, Post] = {}
        for p in posts:
            self.workers.setdefault(p.user_id, p)
        self.households: dict[int, list[tuple[int, str, float, float]]] = defaultdict(list)
        for pk, grid_id, area_id, path, lat, lng in Household.objects.filter(
            area_path__startswith=self.ctx.county.path
        ).values_list("id", "grid_id", "area_id", "area_path", "lat", "lng"):
            self.households[grid_id].append((pk, path, lat, lng))
            if area_id != grid_id:
                self.households[area_id].append((pk, path, lat, lng))
        login = self.ctx.logins.get("worker")
        self.worker_login = login
        self.reserved: set[int] = set()
        if login is not None and login.pk in self.workers:
            grid_id = self.workers[login.pk].area_id
            ids = [h[0] for h in self.households.get(grid_id, [])]
            key = list(
                Household.objects.filter(pk__in=ids, tags__in=Tag.objects.filter(is_key=True))
                .distinct()
                .order_by("number")
                .values_list("id", flat=True)[:DUE_FOR_WORKER]
            )
            self.reserved = set(key)
        days = [self.today - dt.timedelta(days=k) for k in range(DAYS, 0, -1)]
        self.days = days
        self.workdays = [d for d in days if compliance.is_workday(d)]
        self.leave = compliance.leave_days(list(self.workers), days[0], days[-1])

    # -- norms -------------------------------------------------------------------------------

    def norms(self) -> None:
        ctx = self.ctx
        rows = [DailyNorm(area=ctx.county, area_path=ctx.county.path)]  # 2348
        if len(ctx.towns) > 1:
            town = ctx.towns[-1]  # a town with long distances between hamlets: 7.5 hours
            rows.append(DailyNorm(area=town, area_path=town.path, hours=Decimal("7.5")))
        first_town_villages = [v for v in ctx.villages if v.path.startswith(ctx.towns[0].path)]
        if len(first_town_villages) > 1:
            village = first_town_villages[-1]  # a small village: 3 tasks a day are enough
            rows.append(DailyNorm(area=village, area_path=village.path, tasks=3))
        DailyNorm.objects.bulk_create(rows)
        self.counts["fieldwork.DailyNorm"] = len(rows)

    # -- a month of work ---------------------------------------------------------------------

    def _route(self, lat: float, lng: float, n: int):
        """A walk of n points, 60–120 m apart, from a household of the grid, and its length."""
        pts = []
        heading = self.rng.uniform(0, 2 * math.pi)
        length = 0.0
        for i in range(n):
            pts.append((lat, lng))
            if i == n - 1:
                break
            heading += self.rng.uniform(-0.8, 0.8)
            step = self.rng.uniform(60, 120)
            length += step
            lat += step * math.cos(heading) / 111_000
            lng += step * math.sin(heading) / (111_000 * math.cos(math.radians(lat)))
        return pts, length

    def work(self) -> None:
        rng = self.rng
        point_days = POINT_DAYS.get(self.ctx.preset)
        keep_points_from = (
            self.workdays[-point_days] if point_days and len(self.workdays) >= point_days else None
        )
        patrols = RowWriter(Patrol)
        visits = RowWriter(Visit)
        routes: dict[tuple[int, dt.datetime], list] = {}
        self.extra: dict[tuple[int, dt.date], int] = {}
        kinds = list(VisitKind.values)
        n_patrols = n_visits = 0
        for user_id, post in self.workers.items():
            grid = post.area
            hh = [h for h in self.households.get(grid.pk, []) if h[0] not in self.reserved]
            if not hh:
                continue
            diligence = rng.uniform(0.55, 0.97)
            if self.worker_login is not None and user_id == self.worker_login.pk:
                diligence = 0.85
            for day in self.workdays:
                if day in self.leave.get(user_id, ()):
                    continue
                full = rng.random() < diligence
                start = 8 * 60 + rng.uniform(0, 30)
                shifts = [(start, rng.uniform(60, 100))]
                if full:
                    pm = start + 6.5 * 60 + rng.uniform(0, 20)
                    shifts.append((pm, 8 * 60 - (pm - start) + rng.uniform(5, 40)))
                elif rng.random() < 0.5:
                    shifts.append((14 * 60 + rng.uniform(0, 60), rng.uniform(40, 90)))
                for s, length in shifts:
                    started = _aware(day, s)
                    ended = started + dt.timedelta(minutes=length)
                    home = rng.choice(hh)
                    lat0 = home[2] if home[2] is not None else 0.0
                    lng0 = home[3] if home[3] is not None else 0.0
                    pts, length = self._route(lat0, lng0, POINTS_PER_PATROL)
                    keep = home[2] is not None and (
                        keep_points_from is None
                        or day >= keep_points_from
                        or (self.worker_login is not None and user_id == self.worker_login.pk)
                    )
                    if keep:
                        step = (ended - started) / (POINTS_PER_PATROL - 1)
                        route = [(a, b, started + step * i) for i, (a, b) in enumerate(pts)]
                        routes[(user_id, started)] = route
                        # Exactly what the services measure from the stored points.
                        length = route_distance(route)
                    patrols.add(
                        worker_id=user_id,
                        area_id=grid.pk,
                        area_path=grid.path,
                        started_at=started,
                        ended_at=ended,
                        distance_m=int(round(length)),
                        point_count=POINTS_PER_PATROL if keep else 0,
                    )
                    n_patrols += 1
                n = 3 if full else rng.randint(0, 2)
                day_kinds = kinds[:] if full else rng.sample(kinds, n)
                for i, kind in enumerate(day_kinds):
                    h = rng.choice(hh)
                    visits.add(
                        visitor_id=user_id,
                        household_id=h[0],
                        area_path=h[1],
                        kind=kind,
                        visited_at=_aware(day, 10 * 60 + 40 * i + rng.uniform(0, 30)),
                        notes=_VISIT_NOTES[kind][rng.randrange(len(_VISIT_NOTES[kind]))],
                    )
                    n_visits += 1
                self.extra[(user_id, day)] = rng.randint(2, 4) if full else rng.randint(0, 2)
        patrols.flush()
        visits.flush()
        self.counts["fieldwork.Patrol"] = n_patrols
        self.counts["fieldwork.Visit"] = n_visits
        if routes:
            first = min(k[1] for k in routes)
            points = RowWriter(PatrolPoint)
            n_points = 0
            for pk, worker_id, started in Patrol.objects.filter(
                started_at__gte=first, worker_id__in=list(self.workers)
            ).values_list("id", "worker_id", "started_at"):
                for lat, lng, t in routes.get((worker_id, started), ()):
                    points.add(patrol_id=pk, lat=lat, lng=lng, recorded_at=t, accuracy_m=10)
                    n_points += 1
            points.flush()
            self.counts["fieldwork.PatrolPoint"] = n_points

    # -- the daily close ---------------------------------------------------------------------

    def close(self) -> None:
        norms = compliance.Norms()
        ids = list(self.workers)
        now = timezone.now()
        writer = RowWriter(DailyReport)
        prep = {
            f.attname: f
            for f in DailyReport._meta.concrete_fields
            if f.get_internal_type() in ("JSONField", "DecimalField")
        }
        per_day: dict[dt.date, int] = defaultdict(int)
        for day in self.workdays:
            extra = {pk: self.extra.get((pk, day), 0) for pk in ids}
            stats = compliance.day_stats(ids, day, extra_tasks=extra)
            closed_at = min(_aware(day + dt.timedelta(days=1), 60), now)
            for pk in ids:
                post = self.workers[pk]
                s = stats[pk]
                norm = norms.for_path(post.area.path)
                on_leave = day in self.leave.get(pk, ())
                if on_leave:
                    ok, missing = True, {}
                else:
                    ok, missing = compliance.evaluate(s, norm)
                values = dict(
                    worker_id=pk,
                    day=day,
                    area_id=post.area_id,
                    area_path=post.area.path,
                    status=ReportStatus.CLOSED,
                    notes=_REPORT_NOTES[(pk + day.toordinal()) % len(_REPORT_NOTES)]
                    if s.visits
                    else "",
                    submitted_at=_aware(day, 17 * 60 + 40) if s.visits else None,
                    closed_at=closed_at,
                    is_workday=True,
                    on_leave=on_leave,
                    required=not on_leave,
                    compliant=ok,
                    missing=missing,
                    norm=norm,
                    extra_tasks=s.extra_tasks,
                    **s.as_values(),
                )
                for name, f in prep.items():
                    values[name] = f.get_db_prep_save(values[name], connection)
                writer.add(**values)
                per_day[day] += 1
        n_reports = writer.flush()
        ClosedDay.objects.bulk_create(
            [
                ClosedDay(
                    day=d,
                    reports=per_day.get(d, 0),
                    closed_at=min(_aware(d + dt.timedelta(days=1), 60), now),
                )
                for d in self.days
            ]
        )
        self.counts["fieldwork.DailyReport"] = n_reports

    # -- pledges -----------------------------------------------------------------------------

    def pledges(self) -> None:
        rng = self.rng
        ctx = self.ctx
        town_login = ctx.logins.get("town")
        campaigns = []
        flood = PledgeCampaign(
            area=ctx.county,
            area_path=ctx.county.path,
            title="汛期网格员防汛责任承诺书",
            text=FLOOD_TEXT,
            deadline=self.today - dt.timedelta(days=20),
            created_by=ctx.logins.get("admin"),
        )
        campaigns.append(flood)
        for town in ctx.towns:
            campaigns.append(
                PledgeCampaign(
                    area=town,
                    area_path=town.path,
                    title="秸秆禁烧网格员责任承诺书",
                    text=STRAW_TEXT,
                    deadline=self.today + dt.timedelta(days=10),
                    created_by=town_login,
                )
            )
        PledgeCampaign.objects.bulk_create(campaigns)
        rows = []
        login_pk = self.worker_login.pk if self.worker_login is not None else None
        users = {u.pk: u for u in ctx.users.values()}
        for pk, post in self.workers.items():
            name = users[pk].full_name if pk in users else ""
            if not name:
                continue
            if rng.random() < 0.97:
                rows.append(
                    Pledge(
                        campaign=flood,
                        worker_id=pk,
                        signed_name=name,
                        signed_at=_aware(self.today - dt.timedelta(days=rng.randint(21, 28)), 600),
                    )
                )
            town = next(c for c in campaigns[1:] if post.area.path.startswith(c.area_path))
            if pk != login_pk and rng.random() < 0.6:
                rows.append(
                    Pledge(
                        campaign=town,
                        worker_id=pk,
                        signed_name=name,
                        signed_at=_aware(
                            self.today - dt.timedelta(days=rng.randint(0, 3)),
                            8 * 60 + rng.uniform(0, 120),
                        ),
                    )
                )
        Pledge.objects.bulk_create(rows, batch_size=2000)
        self.counts["fieldwork.PledgeCampaign"] = len(campaigns)
        self.counts["fieldwork.Pledge"] = len(rows)

    def run(self) -> dict[str, int]:
        self.load()
        self.norms()
        self.work()
        self.close()
        self.pledges()
        return self.counts


_VISIT_NOTES = {
    VisitKind.ACQUAINT: [
        "初次上门，了解家庭成员及收入情况，登记联系方式。",
        "核实家庭人口信息，宣传网格员服务电话。",
        "认识户主，了解种植养殖情况。",
    ],
    VisitKind.CALL_ON: [
        "看望留守老人，身体状况良好，叮嘱注意用电安全。",
        "回访上次反映的问题，群众表示满意。",
        "了解子女务工情况，宣传医保缴费政策。",
    ],
    VisitKind.HELP: [
        "帮助老人代缴医保，协助办理高龄津贴。",
        "协助联系村医上门测量血压。",
        "帮助整理院内杂物，消除火灾隐患。",
    ],
}
_REPORT_NOTES = [
    "上午巡查网格内道路及河塘，下午入户走访，宣传秸秆禁烧政策。",
    "完成两次巡查，走访困难户和留守老人，无异常情况。",
    "协助村里开展人居环境整治，入户宣传防电信诈骗。",
    "巡查发现路边垃圾堆放已上报处理，走访三户。",
]


# The bookkeeping of closed days hangs off nothing a reset follows.
wipe_on_reset(ClosedDay)


@register_step("fieldwork", order=110)
def build_fieldwork(ctx) -> dict[str, int]:
    return FieldworkDemo(ctx).run()

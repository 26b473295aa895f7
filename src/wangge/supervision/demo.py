"""Demo data of supervision 督导 and bulletins 通报 (see wangge.demo.registry).

Per town, by the town's supervisor, through the services (so the timeline, the audit rows and
the events the scoring app listens to are all there):

- supervision items 督导事项: one per month of the last quarter and one for the quarter;
- a quarter of inspections 督导检查 of the villages (reports heard, ledgers checked, people at
  their post), with photos left out;
- problems 问题清单 found by them, responsible the village grid chief, in every state: open
  (some past their deadline, which the sweep turns red and escalates to the town), rectified,
  sent back, verified and crossed off 销号, with follow-up 督办 notes and reminders;

and later (after the cases and the scoring steps), bulletins: the last bi-weekly bulletin of
the first town published, the last quarterly bulletin of the town (and, in the county
preset, of the county) as a reviewed draft.

The county preset does this for the first villages of each town only, to stay quick.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from wangge.accounts.choices import Role
from wangge.accounts.models import Post
from wangge.demo.registry import register_step

from . import periods, services
from .choices import BulletinKind, Check, PeriodKind
from .tasks import sweep

VILLAGES_PER_TOWN_COUNTY = 5
INSPECTIONS_PER_VILLAGE = 3

ITEMS = [
    ("网格员在岗履职情况", "查看网格员日巡查、走访记录和在岗情况，核对“2348”工作法落实。"),
    ("矛盾纠纷排查化解", "听取村两委汇报，查阅矛盾纠纷排查台账和调解记录。"),
    ("三务公开落实情况", "检查党务、村务、财务公开栏及一村一码公开内容是否按期更新。"),
]
QUARTER_ITEM = ("党建引领网格化服务管理季度督查", "对照年度责任清单，逐村督导问题整改销号情况。")
NOTES = [
    "听取村党组织书记汇报网格化工作开展情况，查阅走访台账、巡查日志。",
    "实地查看网格员在岗情况，随机走访农户核实走访记录。",
    "查阅矛盾纠纷排查台账，抽查三个网格的事件办理记录。",
    "检查三务公开栏，核对一村一码公开内容与纸质台账是否一致。",
]
PROBLEMS = [
    "部分网格员走访台账记录不全，缺少10月份走访记录。",
    "网格员日巡查打卡不规范，存在补录现象。",
    "矛盾纠纷排查台账未按月更新。",
    "三务公开栏财务公开内容未及时更新。",
    "一户一策帮扶措施填写笼统，未落实到人。",
    "网格党支部三会一课记录不完整。",
    "村级事件办理回访记录缺失。",
    "网格员值班表未上墙公示。",
]
RECTIFICATIONS = [
    "已组织网格员补齐走访记录，并建立周检查制度。",
    "已对相关网格员进行约谈提醒，规范打卡流程。",
    "台账已更新至本月，明确专人负责。",
    "公开栏内容已更新，同步上传一村一码。",
]


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _town_supervisor(town, ctx):
    """The named supervisor login when it covers the town, else the town's own supervisor,
    else a town administrator."""
    named = ctx.logins.get("supervisor")
    posts = Post.objects.active(ctx.today).select_related("user", "area")
    if named is not None and any(
        town.path.startswith(p.area.path) for p in posts.filter(user=named, role=Role.SUPERVISOR)
    ):
        mine = posts.filter(user=named, role=Role.SUPERVISOR, area=town).exists()
        if mine or town == ctx.towns[0]:
            return named
    for role in (Role.SUPERVISOR, Role.TOWN_ADMIN):
        p = posts.filter(area=town, role=role).order_by("id").first()
        if p is not None:
            return p.user
    return None


@register_step("supervision", order=60)
def build_supervision(ctx) -> dict[str, int]:
    rng = ctx.rng("supervision")
    today = ctx.today
    q_start, _q_end = periods.quarter_bounds(today)
    # A full quarter of inspections: the last 90 days.
    first = today - dt.timedelta(days=90)
    counts = {"items": 0, "inspections": 0, "problems": 0}
    villages_by_town: dict[int, list] = {}
    for v in ctx.villages:
        villages_by_town.setdefault(v.parent_id, []).append(v)
    county = len(ctx.towns) > 1
    for town in ctx.towns:
        sup = _town_supervisor(town, ctx)
        if sup is None:
            continue
        for months_back in (2, 1, 0):
            day = today.replace(day=1)
            for _i in range(months_back):
                day = (day - dt.timedelta(days=1)).replace(day=1)
            title, desc = ITEMS[months_back % len(ITEMS)]
            services.item_create(
                actor=None,
                area=town,
                title=title,
                description=desc,
                period_kind=PeriodKind.MONTH,
                period=f"{day.year}-{day.month:02d}",
            )
            counts["items"] += 1
        quarter_item = services.item_create(
            actor=None,
            area=town,
            title=QUARTER_ITEM[0],
            description=QUARTER_ITEM[1],
            period_kind=PeriodKind.QUARTER,
            period=periods.quarter_label(today),
        )
        counts["items"] += 1
        villages = villages_by_town.get(town.pk, [])
        if county:
            villages = villages[:VILLAGES_PER_TOWN_COUNTY]
        for village in villages:
            chiefs = ctx.village_chiefs.get(village.pk) or []
            if not chiefs:
                continue
            chief = chiefs[0]
            for k in range(INSPECTIONS_PER_VILLAGE):
                span = (today - first).days
                day = first + dt.timedelta(
                    days=(span * k) // INSPECTIONS_PER_VILLAGE + rng.randint(0, 20)
                )
                day = min(day, today)
                now = _at(day, 9 + rng.randint(0, 6))
                expected = rng.randint(4, 12)
                checks = rng.sample(Check.values, rng.randint(2, 4))
                if Check.PEOPLE_AT_POST not in checks:
                    checks.append(Check.PEOPLE_AT_POST)
                inspection = services.inspection_record(
                    actor=sup,
                    area=village,
                    inspected_on=day,
                    checks=checks,
                    item=quarter_item if day >= q_start else None,
                    staff_expected=expected,
                    staff_present=expected - (rng.random() < 0.3),
                    notes=rng.choice(NOTES),
                    now=now,
                )
                counts["inspections"] += 1
                for _p in range(rng.randint(1, 2)):
                    deadline = day + dt.timedelta(days=rng.choice([7, 10, 15, 30]))
                    problem = services.problem_create(
                        actor=sup,
                        inspection=inspection,
                        description=rng.choice(PROBLEMS),
                        responsible=chief,
                        deadline=deadline,
                        now=now,
                    )
                    outcome = OUTCOMES[counts["problems"] % len(OUTCOMES)]
                    counts["problems"] += 1
                    _advance(problem, sup, chief, rng, deadline, today, outcome)
    counts["overdue"] = sweep(now=_at(today, 8))["overdue"]
    return {
        "supervision.SupervisionItem": counts["items"],
        "supervision.Inspection": counts["inspections"],
        "supervision.Problem": counts["problems"],
        "supervision.overdue": counts["overdue"],
    }


# What becomes of the problems, in turn (every state is represented even in the tiny preset).
OUTCOMES = ["crossed_off", "open", "rectified", "crossed_off", "verified", "sent_back"]


def _advance(problem, sup, chief, rng, deadline, today, outcome) -> None:
    """Carry a problem some way along: open (on time or late), rectified, sent back,
    verified or crossed off, with follow-up notes on the way."""
    created = problem.created_at.date()
    if outcome == "open" or created > today - dt.timedelta(days=2):
        if created < today and rng.random() < 0.7:
            services.problem_follow_up(
                actor=sup,
                problem=problem,
                note="电话督办，要求按期完成整改。",
                remind=True,
                now=_at(created + dt.timedelta(days=1), 15),
            )
        return
    span = max((deadline - created).days, 2)
    done = min(created + dt.timedelta(days=rng.randint(1, span)), today - dt.timedelta(days=1))
    if rng.random() < 0.4:
        services.problem_follow_up(
            actor=sup, problem=problem, note="现场督办，询问整改进度。", now=_at(done, 8)
        )
    services.problem_rectify(
        actor=chief, problem=problem, rectification=rng.choice(RECTIFICATIONS), now=_at(done, 10)
    )
    if outcome == "rectified":
        return
    check = min(done + dt.timedelta(days=rng.randint(0, 4)), today)
    if outcome == "sent_back":
        services.problem_reject(
            actor=sup, problem=problem, reason="整改不到位，台账仍有缺项。", now=_at(check, 14)
        )
        return
    services.problem_verify(
        actor=sup, problem=problem, note="现场核实，已整改。", now=_at(check, 14)
    )
    if outcome == "verified":
        return
    services.problem_cross_off(actor=sup, problem=problem, now=_at(check, 17))


@register_step("supervision-bulletins", order=190)
def build_bulletins(ctx) -> dict[str, int]:
    """After the cases and the scoring: bulletins drawn from their data."""
    n = 0
    now = _at(ctx.today, 9)
    if not ctx.towns:
        return {}
    town = ctx.towns[0]
    officer = ctx.logins.get("town") or _town_supervisor(town, ctx)
    if officer is None:
        return {}
    last_biweekly = periods.last_complete(BulletinKind.BIWEEKLY, ctx.today)
    b = services.bulletin_generate(
        actor=officer, area=town, kind=BulletinKind.BIWEEKLY, day=last_biweekly, now=now
    )
    services.bulletin_update(
        actor=officer,
        bulletin=b,
        remarks="请各村对照通报内容，认真查摆问题，限期整改到位，整改情况报镇网格化管理办公室。",
    )
    services.bulletin_review(actor=officer, bulletin=b, now=now)
    services.bulletin_publish(actor=officer, bulletin=b, now=now)
    n += 1
    last_quarter = periods.last_complete(BulletinKind.QUARTERLY, ctx.today)
    q = services.bulletin_generate(
        actor=officer, area=town, kind=BulletinKind.QUARTERLY, day=last_quarter, now=now
    )
    services.bulletin_review(actor=officer, bulletin=q, now=now)
    n += 1
    admin = ctx.logins.get("admin")
    if len(ctx.towns) > 1 and admin is not None:
        services.bulletin_generate(
            actor=admin, area=ctx.county, kind=BulletinKind.QUARTERLY, day=last_quarter, now=now
        )
        n += 1
    return {"supervision.Bulletin": n}

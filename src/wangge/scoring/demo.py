"""Demo data of the scoring app (runs after every other app): the default rules, the bundle
links from the posts, the ledger backfilled from what the other steps recorded in bulk (no
events were announced), a few manual commendations and admonishments by the town office,
and the assessments of every period that has ended, with some talks recorded."""

from __future__ import annotations

import datetime as dt
import time

from django.utils import timezone

from wangge.accounts.choices import GRID_WORKER_ROLES, Role
from wangge.demo.registry import register_step, wipe_on_reset

from . import rules as R
from . import services
from .models import Admonishment, Assessment, BundleLink, ClosedPeriod, PointEntry, PointRule
from .recount import backfill

for _model in (PointEntry, Assessment, Admonishment, BundleLink, ClosedPeriod):
    wipe_on_reset(_model)

COMMENDATIONS = [
    "巡查发现火情隐患并及时处置",
    "化解邻里纠纷成效突出",
    "防汛值守表现突出",
    "走访帮扶困难户",
]
ADMONISHMENTS = ["多次未按时上报日报告", "网格事件长期未处置", "督查时不在岗"]


@register_step("scoring", order=200)
def build_scoring(ctx) -> dict[str, int]:
    from wangge.accounts.models import Post

    rng = ctx.rng("scoring")
    t0 = time.monotonic()
    R.ensure_default_rules()
    links = services.bundle_links_sync(actor=None, on=ctx.today)
    written = backfill(today=ctx.today)
    ctx.log(f"scoring: {written} ledger entries backfilled in {time.monotonic() - t0:.1f} s")

    # Manual entries by the town office over the past year.
    office = ctx.logins.get("town") or ctx.logins.get("admin")
    workers = list(
        Post.objects.filter(role__in=GRID_WORKER_ROLES).values_list("user_id", flat=True)[:2000]
    )
    elders = list(Post.objects.filter(role=Role.ELDER).values_list("user_id", flat=True)[:200])
    commend = PointRule.objects.get(code="commendation")
    admonish = PointRule.objects.get(code="admonishment")
    manual = 0
    if workers:
        n = max(4, min(60, len(workers) // 10))
        for i in range(n):
            uid = workers[rng.randrange(len(workers))]
            day = ctx.today - dt.timedelta(days=rng.randrange(20, 330))
            rule = admonish if i % 3 == 2 else commend
            reasons = ADMONISHMENTS if rule is admonish else COMMENDATIONS
            try:
                services.entry_create_manual(
                    actor=None,
                    rule=rule,
                    subject_id=uid,
                    reason=reasons[rng.randrange(len(reasons))],
                    day=day,
                )
                manual += 1
            except services.DomainError:
                continue
    # A few workers who did badly one month: enough deductions to fall under the threshold
    # (the admonishment list 约谈 of the seeds).
    for uid in workers[:: max(1, len(workers) // 3)][:3]:
        month = R.add_months(R.month_start(ctx.today), -rng.randrange(2, 10))
        for k in range(5):
            services.entry_create_manual(
                actor=None,
                rule=admonish,
                subject_id=uid,
                reason=ADMONISHMENTS[k % len(ADMONISHMENTS)],
                day=month + dt.timedelta(days=3 + 4 * k),
            )
            manual += 1
    for uid in elders[:8]:
        services.entry_create_manual(
            actor=None,
            rule=commend,
            subject_id=uid,
            reason="“五老”调解矛盾纠纷表现突出",
            day=ctx.today - dt.timedelta(days=rng.randrange(20, 200)),
        )
        manual += 1

    t1 = time.monotonic()
    result = services.assess_ended_periods(today=ctx.today, months_back=13)
    ctx.log(f"scoring: {result.get('created', 0)} assessments in {time.monotonic() - t1:.1f} s")
    # Talks held for about half of the admonishment list.
    talked = 0
    adms = list(Admonishment.objects.select_related("assessment").order_by("id")[:400])
    for adm in adms[::2]:
        end = adm.assessment.end
        at = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=7), dt.time(10)))
        if at.date() > ctx.today:
            continue
        try:
            services.admonishment_record_talk(
                actor=office,
                admonishment=adm,
                talked_at=at,
                notes="指出考核扣分原因，本人表示认识到问题，承诺按时巡查、及时处置事件。",
                follow_up="下月跟踪考核结果。",
            )
        except services.DomainError:  # outside the office's town
            continue
        talked += 1
    return {
        "scoring.PointEntry": PointEntry.objects.count(),
        "scoring.BundleLink": links,
        "scoring.Assessment": result.get("created", 0),
        "scoring.Admonishment talks": talked,
        "scoring manual entries": manual,
    }

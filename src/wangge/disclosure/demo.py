"""Demo data of village transparency 三务三资公开, built on the demo territory, staff and
residents (see wangge.demo.registry).

Per village, through the services, by the village's disclosure editor (报账员) and a
supervisor (standing in for the village supervision committee 村务监督委员会):

- published disclosures of the recent months, the last complete quarter and last year:
  收支明细 (monthly ledgers whose sums make the quarter's 财务收支汇总), 低保对象 with the
  households' real ID numbers (masked for good when published), 党费收缴, 三会一课, 年度财务
  预决算, 村干部报酬;
- the current month's ledger as a draft, a 补贴发放名单 submitted for review and one returned
  (none of them ever on the public page);
- decisions 四议两公开 / 一事一议: one carried through to the published result, another one
  stopped at some stage;
- residents' questions (most answered) and ratings on the village page 一村一码, and the
  focal-issue ledger 问题台账 with items answered on the spot, open, rectified and crossed off.

The town preset gets all of this in every village; the county preset in the first villages of
each town, and the quarter's essentials (ledgers, summary, 低保) elsewhere, to stay quick.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from wangge.accounts.choices import Role
from wangge.accounts.models import Post
from wangge.core.crypto import decrypt
from wangge.demo.people import phone as random_phone
from wangge.demo.registry import register_step
from wangge.people.models import Household, Resident

from . import periods, services
from .choices import (
    ContributionBasis,
    DecisionKind,
    DecisionStage,
    FeedbackKind,
    IssueKind,
    IssueSource,
    PeriodKind,
    ProjectKind,
    VotingBody,
    one_matter_caps,
    one_matter_notice_days,
)
from .models import Decision, Disclosure, DisclosureItem

FULL_VILLAGES_PER_TOWN = 3  # county preset: villages with everything

INCOME = [
    ("上级转移支付村级组织运转经费", 18000, 42000),
    ("集体土地发包收入", 6000, 30000),
    ("集体厂房出租收入", 3000, 12000),
    ("光伏电站发电收益", 2500, 9000),
    ("一事一议财政奖补资金", 20000, 60000),
    ("村集体存款利息", 80, 400),
]
EXPENSE = [
    ("村干部基本报酬", 12000, 26000),
    ("村部水电费", 600, 1800),
    ("环境卫生保洁费", 2000, 6000),
    ("办公用品购置", 300, 1500),
    ("村内道路维修材料费", 3000, 15000),
    ("走访慰问困难群众", 1000, 4000),
    ("防汛物资购置", 1500, 5000),
    ("党员活动经费", 500, 2000),
    ("网格员通讯补助", 800, 2400),
    ("农田水利沟渠清淤", 2000, 9000),
]
DECISIONS = [
    # (kind, title, summary, amount range, resolution, result)
    (
        DecisionKind.ONE_MATTER,
        "{v}主干道硬化工程（一事一议）",
        "拟对村内主干道约{km}公里进行水泥硬化，宽4.5米，财政奖补与村民筹资相结合。",
        (180000, 420000),
        "经村民会议一户一票表决通过、镇人民政府审核同意：实施主干道硬化工程，预算{amount}元，"
        "其中财政奖补70%，其余由村集体承担和受益农户按户筹资，筹资不超过上限标准，困难户免筹。",
        "工程已于{date}完工并通过镇村建办验收，实际支出{spent}元，结余资金转入村集体账户，"
        "收支明细已在财务公开栏公示。",
    ),
    (
        DecisionKind.FOUR_DISCUSSIONS,
        "{v}集体厂房出租方案",
        "村集体闲置厂房约600平方米，拟公开招租，租期3年，底价每年{amount}元。",
        (30000, 80000),
        "同意通过镇农村产权交易平台公开招租，租期3年，底价每年{amount}元，价高者得。",
        "已于{date}公开竞价，成交价每年{spent}元，租金按年缴纳，纳入集体经营性收入。",
    ),
    (
        DecisionKind.FOUR_DISCUSSIONS,
        "{v}光伏电站收益分配方案",
        "村级光伏电站年收益约{amount}元，拟用于公益岗位工资、小型公益事业和困难群众救助。",
        (40000, 90000),
        "同意按公益岗位60%、小型公益事业30%、临时救助10%的比例分配光伏收益。",
        "本年度已设置公益岗位12个，完成小型公益项目3个，支出{spent}元。",
    ),
    (
        DecisionKind.FOUR_DISCUSSIONS,
        "{v}村部新建停车场",
        "拟占用村部西侧空地约800平方米新建停车场，预算{amount}元。",
        (60000, 150000),
        "",
        "",
    ),
]
QUESTIONS = [
    (
        "本月收支明细里的道路维修材料费是修的哪一段路？",
        "是三组到五组之间的生产路，共修补坑洼约300米，材料发票已附在公开栏。",
    ),
    (
        "低保名单是怎么评出来的？我家老人常年吃药能不能申请？",
        "低保按户申请，经村民代表评议、镇审核、县民政局审批。您家可带病历和收入证明到村便民服务站申请，网格员会上门核实。",
    ),
    (
        "一事一议的筹资款什么时候公布用到哪里了？",
        "工程结算后已在结果公开中公布，明细见本期收支明细和工程项目建设公开。",
    ),
    (
        "厂房出租的钱是归村集体还是归个人？",
        "租金全部进入村集体账户，纳入集体经营性收入，每季度公开。",
    ),
    (
        "党费收缴表里为什么有的党员交得多有的交得少？",
        "党费按本人收入的比例交纳，农民党员每月0.2元，在职和退休党员按工资收入比例交纳。",
    ),
    ("村里的光伏收益今年分了多少？", ""),
]
ISSUES = [
    (
        IssueKind.FINANCE,
        IssueSource.SUNSHINE_REPORT,
        "村集体土地发包为什么没有公开招标？",
        "去年发包的120亩均通过镇产权交易平台公开竞价，合同和成交价已公开。",
        "",
    ),
    (
        IssueKind.GOVERNMENT,
        IssueSource.REPRESENTATIVES_MEETING,
        "三组路灯坏了两个多月没人修。",
        "",
        "已更换路灯8盏并落实专人每月检查。",
    ),
    (
        IssueKind.GOVERNMENT,
        IssueSource.DIALOGUE,
        "村东头排水沟堵塞，一下雨就淹到院子里。",
        "",
        "已组织清淤疏通排水沟约400米，新建涵管2处。",
    ),
    (
        IssueKind.PARTY,
        IssueSource.MEMBERS_MEETING,
        "流动党员在外地怎么参加组织生活？",
        "流动党员通过线上党小组参加学习，每季度由党小组长电话联系一次，回乡时补课。",
        "",
    ),
    (
        IssueKind.FINANCE,
        IssueSource.SUNSHINE_REPORT,
        "保洁费每个月都有，保洁员是怎么聘的？",
        "",
        "",
    ),
]


def _amount(value: float) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"


def _money(rng: random.Random, lo: int, hi: int) -> float:
    return round(rng.uniform(lo, hi) / 10) * 10 + rng.choice((0, 0, 0.5))


class DisclosureDemo:
    def __init__(self, ctx):
        self.ctx = ctx
        self.rng = ctx.rng("disclosure")
        self.today = min(ctx.today, timezone.localdate())
        self.items = {i.code: i for i in DisclosureItem.objects.filter(is_active=True)}
        self.counts = {"disclosure.Disclosure": 0, "disclosure.Decision": 0}
        self.counts.update({"disclosure.Feedback": 0, "disclosure.FocalIssue": 0})

    # ------------------------------------------------------------------ people
    def load(self) -> None:
        ctx = self.ctx
        users = {u.pk: u for u in ctx.users.values()}
        self.editors: dict[int, object] = {}
        self.reviewers: dict[int, list] = {}
        county_reviewers = []
        for user_id, area_id, role in (
            Post.objects.filter(role__in=[Role.DISCLOSURE_EDITOR, Role.SUPERVISOR])
            .order_by("pk")
            .values_list("user_id", "area_id", "role")
        ):
            user = users.get(user_id)
            if user is None:
                continue
            if role == Role.DISCLOSURE_EDITOR:
                self.editors.setdefault(area_id, user)
            elif area_id == getattr(ctx.county, "pk", None):
                county_reviewers.append(user)
            else:
                self.reviewers.setdefault(area_id, []).append(user)
        for town in ctx.towns:
            self.reviewers.setdefault(town.pk, []).extend(county_reviewers)
        self.grid_name = {g.pk: g.name for g in ctx.grids}
        self.grids_of = {}
        for g in ctx.grids:
            self.grids_of.setdefault(g.parent_id, []).append(g.pk)

    def _villages(self):
        """(village, full?) pairs."""
        ctx = self.ctx
        if ctx.preset != "county":
            return [(v, True) for v in ctx.villages]
        seen: dict[int, int] = {}
        out = []
        for v in ctx.villages:
            seen[v.parent_id] = seen.get(v.parent_id, 0) + 1
            out.append((v, seen[v.parent_id] <= FULL_VILLAGES_PER_TOWN))
        return out

    # ------------------------------------------------------------------ disclosures
    def _disclose(self, village, code, period, *, body="", table=None, state="published"):
        editor = self.editors.get(village.pk)
        reviewers = self.reviewers.get(village.parent_id) or [None]
        reviewer = reviewers[0]
        d = services.disclosure_create(
            actor=editor,
            village=village,
            item=self.items[code],
            period=str(period),
            body=body,
            table=table,
        )
        self.counts["disclosure.Disclosure"] += 1
        if state == "draft":
            return d
        d = services.disclosure_submit(actor=editor, disclosure=d)
        if state == "submitted":
            return d
        if state == "returned":
            return services.disclosure_return(
                actor=reviewer,
                disclosure=d,
                reason="请补充每户补贴面积和标准，并附村民小组长签字的花名册。",
            )
        return services.disclosure_publish(actor=reviewer, disclosure=d)

    def _ledger(self, village, month: periods.Period) -> tuple[dict, float, float]:
        rng = self.rng
        rows, total_in, total_out = [], 0.0, 0.0
        start, end = month.start, month.end - dt.timedelta(days=1)
        entries = []
        for name, lo, hi in rng.sample(INCOME, rng.randint(2, 4)):
            entries.append((name, _money(rng, lo, hi), None))
        for name, lo, hi in rng.sample(EXPENSE, rng.randint(4, 7)):
            entries.append((name, None, _money(rng, lo, hi)))
        days = sorted(
            start + dt.timedelta(days=rng.randint(0, (end - start).days)) for _ in entries
        )
        rng.shuffle(entries)
        handler = self.editors.get(village.pk)
        for n, (day, (name, inc, out)) in enumerate(zip(days, entries, strict=True), start=1):
            total_in += inc or 0
            total_out += out or 0
            rows.append(
                [
                    day.isoformat(),
                    f"记{month.number:02d}-{n:03d}",
                    name,
                    _amount(inc) if inc is not None else None,
                    _amount(out) if out is not None else None,
                    handler.full_name if handler else "",
                ]
            )
        rows.append(["", "", "本月合计", _amount(total_in), _amount(total_out), ""])
        table = {
            "columns": ["日期", "凭证号", "摘要", "收入（元）", "支出（元）", "经办人"],
            "rows": rows,
        }
        return table, total_in, total_out

    def _allowance_table(self, village, households) -> dict:
        rng = self.rng
        rows = []
        for n, (_hh, head, kind, size, grid_id) in enumerate(households, start=1):
            if kind == "tekun":
                label, amount = "特困供养", rng.choice((980, 1020, 1060))
            else:
                label, amount = "农村低保", size * rng.choice((230, 260, 290, 320))
            rows.append(
                [
                    n,
                    head[0],
                    decrypt(head[1]),
                    size,
                    label,
                    _amount(amount),
                    self.grid_name.get(grid_id, ""),
                ]
            )
        return {
            "columns": [
                "序号",
                "户主姓名",
                "身份证号",
                "家庭人口",
                "保障类别",
                "月保障金额（元）",
                "所在网格",
            ],
            "rows": rows,
        }

    def _tagged_households(self, village, limit: int = 30) -> list:
        grids = self.grids_of.get(village.pk, [])
        rows = list(
            Household.objects.filter(grid_id__in=grids, tags__code__in=["dibao", "tekun"])
            .order_by("number")
            .values_list("pk", "head_id", "tags__code", "member_count", "grid_id")[:limit]
        )
        heads = {
            r[0]: (r[1], r[2])
            for r in Resident.objects.filter(pk__in=[r[1] for r in rows]).values_list(
                "pk", "name", "id_number_cipher"
            )
        }
        out, seen = [], set()
        for hh, head_id, code, size, grid_id in rows:
            if hh in seen or head_id not in heads:
                continue
            seen.add(hh)
            out.append((hh, heads[head_id], code, size, grid_id))
        return out

    def _subsidy_table(self, village) -> dict:
        rng = self.rng
        grids = self.grids_of.get(village.pk, [])
        heads = list(
            Resident.objects.filter(household__grid_id__in=grids, relation="head")
            .order_by("household__number")
            .values_list("name", "id_number_cipher")[:200]
        )
        rows = []
        for n, (name, cipher) in enumerate(rng.sample(heads, min(12, len(heads))), start=1):
            mu = round(rng.uniform(2, 15), 1)
            rows.append([n, name, decrypt(cipher), "耕地地力保护补贴", mu, _amount(mu * 105.8)])
        return {
            "columns": ["序号", "姓名", "身份证号", "补贴项目", "面积（亩）", "补贴金额（元）"],
            "rows": rows,
        }

    def disclosures(self, village, full: bool) -> list:
        rng, today = self.rng, self.today
        this_month = periods.current(PeriodKind.MONTHLY, today)
        this_quarter = periods.current(PeriodKind.QUARTERLY, today)
        last_quarter = _previous(this_quarter)
        # Monthly ledgers from the start of the last complete quarter to last month.
        months, p = [], _previous(this_month)
        while p >= periods.Period(
            last_quarter.year, PeriodKind.MONTHLY, 3 * last_quarter.number - 2
        ):
            months.append(p)
            p = _previous(p)
        published = []
        sums = {}
        for month in sorted(months):
            table, income, expense = self._ledger(village, month)
            sums[month] = (income, expense)
            published.append(self._disclose(village, "income-expense", month, table=table))
        q_months = [m for m in months if last_quarter.start <= m.start < last_quarter.end]
        income = sum(sums[m][0] for m in q_months)
        expense = sum(sums[m][1] for m in q_months)
        opening = _money(rng, 40000, 260000)
        published.append(
            self._disclose(
                village,
                "finance-summary",
                last_quarter,
                body=f"{village.name}{last_quarter}财务收支情况：本季度收入{_amount(income)}元，"
                f"支出{_amount(expense)}元。收支明细见各月公开。",
                table={
                    "columns": ["项目", "金额（元）"],
                    "rows": [
                        ["期初余额", _amount(opening)],
                        ["本季度收入", _amount(income)],
                        ["本季度支出", _amount(expense)],
                        ["期末余额", _amount(opening + income - expense)],
                    ],
                },
            )
        )
        allowance = self._tagged_households(village)
        if allowance:
            published.append(
                self._disclose(
                    village,
                    "subsistence-allowance",
                    last_quarter,
                    body="以上对象经村民代表评议、镇人民政府审核、县民政局审批。对名单有异议的，"
                    "可在公示期内向村务监督委员会或镇民政所反映。",
                    table=self._allowance_table(village, allowance),
                )
            )
        if not full:
            return published
        # Party affairs, last year's accounts and cadre pay.
        members = list(
            _party_members(village).values_list("name", "grid_level", "is_in_service")[:40]
        )
        if members:
            rows = []
            for n, (name, level, _in_service) in enumerate(members, start=1):
                monthly = 0.2 if level >= 3 else rng.choice((5, 8, 12, 20))
                rows.append([n, name, _amount(monthly), _amount(monthly * 3)])
            published.append(
                self._disclose(
                    village,
                    "party-dues",
                    last_quarter,
                    table={
                        "columns": ["序号", "姓名", "月交纳标准（元）", "本季度交纳（元）"],
                        "rows": rows,
                    },
                )
            )
        published.append(
            self._disclose(
                village,
                "party-meetings",
                last_quarter,
                body="本季度召开支部党员大会1次、支委会3次、党小组会各1次，讲党课1次，"
                "开展主题党日3次；流动党员通过线上方式参加学习。",
            )
        )
        last_year = periods.Period(today.year - 1, PeriodKind.ANNUAL, 0)
        budget = []
        for name, lo, hi in INCOME[:4] + EXPENSE[:6]:
            planned = _money(rng, lo * 10, hi * 10)
            budget.append([name, _amount(planned), _amount(planned * rng.uniform(0.85, 1.1))])
        published.append(
            self._disclose(
                village,
                "budget-final-accounts",
                last_year,
                table={"columns": ["项目", "预算数（元）", "决算数（元）"], "rows": budget},
            )
        )
        chief = (self.ctx.village_chiefs.get(village.pk) or [None])[0]
        editor = self.editors.get(village.pk)
        pay = []
        for user, post in ((chief, "党总支书记、村委会主任"), (editor, "村报账员")):
            if user is not None:
                base = rng.choice((36000, 38400, 42000)) if "书记" in post else 26400
                bonus = rng.choice((8000, 9600, 12000))
                pay.append(
                    [user.full_name, post, _amount(base), _amount(bonus), _amount(base + bonus)]
                )
        if pay:
            published.append(
                self._disclose(
                    village,
                    "cadre-pay",
                    last_year,
                    table={
                        "columns": [
                            "姓名",
                            "职务",
                            "基本报酬（元）",
                            "绩效报酬（元）",
                            "合计（元）",
                        ],
                        "rows": pay,
                    },
                )
            )
        # Never public: the current month's ledger (draft), the subsidy list (submitted) and a
        # resources disclosure sent back by the supervision committee.
        table, _i, _e = self._ledger(village, this_month)
        self._disclose(village, "income-expense", this_month, table=table, state="draft")
        self._disclose(
            village,
            "subsidy-list",
            this_quarter,
            table=self._subsidy_table(village),
            body="耕地地力保护补贴发放名单（待村务监督委员会审核）。",
            state="submitted",
        )
        self._disclose(
            village,
            "resource-contracting",
            last_quarter,
            body="本季度发包集体机动地3宗，共计85亩，发包价每亩每年650元。",
            state="returned",
        )
        return published

    # ------------------------------------------------------------------ decisions
    def decisions(self, village, index: int) -> list[Decision]:
        rng, today = self.rng, self.today
        editor = self.editors.get(village.pk)
        short = village.name
        out = []
        stop_at = [
            DecisionStage.DISCUSSED,
            DecisionStage.REVIEWED,
            DecisionStage.PASSED,
            DecisionStage.REJECTED,
            DecisionStage.RESOLUTION_PUBLISHED,
            DecisionStage.PROPOSED,
        ][index % 6]
        second = 3 if stop_at == DecisionStage.REJECTED else 1 + index % 2
        for which, target in ((0, DecisionStage.RESULT_PUBLISHED), (second, stop_at)):
            kind, title, summary, (lo, hi), resolution, result = DECISIONS[which]
            amount = Decimal(round(rng.uniform(lo, hi), -2))
            start = today - dt.timedelta(
                days=rng.randint(60, 160) if which == 0 else rng.randint(20, 50)
            )
            day = start
            if kind == DecisionKind.ONE_MATTER:
                out.append(
                    self._one_matter(
                        village,
                        editor,
                        title=title.format(v=short),
                        summary=summary.format(amount=amount, km=rng.choice(("1.2", "1.8", "2.5"))),
                        budget=amount,
                        resolution=resolution,
                        result=result,
                        start=start,
                    )
                )
                continue
            d = services.decision_create(
                actor=editor,
                village=village,
                title=title.format(v=short),
                held_on=day,
                kind=kind,
                summary=summary.format(amount=amount, km=rng.choice(("1.2", "1.8", "2.5"))),
                notes="村党组织书记主持召开支委会，提出初步方案。",
                amount=amount,
            )
            out.append(d)

            if target == DecisionStage.PROPOSED:
                continue
            day = min(today, day + dt.timedelta(days=rng.randint(2, 6)))
            d = services.decision_advance(
                actor=editor,
                decision=d,
                stage=DecisionStage.DISCUSSED,
                held_on=day,
                notes="村“两委”联席会议商议，完善方案并征求党员群众意见。",
            )
            if target == DecisionStage.DISCUSSED:
                continue
            day = min(today, day + dt.timedelta(days=rng.randint(2, 6)))
            d = services.decision_advance(
                actor=editor,
                decision=d,
                stage=DecisionStage.REVIEWED,
                held_on=day,
                notes="党员大会审议，应到党员全部通知，实到过半。",
            )
            if target == DecisionStage.REVIEWED:
                continue
            day = min(today, day + dt.timedelta(days=rng.randint(2, 6)))
            total = rng.randint(31, 49)
            attendance = rng.randint(-(-2 * total // 3), total)
            if target == DecisionStage.REJECTED:
                votes_for = rng.randint(attendance // 4, attendance // 2 - 1)
            else:
                votes_for = rng.randint(attendance // 2 + 2, attendance)
            against = rng.randint(0, attendance - votes_for)
            d = services.decision_vote(
                actor=editor,
                decision=d,
                held_on=day,
                representatives_total=total,
                attendance=attendance,
                votes_for=votes_for,
                votes_against=against,
                votes_abstain=attendance - votes_for - against,
                notes="村民代表会议表决，镇包村干部列席。",
            )
            if target in (DecisionStage.PASSED, DecisionStage.REJECTED):
                continue
            day = min(today, day + dt.timedelta(days=rng.randint(1, 3)))
            d = services.decision_publish_resolution(
                actor=editor,
                decision=d,
                resolution=resolution.format(amount=amount),
                held_on=day,
            )
            if target == DecisionStage.RESOLUTION_PUBLISHED:
                continue
            day = min(today, day + dt.timedelta(days=rng.randint(20, 45)))
            spent = Decimal(round(float(amount) * rng.uniform(0.9, 1.02), -1))
            d = services.decision_publish_result(
                actor=editor,
                decision=d,
                result=result.format(date=day.isoformat(), spent=spent),
                held_on=day,
            )
            out[-1] = d
        self.counts["disclosure.Decision"] += len(out)
        return out

    def _one_matter(self, village, editor, *, title, summary, budget, resolution, result, start):
        """一事一议 all the way: plan proposed, announced, voted by the households, approved by
        the town, published, and the use of the money published."""
        rng, today = self.rng, self.today
        households = rng.randint(180, 420)
        cap, _days = one_matter_caps(ContributionBasis.HOUSEHOLD)
        contribution = min(cap, Decimal(rng.choice((30, 40, 50, 60))))
        notice = one_matter_notice_days()
        # room for every stage before today: proposal, notice, town review, publication, result
        day = min(start, today - dt.timedelta(days=notice + 70))
        d = services.one_matter_create(
            actor=editor,
            village=village,
            title=title,
            held_on=day,
            project_kind=ProjectKind.ROAD,
            summary=summary,
            budget=budget,
            other_funding=(budget * Decimal("0.7")).quantize(Decimal("1")),
            basis=ContributionBasis.HOUSEHOLD,
            contribution=contribution,
            contributors=households,
            labour_days=rng.choice((0, 2, 3)),
            labourers=households,
            exemptions="特困供养户、现役军人家庭免筹",
            voting_body=VotingBody.HOUSEHOLDS,
            notes="村党组织提议，村民委员会研究提出项目和筹资筹劳方案。",
        )
        day = min(today, day + dt.timedelta(days=rng.randint(5, 8)))
        d = services.decision_advance(
            actor=editor,
            decision=d,
            stage=DecisionStage.ANNOUNCED,
            held_on=day,
            notes=f"在村务公开栏和村民微信群公告项目、预算和筹资筹劳方案，征求意见{notice}天。",
        )
        # 提前公告: the meeting is held no sooner than the notice period after the announcement
        # (the start lies months back, so this stays in the past).
        day = day + dt.timedelta(days=notice + rng.randint(0, 3))
        attendance = rng.randint(-(-2 * households // 3), households)
        votes_for = rng.randint(attendance // 2 + 2, attendance)
        against = rng.randint(0, attendance - votes_for)
        d = services.decision_vote(
            actor=editor,
            decision=d,
            held_on=day,
            representatives_total=households,
            attendance=attendance,
            votes_for=votes_for,
            votes_against=against,
            votes_abstain=attendance - votes_for - against,
            notes="召开村民会议（农户代表），一户一票表决，镇包村干部列席。",
        )
        day = min(today, day + dt.timedelta(days=rng.randint(3, 7)))
        d = services.decision_advance(
            actor=editor,
            decision=d,
            stage=DecisionStage.TOWN_APPROVED,
            held_on=day,
            notes="镇人民政府审核同意，报县农民负担监督管理部门备案。",
        )
        day = min(today, day + dt.timedelta(days=rng.randint(1, 3)))
        d = services.decision_publish_resolution(
            actor=editor, decision=d, resolution=resolution.format(amount=budget), held_on=day
        )
        day = min(today, day + dt.timedelta(days=rng.randint(20, 45)))
        spent = Decimal(round(float(budget) * rng.uniform(0.9, 1.02), -1))
        return services.decision_publish_result(
            actor=editor,
            decision=d,
            result=result.format(date=day.isoformat(), spent=spent),
            held_on=day,
        )

    # ------------------------------------------------------------------ residents
    def feedback(self, village, published: list, decisions: list) -> None:
        rng = self.rng
        editor = self.editors.get(village.pk)
        targets = [
            d for d in published if d.item.code in ("income-expense", "subsistence-allowance")
        ]
        for n, (question, answer) in enumerate(rng.sample(QUESTIONS, 3)):
            fb = services.feedback_submit(
                village=village,
                kind=FeedbackKind.QUESTION,
                phone=random_phone(rng),
                body=question,
                disclosure=targets[n % len(targets)] if targets else None,
            )
            self.counts["disclosure.Feedback"] += 1
            if answer:
                services.feedback_answer(actor=editor, feedback=fb, answer=answer)
        public_decisions = [d for d in decisions if d.is_public]
        for _ in range(rng.randint(3, 6)):
            target = rng.choice(published + public_decisions)
            services.feedback_submit(
                village=village,
                kind=FeedbackKind.RATING,
                phone=random_phone(rng),
                rating=rng.choices((5, 4, 3, 2), (50, 30, 15, 5))[0],
                body=rng.choice(("", "", "公开及时，看得明白", "希望再详细一些", "点赞")),
                disclosure=target if isinstance(target, Disclosure) else None,
                decision=target if isinstance(target, Decision) else None,
            )
            self.counts["disclosure.Feedback"] += 1

    def issues(self, village) -> None:
        rng, today = self.rng, self.today
        editor = self.editors.get(village.pk)
        chief = (self.ctx.village_chiefs.get(village.pk) or [None])[0]
        responsible = chief.full_name if chief else "村党组织书记"
        for n, (kind, source, question, answer, rectification) in enumerate(ISSUES):
            raised = today - dt.timedelta(days=rng.randint(10, 80))
            if answer:
                services.issue_create(
                    actor=editor,
                    village=village,
                    kind=kind,
                    source=source,
                    question=question,
                    raised_on=raised,
                    raised_by=rng.choice(("村民代表", "党员", "群众")),
                    answer=answer,
                )
            else:
                issue = services.issue_create(
                    actor=editor,
                    village=village,
                    kind=kind,
                    source=source,
                    question=question,
                    raised_on=raised,
                    raised_by=rng.choice(("村民代表", "党员", "群众")),
                    responsible=responsible,
                    deadline=raised + dt.timedelta(days=rng.choice((15, 30, 45))),
                )
                if rectification:
                    issue = services.issue_rectify(
                        actor=editor, issue=issue, rectification=rectification
                    )
                    if n % 2 == 1:
                        services.issue_cross_off(actor=editor, issue=issue)
            self.counts["disclosure.FocalIssue"] += 1

    def run(self) -> dict[str, int]:
        if not self.items:
            return {}
        self.load()
        for index, (village, full) in enumerate(self._villages()):
            published = self.disclosures(village, full)
            if not full:
                continue
            decisions = self.decisions(village, index)
            self.feedback(village, published, decisions)
            self.issues(village)
        return self.counts


def _previous(p: periods.Period) -> periods.Period:
    if p.kind == PeriodKind.MONTHLY:
        return periods.Period(
            p.year - (p.number == 1), p.kind, 12 if p.number == 1 else p.number - 1
        )
    if p.kind == PeriodKind.QUARTERLY:
        return periods.Period(
            p.year - (p.number == 1), p.kind, 4 if p.number == 1 else p.number - 1
        )
    return periods.Period(p.year - 1, p.kind, 0)


def _party_members(village):
    """The village's party members when the party app's demo has built them."""
    from wangge.party.models import PartyMember

    return PartyMember.objects.filter(area_path__startswith=village.path, is_active=True).order_by(
        "grid_level", "name"
    )


@register_step("disclosure", order=30)
def build_disclosure(ctx) -> dict[str, int]:
    return DisclosureDemo(ctx).run()

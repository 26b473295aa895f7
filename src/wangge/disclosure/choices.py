"""Choices and rule constants of village transparency 村务公开."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.accounts.choices import Role


class Category(models.TextChoices):
    """The six categories of 三务三资: 党务 村务 财务 (three affairs) and 资金 资产 资源 (three
    assets)."""

    PARTY = "party", _("party affairs")
    VILLAGE = "village", _("village affairs")
    FINANCE = "finance", _("finance")
    FUNDS = "funds", _("funds")
    ASSETS = "assets", _("assets")
    RESOURCES = "resources", _("resources")


class PeriodKind(models.TextChoices):
    """月公示、季汇总、年报告."""

    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    ANNUAL = "annual", _("annual")


class DisclosureStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted for review")
    RETURNED = "returned", _("returned")
    PUBLISHED = "published", _("published")


# States in which the editor may still change a disclosure.
EDITABLE_STATUSES = (DisclosureStatus.DRAFT, DisclosureStatus.RETURNED)


class DecisionKind(models.TextChoices):
    FOUR_DISCUSSIONS = "four", _("four discussions, two disclosures")
    ONE_MATTER = "one_matter", _("one matter, one discussion")


class DecisionStage(models.TextChoices):
    """四议两公开: 党支部提议 → 两委会商议 → 党员大会审议 → 村民代表会议决议 → 决议公开 → 结果公开."""

    PROPOSED = "proposed", _("proposed by the party branch")
    # 一事一议 only: the plan is announced before the villagers' meeting 提前公告.
    ANNOUNCED = "announced", _("plan announced before the meeting")
    DISCUSSED = "discussed", _("discussed by the two committees")
    REVIEWED = "reviewed", _("reviewed by the party members' meeting")
    PASSED = "passed", _("passed by the villagers' representatives")
    REJECTED = "rejected", _("rejected by the villagers' representatives")
    # 一事一议 only: the town government reviews the adopted plan 乡镇审核.
    TOWN_APPROVED = "town_approved", _("plan approved by the town government")
    # 一事一议 only: the town government refuses the adopted plan 乡镇审核不同意 (final).
    TOWN_REFUSED = "town_refused", _("plan refused by the town government")
    RESOLUTION_PUBLISHED = "resolution_published", _("resolution published")
    RESULT_PUBLISHED = "result_published", _("implementation result published")


# The only way forward from each stage of 四议两公开; a stage can never be skipped.
DECISION_NEXT = {
    DecisionStage.PROPOSED: DecisionStage.DISCUSSED,
    DecisionStage.DISCUSSED: DecisionStage.REVIEWED,
    # REVIEWED → PASSED or REJECTED, by the vote.
    DecisionStage.PASSED: DecisionStage.RESOLUTION_PUBLISHED,
    DecisionStage.RESOLUTION_PUBLISHED: DecisionStage.RESULT_PUBLISHED,
}
# Stages the public may see (the resolution is published; 两公开).
PUBLIC_DECISION_STAGES = (DecisionStage.RESOLUTION_PUBLISHED, DecisionStage.RESULT_PUBLISHED)
# Also on the village page, with the town's reason: a 一事一议 plan the town refused (the
# villagers voted to pay; they are told why they will not be asked to).
PUBLIC_REFUSED_STAGES = (DecisionStage.TOWN_REFUSED,)
# Stages at or after the vote (a decision made, passed or not).
VOTED_DECISION_STAGES = (
    DecisionStage.PASSED,
    DecisionStage.REJECTED,
    DecisionStage.TOWN_APPROVED,
    DecisionStage.TOWN_REFUSED,
    *PUBLIC_DECISION_STAGES,
)


@dataclass(frozen=True)
class DecisionTemplate:
    """The road a kind of decision takes. `path` lists the stages in order, None standing for
    the vote (passed or rejected); `advance` are the stages recorded with a plain dated step
    (decision_advance); the vote comes after `vote_after` and the resolution is published
    after `publish_after`. `labels` override the stage names where the kind words them
    differently."""

    kind: str
    path: tuple
    advance: tuple
    vote_after: str
    publish_after: str
    labels: dict = field(default_factory=dict)

    def next_stage(self, stage: str) -> str | None:
        """The stage that follows `stage` (None after the vote's place: the vote decides)."""
        if stage in (self.vote_after, DecisionStage.REJECTED, DecisionStage.TOWN_REFUSED):
            return None
        if stage == DecisionStage.PASSED:
            i = self.path.index(None)
        elif stage in self.path:
            i = self.path.index(stage)
        else:
            return None
        return self.path[i + 1] if i + 1 < len(self.path) else None

    def label(self, stage: str) -> str:
        return self.labels.get(stage) or DecisionStage(stage).label


FOUR_DISCUSSIONS_TEMPLATE = DecisionTemplate(
    kind=DecisionKind.FOUR_DISCUSSIONS,
    path=(
        DecisionStage.PROPOSED,
        DecisionStage.DISCUSSED,
        DecisionStage.REVIEWED,
        None,
        DecisionStage.RESOLUTION_PUBLISHED,
        DecisionStage.RESULT_PUBLISHED,
    ),
    advance=(DecisionStage.DISCUSSED, DecisionStage.REVIEWED),
    vote_after=DecisionStage.REVIEWED,
    publish_after=DecisionStage.PASSED,
)
# 一事一议 (村民一事一议筹资筹劳管理办法): the villagers' committee, led by the party branch,
# proposes the project and its plan of contributions 筹资筹劳方案; the plan is announced before
# the meeting; the villagers' meeting (or the representatives' meeting) votes; the town
# government reviews the adopted plan; then the plan and, later, the use of the money and
# labour are published. A plan the town refuses ends there (TOWN_REFUSED, see
# services.decision_town_refuse): a revised plan is a new proposal, announced and voted afresh.
ONE_MATTER_TEMPLATE = DecisionTemplate(
    kind=DecisionKind.ONE_MATTER,
    path=(
        DecisionStage.PROPOSED,
        DecisionStage.ANNOUNCED,
        None,
        DecisionStage.TOWN_APPROVED,
        DecisionStage.RESOLUTION_PUBLISHED,
        DecisionStage.RESULT_PUBLISHED,
    ),
    advance=(DecisionStage.ANNOUNCED, DecisionStage.TOWN_APPROVED),
    vote_after=DecisionStage.ANNOUNCED,
    publish_after=DecisionStage.TOWN_APPROVED,
    labels={
        DecisionStage.PROPOSED: _("plan proposed by the villagers' committee"),
        DecisionStage.PASSED: _("passed by the villagers' meeting"),
        DecisionStage.REJECTED: _("rejected by the villagers' meeting"),
        DecisionStage.RESOLUTION_PUBLISHED: _("adopted plan published"),
        DecisionStage.RESULT_PUBLISHED: _("use of the money and labour published"),
    },
)
DECISION_TEMPLATES = {t.kind: t for t in (FOUR_DISCUSSIONS_TEMPLATE, ONE_MATTER_TEMPLATE)}


def decision_template(kind: str) -> DecisionTemplate:
    return DECISION_TEMPLATES.get(kind, FOUR_DISCUSSIONS_TEMPLATE)


class ProjectKind(models.TextChoices):
    """What a 一事一议 project may be: village public works the villagers benefit from."""

    IRRIGATION = "irrigation", _("small farmland irrigation works")
    ROAD = "road", _("village road")
    AFFORESTATION = "afforestation", _("tree planting")
    LAND = "land", _("land improvement")
    SANITATION = "sanitation", _("water supply and sanitation")
    OTHER = "other", _("other public-welfare project")


class ContributionBasis(models.TextChoices):
    """筹资 is raised per person 按人 or per household 按户."""

    PERSON = "person", _("per person")
    HOUSEHOLD = "household", _("per household")


class VotingBody(models.TextChoices):
    """Who votes on a 一事一议 plan."""

    VILLAGERS = "villagers", _("villagers' meeting (villagers aged 18 and over)")
    HOUSEHOLDS = "households", _("villagers' meeting (one representative per household)")
    REPRESENTATIVES = "representatives", _("villagers' representatives meeting")


# The quorum each body needs: more than half of the adult villagers, or two thirds of the
# households, or two thirds of the representatives (the decision: a majority of those present).
VOTING_BODY_QUORUM = {
    VotingBody.VILLAGERS: "half",
    VotingBody.HOUSEHOLDS: "two_thirds",
    VotingBody.REPRESENTATIVES: "two_thirds",
}


def one_matter_notice_days() -> int:
    """How many days the plan must be announced before the villagers' meeting votes on it
    提前公告: WANGGE_ONE_MATTER_NOTICE_DAYS (7 days by default)."""
    return int(getattr(settings, "WANGGE_ONE_MATTER_NOTICE_DAYS", 7))


def one_matter_caps(basis: str) -> tuple[Decimal, int]:
    """The ceilings of a 一事一议 plan: yuan per person (or household) per year, and labour
    days per labourer per year. The province sets them; the county configures them with
    WANGGE_ONE_MATTER_CAP_PER_PERSON (20 yuan), WANGGE_ONE_MATTER_HOUSEHOLD_SIZE (a household
    counts as 4 persons) and WANGGE_ONE_MATTER_LABOUR_DAYS (10 days)."""
    per_person = Decimal(str(getattr(settings, "WANGGE_ONE_MATTER_CAP_PER_PERSON", "20")))
    size = int(getattr(settings, "WANGGE_ONE_MATTER_HOUSEHOLD_SIZE", 4))
    days = int(getattr(settings, "WANGGE_ONE_MATTER_LABOUR_DAYS", 10))
    return (per_person * size if basis == ContributionBasis.HOUSEHOLD else per_person), days


class MajorityRule(models.TextChoices):
    """How many votes for are needed to pass."""

    SIMPLE_PRESENT = "simple_present", _("more than half of those present")
    TWO_THIRDS_PRESENT = "two_thirds_present", _("at least two thirds of those present")
    SIMPLE_ALL = "simple_all", _("more than half of all representatives")


class QuorumRule(models.TextChoices):
    """How many representatives must attend for the meeting to be valid."""

    TWO_THIRDS = "two_thirds", _("at least two thirds of the representatives")
    HALF = "half", _("more than half of the representatives")


DEFAULT_MAJORITY_RULE = MajorityRule.SIMPLE_PRESENT
DEFAULT_QUORUM_RULE = QuorumRule.TWO_THIRDS
# Fractions are (threshold, strict): strict means "more than", otherwise "at least".
QUORUM_THRESHOLDS = {
    QuorumRule.TWO_THIRDS: (Fraction(2, 3), False),
    QuorumRule.HALF: (Fraction(1, 2), True),
}
MAJORITY_THRESHOLDS = {
    MajorityRule.SIMPLE_PRESENT: (Fraction(1, 2), True),
    MajorityRule.TWO_THIRDS_PRESENT: (Fraction(2, 3), False),
    MajorityRule.SIMPLE_ALL: (Fraction(1, 2), True),
}


class FeedbackKind(models.TextChoices):
    """述询评督: residents ask 询, rate 评 and supervise 督."""

    QUESTION = "question", _("question")
    RATING = "rating", _("rating")
    SUPERVISION = "supervision", _("supervision report")


class SupervisionStatus(models.TextChoices):
    """Where a supervision report 督 went."""

    NONE = "", _("not applicable")
    PENDING = "pending", _("pending: no case created yet")
    CASE_CREATED = "case", _("case created")


class IssueKind(models.TextChoices):
    """焦点问题当面对话制: 党务类 政务类 财务类."""

    PARTY = "party", _("party affairs")
    GOVERNMENT = "government", _("government affairs")
    FINANCE = "finance", _("finance")


class IssueSource(models.TextChoices):
    MEMBERS_MEETING = "members_meeting", _("party members' meeting")
    REPRESENTATIVES_MEETING = "representatives_meeting", _("villagers' representatives meeting")
    SUNSHINE_REPORT = "sunshine_report", _("sunshine report meeting")
    DIALOGUE = "dialogue", _("face-to-face dialogue")
    OTHER = "other", _("other")


class IssueStatus(models.TextChoices):
    ANSWERED = "answered", _("answered on the spot")
    OPEN = "open", _("open")
    RECTIFIED = "rectified", _("rectified, awaiting cross-off")
    CROSSED_OFF = "crossed_off", _("crossed off")


class Action(models.TextChoices):
    """What a post may do on the disclosures of its subtree."""

    VIEW = "view", _("view disclosures and statistics")
    EDIT = "edit", _("edit and submit disclosures")
    REVIEW = "review", _("review and publish disclosures")
    DECIDE = "decide", _("record decisions and the issue ledger")
    ANSWER = "answer", _("answer residents' questions")


# The accounts app has no disclosure capability yet: the rule lives here, by role.
ACTION_ROLES: dict[str, set[str]] = {
    Action.EDIT: {
        Role.DISCLOSURE_EDITOR,
        Role.VILLAGE_GRID_CHIEF,
        Role.TOWN_ADMIN,
        Role.COUNTY_ADMIN,
    },
    # The village supervision committee 村务监督委员会 reviews; the supervisor role (on a town or
    # county) stands for it until a village-level reviewer role exists.
    Action.REVIEW: {Role.SUPERVISOR, Role.TOWN_ADMIN, Role.COUNTY_ADMIN},
    Action.DECIDE: {
        Role.DISCLOSURE_EDITOR,
        Role.VILLAGE_GRID_CHIEF,
        Role.TOWN_ADMIN,
        Role.COUNTY_ADMIN,
    },
    Action.ANSWER: {
        Role.DISCLOSURE_EDITOR,
        Role.VILLAGE_GRID_CHIEF,
        Role.TOWN_ADMIN,
        Role.COUNTY_ADMIN,
    },
}
ACTION_ROLES[Action.VIEW] = set().union(*ACTION_ROLES.values()) | {
    Role.TOWN_GRID_CHIEF,
    Role.STATIONED_CADRE,
    Role.PARTY_ORGANISER,
}

# Rate limits of the public forms 述询评督: (count, seconds) per phone number and per IP address.
FEEDBACK_LIMIT_PER_PHONE = (5, 3600)
FEEDBACK_LIMIT_PER_IP = (20, 3600)

# How many of each the public village page shows.
PUBLIC_PAGE_LIMIT = 20

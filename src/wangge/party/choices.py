from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    """Kinds of party organisation 党组织, from the town down to the central household."""

    TOWN_COMMITTEE = "town_committee", _("town party committee")
    VILLAGE_COMMITTEE = "village_committee", _("village party committee")
    GENERAL_BRANCH = "general_branch", _("general party branch")
    VILLAGE_BRANCH = "village_branch", _("village party branch")
    # 机关支部: the branch of the town's own staff (乡直机关党支部), under the town committee,
    # whose members (town officials, in service) report in 双报到 to communities.
    ORGAN_BRANCH = "organ_branch", _("town organ party branch")
    GRID_BRANCH = "grid_branch", _("grid party branch")
    PARTY_GROUP = "party_group", _("party group")
    CENTRAL_HOUSEHOLD = "central_household", _("party member central household")


# Which kinds may sit directly under which (None = a root of the party tree).
ALLOWED_PARENT_KINDS: dict[str, tuple[str | None, ...]] = {
    OrgKind.TOWN_COMMITTEE: (None,),
    OrgKind.VILLAGE_COMMITTEE: (OrgKind.TOWN_COMMITTEE,),
    OrgKind.GENERAL_BRANCH: (OrgKind.TOWN_COMMITTEE, OrgKind.VILLAGE_COMMITTEE),
    OrgKind.VILLAGE_BRANCH: (OrgKind.TOWN_COMMITTEE,),
    OrgKind.ORGAN_BRANCH: (OrgKind.TOWN_COMMITTEE,),
    OrgKind.GRID_BRANCH: (
        OrgKind.VILLAGE_COMMITTEE,
        OrgKind.GENERAL_BRANCH,
        OrgKind.VILLAGE_BRANCH,
    ),
    OrgKind.PARTY_GROUP: (
        OrgKind.VILLAGE_COMMITTEE,
        OrgKind.GENERAL_BRANCH,
        OrgKind.VILLAGE_BRANCH,
        OrgKind.GRID_BRANCH,
        OrgKind.ORGAN_BRANCH,
    ),
    OrgKind.CENTRAL_HOUSEHOLD: (
        OrgKind.VILLAGE_BRANCH,
        OrgKind.GRID_BRANCH,
        OrgKind.PARTY_GROUP,
    ),
}

# Organisations that hold party members' relations 组织关系 and run the star rating: a member's
# branch is the nearest of these at or above the member's organisation.
BRANCH_KINDS = (
    OrgKind.VILLAGE_COMMITTEE,
    OrgKind.GENERAL_BRANCH,
    OrgKind.VILLAGE_BRANCH,
    OrgKind.GRID_BRANCH,
    OrgKind.ORGAN_BRANCH,
)

# Village-level organisations: the ones merged in 大村制 and rated in 评星定级.
VILLAGE_KINDS = (OrgKind.VILLAGE_COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.VILLAGE_BRANCH)


class OrgChangeKind(models.TextChoices):
    CREATE = "create", _("created")
    RENAME = "rename", _("renamed")
    MOVE = "move", _("moved")
    RESTRUCTURE = "restructure", _("restructured (大村制)")
    AREAS = "areas", _("areas changed")
    DISSOLVE = "dissolve", _("dissolved")


class MemberStatus(models.TextChoices):
    FULL = "full", _("full member")
    PROBATIONARY = "probationary", _("probationary member")


class GridLevel(models.IntegerChoices):
    """Party-grid level 党员网格等级 (seed 001: 乡级、村级、党小组、普通党员)."""

    TOWNSHIP = 1, _("level 1: township leader")
    VILLAGE = 2, _("level 2: village cadre")
    GROUP = 3, _("level 3: party group leader")
    MEMBER = 4, _("level 4: member")


class Star(models.TextChoices):
    """The five stars of 五星创评."""

    STUDY = "study", _("study star")
    PERFORMANCE = "performance", _("performance star")
    SERVICE = "service", _("service star")
    DISCIPLINE = "discipline", _("discipline star")
    INTEGRITY = "integrity", _("integrity star")


class RatingState(models.TextChoices):
    """Stages of 五星创评: 党员自评 → 党员互评 → 群众参评 → 党组织拟定 → 上级党组织核定."""

    OPEN = "open", _("open")
    SELF_EVALUATED = "self_evaluated", _("self-evaluated")
    PEER_EVALUATED = "peer_evaluated", _("peer-evaluated")
    PUBLIC_EVALUATED = "public_evaluated", _("publicly evaluated")
    PROPOSED = "proposed", _("proposed by the organisation")
    APPROVED = "approved", _("approved by the superior organisation")


RATING_ORDER = list(RatingState.values)


class EvaluationStage(models.TextChoices):
    SELF = "self", _("self-evaluation")
    PEER = "peer", _("peer evaluation")
    PUBLIC = "public", _("public evaluation")
    PROPOSAL = "proposal", _("organisation proposal")
    APPROVAL = "approval", _("superior approval")
    RETURN = "return", _("returned by the superior organisation")


class BranchRatingState(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    APPROVED = "approved", _("approved")


class ModelPostKind(models.TextChoices):
    """Six kinds of model post 示范岗 (seed 002 names 服务发展 and 政策宣传 "等6类")."""

    DEVELOPMENT = "development", _("serving development")
    POLICY = "policy", _("policy publicity")
    ENVIRONMENT = "environment", _("environment improvement")
    MEDIATION = "mediation", _("dispute mediation")
    CARE = "care", _("care and assistance")
    SAFETY = "safety", _("safety and security")


class NeedStatus(models.TextChoices):
    OPEN = "open", _("open")
    CLAIMED = "claimed", _("claimed")
    FULFILLED = "fulfilled", _("fulfilled")
    CONVERTED = "converted", _("converted to a case")


class NeedSource(models.TextChoices):
    VISIT = "visit", _("household visit")
    RESIDENT = "resident", _("raised by the resident")
    MEETING = "meeting", _("meeting or survey")
    OTHER = "other", _("other")


class MeetingKind(models.TextChoices):
    """三会一课, 主题党日 and the learning sessions and trainings of organisation life."""

    MEMBERS_MEETING = "members_meeting", _("branch members' meeting")
    COMMITTEE_MEETING = "committee_meeting", _("branch committee meeting")
    GROUP_MEETING = "group_meeting", _("party group meeting")
    PARTY_LECTURE = "party_lecture", _("party lecture")
    THEME_DAY = "theme_day", _("theme party day")
    LEARNING = "learning", _("learning session")
    TRAINING = "training", _("training")


# The 三会一课 kinds, counted together in organisation-life statistics.
THREE_MEETINGS_ONE_LECTURE = (
    MeetingKind.MEMBERS_MEETING,
    MeetingKind.COMMITTEE_MEETING,
    MeetingKind.GROUP_MEETING,
    MeetingKind.PARTY_LECTURE,
)


class TeamKind(models.TextChoices):
    VOLUNTEER = "volunteer", _("volunteer service team")
    COMMANDO = "commando", _("commando team")
    VANGUARD = "vanguard", _("vanguard team")


class TeamPurpose(models.TextChoices):
    GENERAL = "general", _("general")
    FLOOD = "flood", _("flood control")
    EPIDEMIC = "epidemic", _("epidemic prevention")
    FIRE = "fire", _("fire prevention")
    STRAW = "straw", _("straw-burning ban")


class CallStatus(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")

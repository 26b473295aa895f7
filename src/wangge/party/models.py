from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from .choices import (
    BranchRatingState,
    CallStatus,
    EvaluationStage,
    GridLevel,
    MeetingKind,
    MemberStatus,
    ModelPostKind,
    NeedSource,
    NeedStatus,
    OrgChangeKind,
    OrgKind,
    RatingState,
    TeamKind,
    TeamPurpose,
)

_USER = settings.AUTH_USER_MODEL


class PartyOrg(MP_Node):
    """A party organisation 党组织: town committee 镇党委 → (new) village committee 村党委 /
    general branch 党总支 / village branch 村党支部 → grid branch 网格党支部 → party group 党小组 →
    central household 党员中心户. A materialized path (treebeard) so that an organisation's
    subtree is a path prefix.

    `area` is the principal area the organisation belongs to (its scope, copied to
    `area_path`); `areas` are the areas it covers (联系服务范围), inside `area`'s subtree — a
    party group may span several grids. When no covered areas are set, `area` is covered.
    """

    steplen = 4

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children_set",
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=24, choices=OrgKind.choices, db_index=True)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="party_orgs"
    )
    # Copy of area.path for scope; rewritten by core.paths when the area tree is restructured.
    area_path = models.CharField(max_length=64, db_index=True, editable=False)
    areas = models.ManyToManyField(
        "areas.Area",
        verbose_name=_("covered areas"),
        blank=True,
        related_name="covering_party_orgs",
    )
    organisers = models.ManyToManyField(
        _USER,
        verbose_name=_("organisers"),
        blank=True,
        related_name="organised_party_orgs",
        help_text=_("Secretary and committee members who run the organisation in the system."),
    )
    contact_quota_min = models.PositiveSmallIntegerField(
        _("contact households per member (minimum)"), null=True, blank=True
    )
    contact_quota_max = models.PositiveSmallIntegerField(
        _("contact households per member (maximum)"), null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("party organisation")
        verbose_name_plural = _("party organisations")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="party_org_unique_name"),
            models.CheckConstraint(
                condition=Q(contact_quota_min__isnull=True)
                | Q(contact_quota_max__isnull=True)
                | Q(contact_quota_max__gte=models.F("contact_quota_min")),
                name="party_org_quota_ordered",
            ),
        ]
        indexes = [models.Index(fields=["kind", "path"], name="party_org_kind_path_idx")]

    def __str__(self) -> str:
        return self.name


class PartyOrgChange(models.Model):
    """History of the party tree 组织调整: creations, renames, moves and the 大村制
    restructuring, with the old name, kind and place, so nothing is lost."""

    org = models.ForeignKey(PartyOrg, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=16, choices=OrgChangeKind.choices)
    old_parent = models.ForeignKey(
        PartyOrg, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    new_parent = models.ForeignKey(
        PartyOrg, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    old_name = models.CharField(max_length=100, blank=True)
    new_name = models.CharField(max_length=100, blank=True)
    old_kind = models.CharField(max_length=24, blank=True)
    new_kind = models.CharField(max_length=24, blank=True)
    old_path_names = models.CharField(max_length=500, blank=True)
    note = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("party organisation change")
        verbose_name_plural = _("party organisation changes")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.org} {self.kind}"


class PartyMember(models.Model):
    """A party member 党员, full 正式 or probationary 预备, in an organisation, with the
    party-grid level 1–4, and the flags the organisation department counts: mobile 流动党员,
    over 60, in service 在职党员 (who report in to a community, 双报到) and central household
    党员中心户."""

    name = models.CharField(_("name"), max_length=50, db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    org = models.ForeignKey(
        PartyOrg, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="members"
    )
    # Copy of org.area_path for scope.
    area_path = models.CharField(max_length=64, db_index=True, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=MemberStatus.choices, default=MemberStatus.FULL
    )
    join_date = models.DateField(_("joined the party"))
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    grid_level = models.PositiveSmallIntegerField(
        _("party-grid level"), choices=GridLevel.choices, default=GridLevel.MEMBER
    )
    is_mobile = models.BooleanField(_("mobile member"), default=False)
    is_in_service = models.BooleanField(_("in-service member"), default=False)
    workplace = models.CharField(_("workplace"), max_length=100, blank=True)
    is_central_household = models.BooleanField(_("central household"), default=False)
    resident = models.OneToOneField(
        "people.Resident",
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="party_member",
    )
    user = models.OneToOneField(
        _USER,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="party_member",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        ordering = ["org_id", "grid_level", "name", "id"]
        indexes = [models.Index(fields=["area_path", "name"], name="party_member_path_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def age(self) -> int | None:
        if self.birth_date is None:
            return None
        today = timezone.localdate()
        return (
            today.year
            - self.birth_date.year
            - ((today.month, today.day) < (self.birth_date.month, self.birth_date.day))
        )

    @property
    def is_over_60(self) -> bool:
        age = self.age
        return age is not None and age >= 60


class DualRegistration(models.Model):
    """双报到: an in-service member reports in to a community (village-level area) where they
    live, and serves there; the community sees who reported in."""

    member = models.ForeignKey(
        PartyMember, on_delete=models.CASCADE, related_name="dual_registrations"
    )
    community = models.ForeignKey(
        "areas.Area",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="dual_registrations",
    )
    community_path = models.CharField(max_length=64, db_index=True, editable=False)
    registered_on = models.DateField(_("reported in on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dual registration")
        verbose_name_plural = _("dual registrations")
        ordering = ["-registered_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "community"],
                condition=Q(ended_on__isnull=True),
                name="dual_registration_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.community}"


class ServiceRecord(models.Model):
    """A service 志愿服务 done in the community by a member who reported in, with hours."""

    registration = models.ForeignKey(
        DualRegistration, on_delete=models.CASCADE, related_name="services"
    )
    date = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=300)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    recorded_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.registration.member} {self.date} {self.hours}h"


class Contact(models.Model):
    """联户: a member keeps in touch with a household (10–20 households each). One active
    contact per household; ended rows are kept as history."""

    member = models.ForeignKey(PartyMember, on_delete=models.PROTECT, related_name="contacts")
    household = models.ForeignKey(
        "people.Household", on_delete=models.PROTECT, related_name="party_contacts"
    )
    assigned_on = models.DateField(_("assigned on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contact household")
        verbose_name_plural = _("contact households")
        ordering = ["member_id", "household_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(ended_on__isnull=True),
                name="contact_one_active_per_household",
            )
        ]
        indexes = [models.Index(fields=["member", "ended_on"], name="contact_member_idx")]

    def __str__(self) -> str:
        return f"{self.member} ↔ {self.household}"


class StarRating(models.Model):
    """五星创评: one member's star rating for a year (学习星 实绩星 服务星 法纪星 正气星),
    through self → peer → public → organisation proposal → superior approval."""

    member = models.ForeignKey(PartyMember, on_delete=models.CASCADE, related_name="star_ratings")
    year = models.PositiveSmallIntegerField(_("year"))
    # The member's branch at the time the rating was opened (for publishing per branch).
    branch = models.ForeignKey(
        PartyOrg, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="star_ratings"
    )
    state = models.CharField(
        _("stage"), max_length=20, choices=RatingState.choices, default=RatingState.OPEN
    )
    self_stars = models.JSONField(_("self-evaluation"), default=list, blank=True)
    public_stars = models.JSONField(_("public evaluation"), default=list, blank=True)
    proposed_stars = models.JSONField(_("proposed stars"), default=list, blank=True)
    stars = models.JSONField(_("approved stars"), default=list, blank=True)
    star_count = models.PositiveSmallIntegerField(_("stars"), default=0)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("five-star rating")
        verbose_name_plural = _("five-star ratings")
        ordering = ["-year", "branch_id", "-star_count", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="star_rating_member_year")
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.year}"


class StarEvaluation(models.Model):
    """One evaluation step of a star rating (append-only): who evaluated at which stage and
    which stars they gave; the public evaluation carries the vote counts."""

    rating = models.ForeignKey(StarRating, on_delete=models.CASCADE, related_name="evaluations")
    stage = models.CharField(max_length=16, choices=EvaluationStage.choices)
    evaluator = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evaluator_member = models.ForeignKey(
        PartyMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stars = models.JSONField(default=list, blank=True)
    votes = models.JSONField(default=dict, blank=True)
    comment = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("star evaluation")
        verbose_name_plural = _("star evaluations")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rating", "evaluator_member"],
                condition=Q(stage="peer"),
                name="star_evaluation_one_peer_vote",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rating} {self.stage}"


class BranchStarRating(models.Model):
    """评星定级: the star grade of a village-level branch for a year, proposed and approved by
    the superior organisation."""

    org = models.ForeignKey(PartyOrg, on_delete=models.CASCADE, related_name="branch_ratings")
    year = models.PositiveSmallIntegerField(_("year"))
    stars = models.PositiveSmallIntegerField(
        _("stars"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    state = models.CharField(
        max_length=16, choices=BranchRatingState.choices, default=BranchRatingState.PROPOSED
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    proposed_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("branch star rating")
        verbose_name_plural = _("branch star ratings")
        ordering = ["-year", "org_id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "year"], name="branch_rating_org_year"),
            models.CheckConstraint(
                condition=Q(stars__gte=1) & Q(stars__lte=5), name="branch_rating_stars_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.year} {self.stars}★"


class ModelPost(models.Model):
    """A model post 示范岗 set up by an organisation (服务发展, 政策宣传…), claimed 认领 by a
    member who then holds it."""

    org = models.ForeignKey(PartyOrg, on_delete=models.CASCADE, related_name="model_posts")
    kind = models.CharField(_("kind"), max_length=16, choices=ModelPostKind.choices)
    title = models.CharField(_("title"), max_length=100)
    description = models.CharField(_("description"), max_length=500, blank=True)
    holder = models.ForeignKey(
        PartyMember,
        verbose_name=_("holder"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="model_posts",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("model post")
        verbose_name_plural = _("model posts")
        ordering = ["org_id", "kind", "title"]
        constraints = [
            models.UniqueConstraint(fields=["org", "title"], name="model_post_unique_title")
        ]

    def __str__(self) -> str:
        return self.title


class Need(models.Model):
    """An item of the needs list 需求清单 of a household, claimed 认领 and fulfilled by a party
    member, or turned into a case when it needs the case loop."""

    household = models.ForeignKey(
        "people.Household", on_delete=models.PROTECT, related_name="party_needs"
    )
    area_path = models.CharField(max_length=64, db_index=True, editable=False)
    description = models.CharField(_("description"), max_length=500)
    source = models.CharField(
        _("source"), max_length=16, choices=NeedSource.choices, default=NeedSource.VISIT
    )
    status = models.CharField(
        _("status"), max_length=16, choices=NeedStatus.choices, default=NeedStatus.OPEN
    )
    claimed_by = models.ForeignKey(
        PartyMember,
        verbose_name=_("claimed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claimed_needs",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(_("result"), max_length=500, blank=True)
    case_id = models.BigIntegerField(_("case"), null=True, blank=True)
    created_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs list")
        ordering = ["-id"]
        indexes = [models.Index(fields=["area_path", "status"], name="need_path_status_idx")]

    def __str__(self) -> str:
        return self.description[:40]


class Meeting(models.Model):
    """A record of organisation life 组织生活: 三会一课 (members' meeting, committee meeting,
    group meeting, party lecture), 主题党日, learning sessions and trainings."""

    org = models.ForeignKey(PartyOrg, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(_("kind"), max_length=24, choices=MeetingKind.choices)
    date = models.DateField(_("date"))
    topic = models.CharField(_("topic"), max_length=200)
    location = models.CharField(_("location"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=4000)
    # Head count for trainings and sessions that are not kept per member (参训人次).
    attendance_count = models.PositiveIntegerField(_("attendance"), default=0)
    recorded_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date} {self.topic}"


class Attendance(models.Model):
    """Whether a member attended a meeting, with the reason for an absence."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(PartyMember, on_delete=models.CASCADE, related_name="attendance")
    present = models.BooleanField(_("present"))
    absence_reason = models.CharField(_("reason for absence"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.meeting} {self.member}"


class Team(models.Model):
    """A volunteer service team 志愿服务队 or commando team 突击队 (flood, epidemic) of an
    organisation."""

    org = models.ForeignKey(PartyOrg, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=TeamKind.choices)
    purpose = models.CharField(
        _("purpose"), max_length=16, choices=TeamPurpose.choices, default=TeamPurpose.GENERAL
    )
    members = models.ManyToManyField(PartyMember, blank=True, related_name="teams")
    leader = models.ForeignKey(
        PartyMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["org_id", "name"]
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="team_unique_name")]

    def __str__(self) -> str:
        return self.name


class Mobilisation(models.Model):
    """A call 动员/召集 to the party members of an area subtree (or of a team): flood duty,
    epidemic checkpoints… Members sign up; turnout is recorded afterwards."""

    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=64, db_index=True, editable=False)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    purpose = models.CharField(
        _("purpose"), max_length=16, choices=TeamPurpose.choices, default=TeamPurpose.GENERAL
    )
    starts_at = models.DateTimeField(_("starts at"))
    status = models.CharField(max_length=8, choices=CallStatus.choices, default=CallStatus.OPEN)
    created_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mobilisation call")
        verbose_name_plural = _("mobilisation calls")
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return self.title


class SignUp(models.Model):
    """A member's answer to a call; `turned_out` is filled in when the roster is checked."""

    call = models.ForeignKey(Mobilisation, on_delete=models.CASCADE, related_name="signups")
    member = models.ForeignKey(PartyMember, on_delete=models.CASCADE, related_name="signups")
    signed_up_at = models.DateTimeField(default=timezone.now)
    turned_out = models.BooleanField(null=True)

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["signed_up_at", "id"]
        constraints = [models.UniqueConstraint(fields=["call", "member"], name="signup_unique")]

    def __str__(self) -> str:
        return f"{self.call} {self.member}"


def over_60_cutoff(on: dt.date | None = None) -> dt.date:
    """Members born on or before this date are 60 or older."""
    on = on or timezone.localdate()
    try:
        return on.replace(year=on.year - 60)
    except ValueError:  # 29 February
        return on.replace(year=on.year - 60, day=28)

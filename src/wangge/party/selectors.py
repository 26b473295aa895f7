"""Reads of the party network, always through the viewer's party scope.

The party scope of a user is the union of
- the area subtrees of their posts with a party-reading role (a party organiser on a village
  sees every organisation, member and contact in that village), and
- the party subtrees of the organisations they run as organisers (a grid branch secretary sees
  the branch and its groups and central households, and the households of its areas).

Anything outside answers 404, like something that does not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from wangge.accounts.choices import ROLE_CAPABILITIES, Capability, Role
from wangge.accounts.selectors import _minimal, active_posts, user_scope
from wangge.people.models import Household, Tag

from .choices import BRANCH_KINDS, NeedStatus, RatingState
from .models import (
    Contact,
    DualRegistration,
    Meeting,
    Mobilisation,
    ModelPost,
    Need,
    PartyMember,
    PartyOrg,
    ServiceRecord,
    SignUp,
    StarRating,
    Team,
)

# Posts whose holders may read the party network of their subtree (besides every post that
# may manage it, see Capability.MANAGE_PARTY).
PARTY_READ_ROLES = frozenset(
    {
        Role.COUNTY_ADMIN,
        Role.TOWN_ADMIN,
        Role.TOWN_GRID_CHIEF,
        Role.VILLAGE_GRID_CHIEF,
        Role.STATIONED_CADRE,
        Role.SUPERVISOR,
        Role.PARTY_ORGANISER,
    }
)


def _manages_party(role: str) -> bool:
    return Capability.MANAGE_PARTY in ROLE_CAPABILITIES.get(role, ())


# Contact households per member 联户 (seed 004: 每户联系服务10—20户), unless an organisation or
# one of its ancestors sets its own quota.
DEFAULT_CONTACT_QUOTA = (10, 20)


@dataclass(frozen=True)
class PartyScope:
    """What a user may see (or change) in the party network. `area_paths is None` = all."""

    area_paths: tuple[str, ...] | None
    org_paths: tuple[str, ...] = ()
    org_area_paths: tuple[str, ...] = ()

    @property
    def is_global(self) -> bool:
        return self.area_paths is None

    @property
    def is_empty(self) -> bool:
        return self.area_paths is not None and not self.area_paths and not self.org_paths

    @staticmethod
    def _prefix_q(field: str, paths) -> Q:
        q = Q(pk__in=[])
        for p in paths:
            q |= Q(**{f"{field}__startswith": p})
        return q

    def q(self, area_field: str = "area_path", org_field: str | None = "org__path") -> Q:
        """Rows of an organisation-bound model: by the area of the row, or by its place in the
        party tree under an organisation the user runs."""
        if self.is_global:
            return Q()
        q = self._prefix_q(area_field, self.area_paths)
        if org_field is not None and self.org_paths:
            q |= self._prefix_q(org_field, self.org_paths)
        elif org_field is None:
            q |= self._prefix_q(area_field, self.org_area_paths)
        return q

    def covers_org(self, org: PartyOrg) -> bool:
        if self.is_global:
            return True
        return any(org.area_path.startswith(p) for p in self.area_paths) or any(
            org.path.startswith(p) for p in self.org_paths
        )

    def covers_area(self, path: str) -> bool:
        if self.is_global:
            return True
        return any(path.startswith(p) for p in (*self.area_paths, *self.org_area_paths))


def party_scope(user, *, write: bool = False) -> PartyScope:
    """Read scope: posts with a party-reading role or the MANAGE_PARTY capability, plus the
    organisations the user runs. Write scope (who may manage organisations, members, contacts,
    meetings, teams…): the subtrees where the user holds Capability.MANAGE_PARTY (party
    organiser, town office, county administrator), plus the organisations the user runs."""
    if not getattr(user, "is_authenticated", False):
        return PartyScope(())
    if user.is_superuser:
        return PartyScope(None)
    attr = "_wangge_party_scope_w" if write else "_wangge_party_scope_r"
    cached = getattr(user, attr, None)
    if cached is not None:
        return cached
    if write:
        area_paths = user_scope(user, Capability.MANAGE_PARTY).paths or ()
    else:
        area_paths = _minimal(
            p.area.path
            for p in active_posts(user)
            if p.role in PARTY_READ_ROLES or _manages_party(p.role)
        )
    orgs = list(
        PartyOrg.objects.filter(organisers=user, is_active=True).values_list("path", "area_path")
    )
    scope = PartyScope(
        area_paths=area_paths,
        org_paths=_minimal(o[0] for o in orgs),
        org_area_paths=_minimal(o[1] for o in orgs),
    )
    setattr(user, attr, scope)
    return scope


def can_manage_party_area(user, path: str) -> bool:
    """Whether the user holds Capability.MANAGE_PARTY over an area (not merely runs an
    organisation there): needed for what has no organisation above it yet, such as a town
    committee."""
    return user_scope(user, Capability.MANAGE_PARTY).covers(path)


def can_manage_org(user, org: PartyOrg) -> bool:
    """Whether the user may change this organisation's subtree (members, contacts, meetings,
    teams, model posts): MANAGE_PARTY over its area, or an organiser of it or one above it."""
    return party_scope(user, write=True).covers_org(org)


def member_of_user(user) -> PartyMember | None:
    """The active party member record linked to a user account, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return PartyMember.objects.filter(user=user, is_active=True).select_related("org").first()


# -- the party tree ------------------------------------------------------------------------


def ancestor_paths(path: str, steplen: int = PartyOrg.steplen) -> list[str]:
    """Paths of a node and all its ancestors, root first."""
    return [path[:i] for i in range(steplen, len(path) + 1, steplen)]


def branch_of(org: PartyOrg) -> PartyOrg | None:
    """The member-holding branch 支部 at or above an organisation (a party group or central
    household belongs to its grid branch)."""
    if org.kind in BRANCH_KINDS:
        return org
    return (
        PartyOrg.objects.filter(path__in=ancestor_paths(org.path), kind__in=BRANCH_KINDS)
        .order_by("-depth")
        .first()
    )


def is_org_organiser(user, org: PartyOrg) -> bool:
    """Whether the user runs this very organisation (not merely a superior one): listed as one
    of its organisers, or holding the party-organiser post on its area when it is the top
    organisation of that area (the town post runs the town committee, a village post the
    village committee) with the MANAGE_PARTY capability. A superuser counts as every
    organisation's organiser."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    if org.organisers.filter(pk=user.pk).exists():
        return True
    top_of_area = org.parent_id is None or (
        PartyOrg.objects.filter(pk=org.parent_id).values_list("area_id", flat=True).first()
        != org.area_id
    )
    return top_of_area and any(
        _manages_party(p.role) and p.area_id == org.area_id for p in active_posts(user)
    )


def covered_paths(org: PartyOrg) -> list[str]:
    """Area paths an organisation serves: its covered areas, or its own area when none."""
    paths = [a.path for a in org.areas.all()]
    return paths or [org.area_path]


def contact_quota(org: PartyOrg) -> tuple[int, int]:
    """(min, max) contact households per member: the nearest setting on the organisation or
    its ancestors, else settings.WANGGE_PARTY_CONTACT_QUOTA, else DEFAULT_CONTACT_QUOTA."""
    rows = (
        PartyOrg.objects.filter(path__in=ancestor_paths(org.path))
        .order_by("-depth")
        .values_list("contact_quota_min", "contact_quota_max")
    )
    lo = hi = None
    for mn, mx in rows:
        lo = mn if lo is None else lo
        hi = mx if hi is None else hi
    default = getattr(settings, "WANGGE_PARTY_CONTACT_QUOTA", DEFAULT_CONTACT_QUOTA)
    return (default[0] if lo is None else lo, default[1] if hi is None else hi)


# -- organisations and members -------------------------------------------------------------


def orgs_for_user(*, user) -> QuerySet[PartyOrg]:
    scope = party_scope(user)
    return (
        PartyOrg.objects.filter(scope.q("area_path", "path"))
        .select_related("area", "parent")
        .annotate(member_count=Count("members", filter=Q(members__is_active=True), distinct=True))
        .order_by("path")
    )


def org_get(*, user, pk) -> PartyOrg:
    return get_object_or_404(orgs_for_user(user=user), pk=pk)


def org_subtree(org: PartyOrg) -> QuerySet[PartyOrg]:
    return PartyOrg.objects.filter(path__startswith=org.path)


def members_for_user(*, user) -> QuerySet[PartyMember]:
    scope = party_scope(user)
    return (
        PartyMember.objects.filter(scope.q("area_path", "org__path"))
        .select_related("org", "user", "resident")
        .annotate(contact_count=Count("contacts", filter=Q(contacts__ended_on__isnull=True)))
    )


def member_get(*, user, pk) -> PartyMember:
    return get_object_or_404(members_for_user(user=user), pk=pk)


def members_of_org(org: PartyOrg, *, subtree: bool = True) -> QuerySet[PartyMember]:
    qs = PartyMember.objects.filter(is_active=True)
    return qs.filter(org__path__startswith=org.path) if subtree else qs.filter(org=org)


def members_filter_over_60(qs: QuerySet[PartyMember], value: bool = True, on=None):
    from .models import over_60_cutoff

    cutoff = over_60_cutoff(on)
    if value:
        return qs.filter(birth_date__lte=cutoff)
    return qs.filter(Q(birth_date__gt=cutoff) | Q(birth_date__isnull=True))


def dual_registrations_for_community(*, user, community) -> QuerySet[DualRegistration]:
    """Who reported in to a community (双报到), for the community's own staff: any post or
    party scope over the community."""
    from wangge.accounts.selectors import user_scope

    if not (
        user_scope(user).covers(community.path) or party_scope(user).covers_area(community.path)
    ):
        return DualRegistration.objects.none()
    return (
        DualRegistration.objects.filter(community=community, ended_on__isnull=True)
        .select_related("member", "member__org")
        .annotate(service_count=Count("services"))
    )


# -- contacts 联户 ----------------------------------------------------------------------------


def contacts_for_user(*, user) -> QuerySet[Contact]:
    scope = party_scope(user)
    return Contact.objects.filter(
        scope.q("member__area_path", "member__org__path"), ended_on__isnull=True
    ).select_related("member", "household", "household__grid")


def contact_member_for_household(household) -> PartyMember | None:
    """The party member in touch with a household (群众有事找党员), for the resident-facing QR
    page: name and phone only are meant to be shown."""
    contact = (
        Contact.objects.filter(household=household, ended_on__isnull=True, member__is_active=True)
        .select_related("member")
        .first()
    )
    return contact.member if contact else None


def _active_contact():
    """An active contact of the outer household (a LEFT JOIN on ended_on IS NULL would also
    match households that never had one)."""
    return Contact.objects.filter(household=OuterRef("pk"), ended_on__isnull=True)


def households_for_party(*, user) -> QuerySet[Household]:
    """Households in the user's party scope (for choosing contacts and needs)."""
    scope = party_scope(user)
    return Household.objects.filter(scope.q("area_path", None))


def areas_for_party(*, user):
    from wangge.areas.models import Area

    return Area.objects.filter(party_scope(user).q("path", None))


def _households_in_scope(user) -> QuerySet[Household]:
    return households_for_party(user=user)


def households_without_contact(*, user, area=None) -> QuerySet[Household]:
    qs = _households_in_scope(user)
    if area is not None:
        qs = qs.filter(area_path__startswith=area.path)
    return qs.exclude(Exists(_active_contact())).select_related("grid")


def key_households_not_visited(*, user, days: int, area=None, now=None) -> QuerySet[Household]:
    """Households with a key tag (重点户) whose contact member has not been in touch for `days`
    days (or that have no contact member at all)."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    qs = _households_in_scope(user).filter(
        Exists(Tag.objects.filter(households=OuterRef("pk"), is_key=True))
    )
    if area is not None:
        qs = qs.filter(area_path__startswith=area.path)
    recent = Contact.objects.filter(
        household=OuterRef("pk"), ended_on__isnull=True, last_contact_at__gte=since
    )
    return qs.exclude(Exists(recent)).select_related("grid")


def members_over_quota(*, user) -> list[PartyMember]:
    """Active members holding more contact households than their organisation's maximum."""
    return sorted(_over_quota(members_for_user(user=user)), key=lambda m: m.pk)


@dataclass(frozen=True)
class Coverage:
    households: int
    covered: int
    uncovered: int
    members: int
    members_without_contacts: int

    @property
    def rate(self) -> float:
        return round(100 * self.covered / self.households, 1) if self.households else 0.0


def contact_coverage(*, user, area=None) -> Coverage:
    """Counts for the coverage check 联户覆盖, in the user's scope (optionally one area)."""
    households = _households_in_scope(user)
    members = members_for_user(user=user).filter(is_active=True)
    if area is not None:
        households = households.filter(area_path__startswith=area.path)
        members = members.filter(area_path__startswith=area.path)
    total = households.count()
    covered = households.filter(Exists(_active_contact())).count()
    member_total = members.count()
    idle = members.filter(contact_count=0).count()
    return Coverage(total, covered, total - covered, member_total, idle)


# -- five-star rating ----------------------------------------------------------------------


def star_ratings_for_user(*, user) -> QuerySet[StarRating]:
    scope = party_scope(user)
    return StarRating.objects.filter(scope.q("member__area_path", "branch__path")).select_related(
        "member", "branch"
    )


def star_rating_get(*, user, pk) -> StarRating:
    """A rating the user may see: in their party scope, their own, or one of their branch
    (peers evaluate each other)."""
    me = member_of_user(user)
    qs = StarRating.objects.select_related("member", "branch", "member__user")
    visible = Q(pk__in=star_ratings_for_user(user=user).values("pk"))
    if me is not None:
        my_branch = branch_of(me.org)
        visible |= Q(member=me)
        if my_branch is not None:
            visible |= Q(branch=my_branch)
    return get_object_or_404(qs.filter(visible), pk=pk)


def star_results_published(*, branch: PartyOrg, year: int) -> QuerySet[StarRating]:
    """The approved results of a branch for a year, most stars first (公示)."""
    return (
        StarRating.objects.filter(branch=branch, year=year, state=RatingState.APPROVED)
        .select_related("member")
        .order_by("-star_count", "member__name")
    )


# -- model posts, needs, meetings, calls ---------------------------------------------------


def model_posts_for_user(*, user) -> QuerySet[ModelPost]:
    scope = party_scope(user)
    return ModelPost.objects.filter(scope.q("org__area_path", "org__path")).select_related(
        "org", "holder"
    )


def needs_for_user(*, user) -> QuerySet[Need]:
    """Needs in the user's party scope; a member also sees the needs of the areas their
    organisation serves and the needs they claimed."""
    q = party_scope(user).q("area_path", None)
    me = member_of_user(user)
    if me is not None:
        q |= Q(claimed_by=me)
        for p in covered_paths(me.org):
            q |= Q(area_path__startswith=p)
    return Need.objects.filter(q).select_related("household", "claimed_by")


def need_get(*, user, pk) -> Need:
    return get_object_or_404(needs_for_user(user=user), pk=pk)


def open_needs_for_member(member: PartyMember) -> QuerySet[Need]:
    """Open needs in the areas the member's organisation serves, for the claim list."""
    q = Q(pk__in=[])
    for p in covered_paths(member.org):
        q |= Q(area_path__startswith=p)
    return Need.objects.filter(q, status=NeedStatus.OPEN).select_related("household")


def member_households(member: PartyMember) -> QuerySet[Household]:
    """A member's contact households (我的联户), tags prefetched."""
    return (
        Household.objects.filter(
            party_contacts__member=member, party_contacts__ended_on__isnull=True
        )
        .select_related("grid", "head")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name", "is_key")))
        .annotate(
            last_contact_at=Subquery(
                Contact.objects.filter(
                    household=OuterRef("pk"), member=member, ended_on__isnull=True
                ).values("last_contact_at")[:1]
            )
        )
        .order_by("number")
    )


def meetings_for_user(*, user) -> QuerySet[Meeting]:
    scope = party_scope(user)
    return (
        Meeting.objects.filter(scope.q("org__area_path", "org__path"))
        .select_related("org")
        .annotate(
            present_count=Count("attendance", filter=Q(attendance__present=True)),
            absent_count=Count("attendance", filter=Q(attendance__present=False)),
        )
    )


def calls_for_user(*, user) -> QuerySet[Mobilisation]:
    scope = party_scope(user)
    return Mobilisation.objects.filter(scope.q("area_path", None)).select_related("area", "team")


def call_eligible_members(call: Mobilisation) -> QuerySet[PartyMember]:
    """Members a call goes to: the team's members, or every active member of the area
    subtree."""
    if call.team_id:
        return call.team.members.filter(is_active=True)
    return PartyMember.objects.filter(is_active=True, area_path__startswith=call.area_path)


def call_roster(call: Mobilisation) -> QuerySet[SignUp]:
    return call.signups.select_related("member", "member__org").order_by("signed_up_at", "id")


@dataclass(frozen=True)
class Turnout:
    eligible: int
    signed_up: int
    turned_out: int

    @property
    def rate(self) -> float:
        return round(100 * self.turned_out / self.signed_up, 1) if self.signed_up else 0.0


def call_turnout(call: Mobilisation) -> Turnout:
    counts = call.signups.aggregate(signed=Count("id"), out=Count("id", filter=Q(turned_out=True)))
    return Turnout(call_eligible_members(call).count(), counts["signed"], counts["out"])


# -- pages: 双报到, model posts, needs, meetings, teams and calls, coverage -----------------


def community_get(*, user, pk):
    """A village-level area (村/社区) whose 双报到 page the user may see: any post over it, or
    a party scope covering it."""
    from wangge.areas.choices import AreaLevel
    from wangge.areas.models import Area

    area = get_object_or_404(Area, pk=pk, level=AreaLevel.VILLAGE)
    if not (user_scope(user).covers(area.path) or party_scope(user).covers_area(area.path)):
        raise Http404
    return area


def communities_for_user(*, user) -> QuerySet:
    """Villages and communities in the user's scope with the number of members who reported in
    and their service hours."""
    from wangge.areas.choices import AreaLevel
    from wangge.areas.models import Area

    active = DualRegistration.objects.filter(community=OuterRef("pk"), ended_on__isnull=True)
    hours = (
        ServiceRecord.objects.filter(registration__community=OuterRef("pk"))
        .order_by()
        .values("registration__community")
        .annotate(h=Sum("hours"))
        .values("h")
    )
    return (
        Area.objects.filter(level=AreaLevel.VILLAGE)
        .filter(user_scope(user).q("path") | party_scope(user).q("path", None))
        .select_related("parent")
        .annotate(
            registered=Subquery(
                active.order_by().values("community").annotate(n=Count("pk")).values("n")
            ),
            service_hours=Subquery(hours),
        )
        .order_by("path")
    )


def registrations_with_hours(community) -> QuerySet[DualRegistration]:
    """Who reported in to a community (active first), with their service hours there."""
    return (
        DualRegistration.objects.filter(community=community)
        .select_related("member", "member__org")
        .annotate(
            service_count=Count("services"),
            service_hours=Coalesce(Sum("services__hours"), Decimal("0")),
            last_service=Max("services__date"),
        )
        .order_by(F("ended_on").desc(nulls_first=True), "member__name", "id")
    )


def member_registrations(member: PartyMember) -> QuerySet[DualRegistration]:
    """A member's 双报到, active first, with their service hours."""
    return (
        DualRegistration.objects.filter(member=member)
        .select_related("community")
        .annotate(
            service_count=Count("services"),
            service_hours=Coalesce(Sum("services__hours"), Decimal("0")),
        )
        .order_by(F("ended_on").desc(nulls_first=True), "-registered_on", "id")
    )


def communities_for_member(member: PartyMember):
    """The villages and communities of the member's town, where they may report in."""
    from wangge.areas.choices import AreaLevel
    from wangge.areas.models import Area

    above = [member.area_path[:i] for i in range(4, len(member.area_path) + 1, 4)]
    town = (
        Area.objects.filter(level=AreaLevel.TOWN, path__in=above)
        .values_list("path", flat=True)
        .first()
    )
    if town is None:
        return Area.objects.none()
    return Area.objects.filter(level=AreaLevel.VILLAGE, path__startswith=town).order_by("path")


def model_posts_visible(*, user) -> QuerySet[ModelPost]:
    """Model posts in the user's party scope, and the ones a member may claim: of their
    organisation, one above it or one below it."""
    q = Q(pk__in=model_posts_for_user(user=user).values("pk"))
    me = member_of_user(user)
    if me is not None:
        q |= Q(org__path__in=ancestor_paths(me.org.path)) | Q(org__path__startswith=me.org.path)
    return ModelPost.objects.filter(q, is_active=True).select_related("org", "holder")


def needs_in_org(qs: QuerySet[Need], org: PartyOrg) -> QuerySet[Need]:
    q = Q(pk__in=[])
    for p in covered_paths(org):
        q |= Q(area_path__startswith=p)
    return qs.filter(q)


def meetings_of_org(*, user, org: PartyOrg) -> QuerySet[Meeting]:
    return meetings_for_user(user=user).filter(org__path__startswith=org.path)


def meeting_get(*, user, pk) -> Meeting:
    return get_object_or_404(meetings_for_user(user=user), pk=pk)


def teams_for_user(*, user) -> QuerySet[Team]:
    scope = party_scope(user)
    q = scope.q("org__area_path", "org__path")
    me = member_of_user(user)
    if me is not None:
        q |= Q(members=me)
    return (
        Team.objects.filter(pk__in=Team.objects.filter(q).values("pk"), is_active=True)
        .select_related("org", "leader")
        .annotate(member_count=Count("members", distinct=True))
        .order_by("org__path", "name")
    )


def calls_for_member(member: PartyMember) -> QuerySet[Mobilisation]:
    """Calls that go to a member: to an area above (or at) the member's, or to their team."""
    area_prefixes = [member.area_path[:i] for i in range(4, len(member.area_path) + 1, 4)]
    return Mobilisation.objects.filter(
        Q(team__isnull=True, area_path__in=area_prefixes) | Q(team__members=member)
    )


def calls_visible(*, user) -> QuerySet[Mobilisation]:
    q = Q(pk__in=calls_for_user(user=user).values("pk"))
    me = member_of_user(user)
    if me is not None:
        q |= Q(pk__in=calls_for_member(me).values("pk"))
    return (
        Mobilisation.objects.filter(q)
        .select_related("area", "team")
        .annotate(
            signed_up=Count("signups", distinct=True),
            turned_out=Count("signups", filter=Q(signups__turned_out=True), distinct=True),
        )
    )


def call_get(*, user, pk) -> Mobilisation:
    return get_object_or_404(calls_visible(user=user), pk=pk)


# -- visits due and coverage -------------------------------------------------------------------

# A contact member should have been in touch with a key household 重点户 within this many days,
# and with any other household within VISIT_DAYS (settings WANGGE_PARTY_KEY_VISIT_DAYS and
# WANGGE_PARTY_VISIT_DAYS override them).
KEY_VISIT_DAYS = 30
VISIT_DAYS = 90


def visit_days() -> tuple[int, int]:
    """(key households, other households): days after which a visit is due."""
    return (
        int(getattr(settings, "WANGGE_PARTY_KEY_VISIT_DAYS", KEY_VISIT_DAYS)),
        int(getattr(settings, "WANGGE_PARTY_VISIT_DAYS", VISIT_DAYS)),
    )


def _is_key():
    return Exists(Tag.objects.filter(households=OuterRef("pk"), is_key=True))


def member_households_due(member: PartyMember, now=None) -> QuerySet[Household]:
    """A member's contact households, each with `is_key`, `last_contact_at` and `visit_due`
    (never contacted, or not within the interval for its kind)."""
    now = now or timezone.now()
    key_days, days = visit_days()
    key_since, since = now - dt.timedelta(days=key_days), now - dt.timedelta(days=days)
    return (
        member_households(member)
        .annotate(is_key=_is_key())
        .annotate(
            visit_due=Case(
                When(last_contact_at__isnull=True, then=Value(True)),
                When(is_key=True, last_contact_at__lt=key_since, then=Value(True)),
                When(is_key=False, last_contact_at__lt=since, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )


def contact_quotas(org_ids) -> dict[int, tuple[int, int]]:
    """contact_quota for many organisations in two queries: the organisations' paths and the
    few organisations that set a quota."""
    paths = dict(PartyOrg.objects.filter(pk__in=list(org_ids)).values_list("pk", "path"))
    rows = PartyOrg.objects.filter(
        Q(contact_quota_min__isnull=False) | Q(contact_quota_max__isnull=False)
    ).values_list("path", "contact_quota_min", "contact_quota_max")
    setting = {p: (mn, mx) for p, mn, mx in rows}
    default = getattr(settings, "WANGGE_PARTY_CONTACT_QUOTA", DEFAULT_CONTACT_QUOTA)
    out = {}
    for pk, path in paths.items():
        lo = hi = None
        for p in reversed(ancestor_paths(path)):
            mn, mx = setting.get(p, (None, None))
            lo = mn if lo is None else lo
            hi = mx if hi is None else hi
        out[pk] = (default[0] if lo is None else lo, default[1] if hi is None else hi)
    return out


def _quota_floor() -> int:
    """The lowest maximum any organisation can have: only members above it may be over
    their own quota, so that the others are never loaded."""
    default = getattr(settings, "WANGGE_PARTY_CONTACT_QUOTA", DEFAULT_CONTACT_QUOTA)[1]
    lowest = PartyOrg.objects.aggregate(m=Min("contact_quota_max"))["m"]
    return default if lowest is None else min(default, lowest)


def _over_quota(members: QuerySet[PartyMember]) -> list[PartyMember]:
    members = list(
        members.filter(is_active=True, contact_count__gt=_quota_floor()).order_by("org__path", "id")
    )
    quotas = contact_quotas({m.org_id for m in members})
    out = []
    for m in members:
        m.quota_max = quotas[m.org_id][1]
        if m.contact_count > m.quota_max:
            out.append(m)
    return out


@dataclass(frozen=True)
class OrgCoverage:
    """The coverage check of an organisation's areas 联户覆盖."""

    households: int
    covered: int
    key_households: int
    key_not_visited: int
    members: int
    members_without_contacts: int
    members_over_quota: int
    days: int

    @property
    def uncovered(self) -> int:
        return self.households - self.covered

    @property
    def rate(self) -> float:
        return round(100 * self.covered / self.households, 1) if self.households else 0.0


def org_households(*, user, org: PartyOrg) -> QuerySet[Household]:
    """Households of the areas an organisation serves, inside the user's party scope."""
    q = Q(pk__in=[])
    for p in covered_paths(org):
        q |= Q(area_path__startswith=p)
    return _households_in_scope(user).filter(q)


def org_members(*, user, org: PartyOrg) -> QuerySet[PartyMember]:
    return members_for_user(user=user).filter(org__path__startswith=org.path, is_active=True)


def org_uncovered(*, user, org) -> QuerySet[Household]:
    return (
        org_households(user=user, org=org)
        .exclude(Exists(_active_contact()))
        .select_related("grid", "head")
    )


def org_key_not_visited(*, user, org, days: int, now=None) -> QuerySet[Household]:
    """Key-tagged households of the organisation's areas whose contact member has not been in
    touch for `days` days, or that have no contact member."""
    since = (now or timezone.now()) - dt.timedelta(days=days)
    recent = Contact.objects.filter(
        household=OuterRef("pk"), ended_on__isnull=True, last_contact_at__gte=since
    )
    active = Contact.objects.filter(household=OuterRef("pk"), ended_on__isnull=True)
    return (
        org_households(user=user, org=org)
        .filter(_is_key())
        .exclude(Exists(recent))
        .select_related("grid", "head")
        .annotate(
            contact_member=Subquery(active.values("member__name")[:1]),
            last_contact_at=Subquery(active.values("last_contact_at")[:1]),
        )
    )


def org_over_quota(*, user, org) -> list[PartyMember]:
    return _over_quota(org_members(user=user, org=org))


def org_coverage(*, user, org: PartyOrg, days: int, now=None) -> OrgCoverage:
    households = org_households(user=user, org=org)
    members = org_members(user=user, org=org)
    counts = households.aggregate(
        total=Count("pk"),
        covered=Count("pk", filter=Q(Exists(_active_contact()))),
        key=Count("pk", filter=Q(_is_key())),
    )
    return OrgCoverage(
        households=counts["total"],
        covered=counts["covered"],
        key_households=counts["key"],
        key_not_visited=org_key_not_visited(user=user, org=org, days=days, now=now).count(),
        members=members.count(),
        members_without_contacts=members.filter(contact_count=0).count(),
        members_over_quota=len(org_over_quota(user=user, org=org)),
        days=days,
    )


# -- team pages ------------------------------------------------------------------------------


def team_get(*, user, pk) -> Team:
    """A team the user may see (out of scope: 404)."""
    return get_object_or_404(teams_for_user(user=user), pk=pk)


def orgs_to_manage(*, user) -> QuerySet[PartyOrg]:
    """Active organisations the user may manage (where a team may be set up)."""
    scope = party_scope(user, write=True)
    if scope.is_empty:
        return PartyOrg.objects.none()
    return PartyOrg.objects.filter(scope.q("area_path", "path"), is_active=True).order_by("path")


def team_member_choices(team: Team, *, q: str = "", only_in: bool = False):
    """Active members of the team's organisation subtree, those in the team first, each with
    `in_team`; `q` searches name, phone and organisation."""
    in_team = Exists(
        Team.members.through.objects.filter(team_id=team.pk, partymember_id=OuterRef("pk"))
    )
    qs = members_of_org(team.org).select_related("org").annotate(in_team=in_team)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(phone__icontains=q) | Q(org__name__icontains=q))
    if only_in:
        qs = qs.filter(in_team=True)
    return qs.order_by("-in_team", "name", "id")

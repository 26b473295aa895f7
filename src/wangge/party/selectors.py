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

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from wangge.accounts.choices import Role
from wangge.accounts.selectors import _minimal, active_posts
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
    SignUp,
    StarRating,
)

# Posts whose holders may read the party network of their subtree.
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
# Posts whose holders may change the party network of their subtree.
PARTY_WRITE_ROLES = frozenset({Role.COUNTY_ADMIN, Role.PARTY_ORGANISER})

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
    if not getattr(user, "is_authenticated", False):
        return PartyScope(())
    if user.is_superuser:
        return PartyScope(None)
    attr = "_wangge_party_scope_w" if write else "_wangge_party_scope_r"
    cached = getattr(user, attr, None)
    if cached is not None:
        return cached
    roles = PARTY_WRITE_ROLES if write else PARTY_READ_ROLES
    area_paths = _minimal(p.area.path for p in active_posts(user) if p.role in roles)
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
    village committee). A superuser counts as every organisation's organiser."""
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
        p.role == Role.PARTY_ORGANISER and p.area_id == org.area_id for p in active_posts(user)
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
    members = list(
        members_for_user(user=user).filter(is_active=True, contact_count__gt=0).order_by("id")
    )
    quotas: dict[int, tuple[int, int]] = {}
    out = []
    for m in members:
        if m.org_id not in quotas:
            quotas[m.org_id] = contact_quota(m.org)
        if m.contact_count > quotas[m.org_id][1]:
            out.append(m)
    return out


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

"""Pages of the party network: the organisations and a branch's members; the coverage check
联户覆盖 with its export; 双报到 per community; model posts 示范岗; the needs list 需求清单;
organisation life 组织生活; teams and calls 动员; and a member's own phone page.

Reads go through the selectors (out of scope answers 404), writes through the services; a page
that records something answers 403 to a reader who may see but not manage the organisation."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.choices import Capability
from wangge.accounts.selectors import user_scope
from wangge.areas.choices import AreaLevel
from wangge.core.errors import DomainError
from wangge.core.excel import XLSX_CONTENT_TYPE

from . import selectors, services
from .choices import CallStatus
from .exports import export_coverage
from .forms import (
    CallForm,
    CoverageForm,
    DualRegisterForm,
    MeetingForm,
    ModelPostFilterForm,
    NeedConvertForm,
    NeedFilterForm,
    NeedFulfilForm,
    ServiceRecordForm,
    TeamForm,
    TeamMembersForm,
    TurnoutForm,
)
from .models import Attendance, DualRegistration, ModelPost, PartyMember, PartyOrg, Team

# The organisations offered by the new-team form (open it from an organisation for the rest).
MAX_ORG_CHOICES = 500

PAGE_SIZE = 30
KEY_VISIT_DAYS = selectors.KEY_VISIT_DAYS
# Above this many members a meeting form asks for a head count instead of ticking names.
MAX_TICK_MEMBERS = 200


def _page(request, qs, param: str = "page"):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get(param))


def _query(request, *drop: str) -> str:
    params = request.GET.copy()
    for k in ("page", *drop):
        params.pop(k, None)
    return params.urlencode()


def _back(request, default: str, *args):
    nxt = request.POST.get("next") or request.GET.get("next")
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(nxt)
    return redirect(default, *args)


def _error(request, exc: DomainError) -> None:
    messages.error(request, str(exc.message))


def _require_manage(user, org) -> None:
    if not selectors.can_manage_org(user, org):
        raise Forbidden


def _me_or_404(request) -> PartyMember:
    me = selectors.member_of_user(request.user)
    if me is None:
        raise Http404
    return me


# -- organisations ------------------------------------------------------------------------


@login_required
def org_list(request):
    orgs = selectors.orgs_for_user(user=request.user).filter(is_active=True)
    return render(request, "party/org_list.html", {"page": _page(request, orgs)})


@login_required
def org_detail(request, pk: int):
    """A branch's view: its members with their contact load, and the contact coverage of
    its areas (the full lists are on the coverage page)."""
    org = selectors.org_get(user=request.user, pk=pk)
    members = selectors.org_members(user=request.user, org=org).order_by("grid_level", "name", "id")
    coverage = selectors.org_coverage(user=request.user, org=org, days=KEY_VISIT_DAYS)
    return render(
        request,
        "party/org_detail.html",
        {
            "org": org,
            "children": selectors.orgs_for_user(user=request.user).filter(parent=org),
            "page": _page(request, members),
            "coverage": coverage,
            # kept for older links and tests: the 30-day figure
            "not_visited_count": coverage.key_not_visited,
            "key_visit_days": KEY_VISIT_DAYS,
            "quota": selectors.contact_quota(org),
            "can_manage": selectors.can_manage_org(request.user, org),
            "community": org.area if org.area.level == AreaLevel.VILLAGE else None,
        },
    )


@login_required
def member_detail(request, pk: int):
    """A member's record as the branch sees it: flags, contact households with the visit due
    flag, 双报到 with service hours, claims and model posts."""
    member = selectors.member_get(user=request.user, pk=pk)
    return render(
        request,
        "party/member_detail.html",
        {
            "member": member,
            "page": _page(request, selectors.member_households_due(member)),
            "registrations": selectors.member_registrations(member),
            "claimed": member.claimed_needs.select_related("household").order_by("-id")[:10],
            "model_posts": member.model_posts.select_related("org"),
        },
    )


# -- coverage 联户覆盖 ------------------------------------------------------------------------


@login_required
def coverage(request, pk: int):
    """Coverage of a branch's or a town's areas: households without a contact member, key
    households not visited in N days (?days=N), members over their quota; ?export=xlsx."""
    org = selectors.org_get(user=request.user, pk=pk)
    form = CoverageForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "party/coverage.html",
            {"org": org, "form": form, "cov": None, "days": KEY_VISIT_DAYS},
            status=400,
        )
    days = form.cleaned_data["days"] or KEY_VISIT_DAYS
    show = form.cleaned_data["show"] or "uncovered"
    if request.GET.get("export") == "xlsx":
        if not (
            selectors.can_manage_org(request.user, org)
            or user_scope(request.user, Capability.EXPORT).covers(org.area_path)
        ):
            raise Forbidden
        out = io.BytesIO()
        export_coverage(user=request.user, org=org, days=days, out=out)
        name = _("Coverage %(org)s %(date)s.xlsx") % {
            "org": org.name,
            "date": f"{timezone.localdate():%Y%m%d}",
        }
        response = HttpResponse(out.getvalue(), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response
    cov = selectors.org_coverage(user=request.user, org=org, days=days)
    if show == "over_quota":
        rows = selectors.org_over_quota(user=request.user, org=org)
    elif show == "not_visited":
        rows = selectors.org_key_not_visited(user=request.user, org=org, days=days).order_by(
            "area_path", "number"
        )
    else:
        rows = selectors.org_uncovered(user=request.user, org=org).order_by("area_path", "number")
    return render(
        request,
        "party/coverage.html",
        {
            "org": org,
            "form": form,
            "cov": cov,
            "days": days,
            "show": show,
            "page": _page(request, rows),
            "query": _query(request),
            "export_query": _query(request, "export"),
        },
    )


# -- 双报到 ---------------------------------------------------------------------------------


@login_required
def community_list(request):
    communities = selectors.communities_for_user(user=request.user)
    return render(request, "party/community_list.html", {"page": _page(request, communities)})


@login_required
def community_detail(request, pk: int):
    """Who reported in to a community 双报到 and their service hours, with a form to record
    a service."""
    community = selectors.community_get(user=request.user, pk=pk)
    regs = selectors.registrations_with_hours(community)
    totals = regs.filter(ended_on__isnull=True).count()
    return render(
        request,
        "party/community_detail.html",
        {
            "community": community,
            "page": _page(request, regs),
            "active_count": totals,
            "form": ServiceRecordForm(auto_id=False),
        },
    )


@login_required
@require_POST
def dual_register_me(request):
    """An in-service member (or a town official of the organ branch) reports in to a
    community 双报到 from the phone."""
    me = _me_or_404(request)
    form = DualRegisterForm(request.POST, communities=selectors.communities_for_member(me))
    if form.is_valid():
        try:
            services.dual_register(
                actor=request.user, member=me, community=form.cleaned_data["community"]
            )
            messages.success(request, _("You have reported in."))
        except DomainError as exc:
            _error(request, exc)
    else:
        messages.error(request, _("Choose the community you report in to."))
    return redirect("party:me")


@login_required
@require_POST
def service_record(request, pk: int):
    reg = get_object_or_404(DualRegistration.objects.select_related("community"), pk=pk)
    community = selectors.community_get(user=request.user, pk=reg.community_id)
    form = ServiceRecordForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("party:community_detail", community.pk)
    d = form.cleaned_data
    try:
        services.service_record_add(
            actor=request.user,
            registration=reg,
            date=d["date"],
            description=d["description"],
            hours=d["hours"],
        )
        messages.success(request, _("Service hours recorded."))
    except DomainError as exc:
        _error(request, exc)
    return redirect("party:community_detail", community.pk)


# -- model posts 示范岗 ----------------------------------------------------------------------


@login_required
def model_post_list(request):
    posts = selectors.model_posts_visible(user=request.user)
    form = ModelPostFilterForm(request.GET)
    if form.is_valid():
        if form.cleaned_data["kind"]:
            posts = posts.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["free"]:
            posts = posts.filter(holder__isnull=True)
    me = selectors.member_of_user(request.user)
    return render(
        request,
        "party/model_post_list.html",
        {
            "page": _page(request, posts.order_by("org__path", "kind", "title")),
            "form": form,
            "me": me,
            "query": _query(request),
        },
    )


def _post_for(request, pk) -> ModelPost:
    return get_object_or_404(selectors.model_posts_visible(user=request.user), pk=pk)


@login_required
@require_POST
def model_post_claim(request, pk: int):
    post = _post_for(request, pk)
    me = _me_or_404(request)
    try:
        services.model_post_claim(actor=request.user, post=post, member=me)
        messages.success(request, _("Model post claimed."))
    except DomainError as exc:
        _error(request, exc)
    return _back(request, "party:model_post_list")


@login_required
@require_POST
def model_post_release(request, pk: int):
    post = _post_for(request, pk)
    try:
        services.model_post_release(actor=request.user, post=post)
        messages.success(request, _("Model post released."))
    except DomainError as exc:
        _error(request, exc)
    return _back(request, "party:model_post_list")


# -- the needs list 需求清单 ----------------------------------------------------------------


@login_required
def need_list(request):
    """The needs list of the user's areas (?org= one organisation's areas, ?area=, ?status=,
    ?q=), with claim, fulfil and convert-to-case actions."""
    needs = selectors.needs_for_user(user=request.user)
    org = None
    if request.GET.get("org"):
        try:
            org = selectors.org_get(user=request.user, pk=int(request.GET["org"]))
        except ValueError:
            raise Http404 from None
        needs = selectors.needs_in_org(needs, org)
    areas = list(
        selectors.areas_for_party(user=request.user)
        .filter(level__in=(AreaLevel.TOWN, AreaLevel.VILLAGE))
        .order_by("path")[:300]
    )
    form = NeedFilterForm(request.GET, areas=areas)
    status = 200
    if form.is_valid():
        d = form.cleaned_data
        if d["status"]:
            needs = needs.filter(status=d["status"])
        if d["area"]:
            area = next((a for a in areas if a.pk == d["area"]), None)
            needs = needs.filter(area_path__startswith=area.path) if area else needs.none()
        if d["q"]:
            needs = needs.filter(
                Q(description__icontains=d["q"]) | Q(household__number__icontains=d["q"])
            )
    else:
        needs, status = needs.none(), 400
    me = selectors.member_of_user(request.user)
    return render(
        request,
        "party/need_list.html",
        {
            "page": _page(request, needs.select_related("household__grid").order_by("-id")),
            "form": form,
            "org": org,
            "me": me,
            "query": _query(request),
            "fulfil_form": NeedFulfilForm(),
            "convert_form": NeedConvertForm(),
            "next": request.get_full_path(),
        },
        status=status,
    )


def _need_for(request, pk):
    return get_object_or_404(selectors.needs_for_user(user=request.user), pk=pk)


@login_required
@require_POST
def need_claim(request, pk: int):
    need = _need_for(request, pk)
    me = _me_or_404(request)
    try:
        services.need_claim(actor=request.user, need=need, member=me)
        messages.success(request, _("Need claimed."))
    except DomainError as exc:
        _error(request, exc)
    return _back(request, "party:me")


@login_required
@require_POST
def need_release(request, pk: int):
    need = _need_for(request, pk)
    try:
        services.need_release(actor=request.user, need=need)
        messages.success(request, _("Need released."))
    except DomainError as exc:
        _error(request, exc)
    return _back(request, "party:me")


@login_required
@require_POST
def need_fulfil(request, pk: int):
    need = _need_for(request, pk)
    form = NeedFulfilForm(request.POST)
    if form.is_valid():
        try:
            services.need_fulfil(actor=request.user, need=need, result=form.cleaned_data["result"])
            messages.success(request, _("Need fulfilled."))
        except DomainError as exc:
            _error(request, exc)
    else:
        messages.error(request, _("Say what was done."))
    return _back(request, "party:me")


@login_required
@require_POST
def need_convert(request, pk: int):
    need = _need_for(request, pk)
    form = NeedConvertForm(request.POST)
    if form.is_valid():
        try:
            need = services.need_convert_to_case(
                actor=request.user, need=need, note=form.cleaned_data["note"]
            )
            messages.success(request, _("The need has become a case."))
        except DomainError as exc:
            _error(request, exc)
    else:
        messages.error(request, _("At most 500 characters."))
    return _back(request, "party:me")


# -- organisation life 组织生活 -------------------------------------------------------------


@login_required
def meeting_list(request, pk: int):
    org = selectors.org_get(user=request.user, pk=pk)
    meetings = selectors.meetings_of_org(user=request.user, org=org)
    kind = request.GET.get("kind")
    if kind:
        meetings = meetings.filter(kind=kind)
    return render(
        request,
        "party/meeting_list.html",
        {
            "org": org,
            "page": _page(request, meetings.order_by("-date", "-id")),
            "can_manage": selectors.can_manage_org(request.user, org),
            "query": _query(request),
            "kind": kind,
        },
    )


@login_required
def meeting_new(request, pk: int):
    org = selectors.org_get(user=request.user, pk=pk)
    _require_manage(request.user, org)
    members = list(
        selectors.members_of_org(org).order_by("grid_level", "name", "id")[: MAX_TICK_MEMBERS + 1]
    )
    tick = members if len(members) <= MAX_TICK_MEMBERS else None
    form = MeetingForm(request.POST or None, members=tick)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        present_ids = set(d.get("present") or [])
        by_id = {m.pk: m for m in tick or []}
        try:
            meeting = services.meeting_record(
                actor=request.user,
                org=org,
                kind=d["kind"],
                date=d["date"],
                topic=d["topic"],
                location=d["location"],
                notes=d["notes"],
                present=[by_id[i] for i in present_ids if i in by_id],
                absent=[m for i, m in by_id.items() if i not in present_ids],
                attendance_count=d["attendance_count"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("Meeting recorded."))
            return redirect("party:meeting_detail", meeting.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "party/meeting_form.html", {"org": org, "form": form}, status=status)


@login_required
def meeting_detail(request, pk: int):
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    attendance = (
        Attendance.objects.filter(meeting=meeting)
        .select_related("member")
        .order_by("-present", "member__name")
    )
    return render(
        request,
        "party/meeting_detail.html",
        {"meeting": meeting, "page": _page(request, attendance)},
    )


# -- teams and calls 动员 -------------------------------------------------------------------


@login_required
def team_list(request):
    teams = selectors.teams_for_user(user=request.user)
    return render(
        request,
        "party/team_list.html",
        {
            "page": _page(request, teams),
            "can_create": not selectors.party_scope(request.user, write=True).is_empty,
        },
    )


@login_required
def team_new(request):
    """Set up a volunteer or commando team 志愿服务队/突击队 in an organisation the user
    manages (?org= preselects one and narrows the list to its subtree)."""
    orgs = selectors.orgs_to_manage(user=request.user)
    if not orgs.exists():
        raise Forbidden
    org = None
    org_id = request.POST.get("org") if request.method == "POST" else request.GET.get("org")
    if org_id:
        # An organisation out of the user's reach answers 404, as everywhere.
        try:
            org = orgs.get(pk=int(org_id))
        except (ValueError, PartyOrg.DoesNotExist):
            raise Http404 from None
    form = TeamForm(request.POST or None, orgs=orgs, initial={"org": org})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            team = services.team_create(
                actor=request.user,
                org=d["org"],
                name=d["name"],
                kind=d["kind"],
                purpose=d["purpose"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("Team set up. Now choose its members."))
            return redirect("party:team_members", team.pk)
    # The list shown: the chosen organisation's subtree, or the first MAX_ORG_CHOICES.
    shown = orgs.filter(path__startswith=org.path) if org is not None else orgs
    form.fields["org"].queryset = shown[:MAX_ORG_CHOICES]
    status = 400 if request.method == "POST" else 200
    return render(request, "party/team_form.html", {"form": form}, status=status)


@login_required
def team_detail(request, pk: int):
    team = selectors.team_get(user=request.user, pk=pk)
    members = team.members.filter(is_active=True).select_related("org").order_by("name", "id")
    return render(
        request,
        "party/team_detail.html",
        {
            "team": team,
            "page": _page(request, members),
            "can_manage": selectors.can_manage_org(request.user, team.org),
            "calls": team.calls.order_by("-starts_at", "-id")[:5],
        },
    )


@login_required
def team_members(request, pk: int):
    """Choose a team's members among the active members of its organisation's subtree: a
    searchable, paginated list (?q=, ?in=1 only those in the team); saving a page changes
    only the members that page listed."""
    team = selectors.team_get(user=request.user, pk=pk)
    _require_manage(request.user, team.org)
    q = (request.GET.get("q") or "").strip()[:50]
    only_in = request.GET.get("in") == "1"
    status = 200
    if request.method == "POST":
        form = TeamMembersForm(request.POST)
        if form.is_valid():
            ticked = form.cleaned_data["present"]
            shown = form.cleaned_data["shown"] | ticked
            current = set(team.members.values_list("pk", flat=True))
            ids = (current - shown) | ticked
            try:
                services.team_set_members(
                    actor=request.user,
                    team=team,
                    members=PartyMember.objects.filter(pk__in=ids).order_by("pk"),
                )
            except DomainError as exc:
                _error(request, exc)
                status = 400
            else:
                messages.success(request, _("Team members saved."))
                return redirect(request.get_full_path())
        else:
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            status = 400
    choices = selectors.team_member_choices(team, q=q, only_in=only_in)
    return render(
        request,
        "party/team_members.html",
        {
            "team": team,
            "page": _page(request, choices),
            "count": team.members.count(),
            "q": q,
            "only_in": only_in,
            "query": _query(request),
        },
        status=status,
    )


@login_required
def call_list(request):
    calls = selectors.calls_visible(user=request.user)
    state = request.GET.get("status")
    if state in CallStatus.values:
        calls = calls.filter(status=state)
    scope = selectors.party_scope(request.user, write=True)
    return render(
        request,
        "party/call_list.html",
        {
            "page": _page(request, calls.order_by("-starts_at", "-id")),
            "can_call": not scope.is_empty,
            "query": _query(request),
            "state": state,
        },
    )


def _call_choices(user):
    scope = selectors.party_scope(user, write=True)
    if scope.is_empty:
        raise Forbidden
    from wangge.areas.models import Area

    areas = list(
        Area.objects.filter(scope.q("path", None))
        .filter(level__in=(AreaLevel.TOWN, AreaLevel.VILLAGE, AreaLevel.GRID))
        .order_by("path")[:500]
    )
    teams = list(
        Team.objects.filter(scope.q("org__area_path", "org__path"), is_active=True).order_by(
            "org__path", "name"
        )[:200]
    )
    return areas, teams


@login_required
def call_new(request):
    areas, teams = _call_choices(request.user)
    form = CallForm(request.POST or None, areas=areas, teams=teams)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        area = next(a for a in areas if a.pk == d["area"])
        team = next((t for t in teams if t.pk == d["team"]), None)
        try:
            call = services.call_create(
                actor=request.user,
                area=area,
                title=d["title"],
                starts_at=d["starts_at"],
                purpose=d["purpose"],
                team=team,
                description=d["description"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("Call sent."))
            return redirect("party:call_detail", call.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "party/call_form.html", {"form": form}, status=status)


@login_required
def call_detail(request, pk: int):
    """The roster of a call and its turnout; a member signs up here from the phone."""
    call = selectors.call_get(user=request.user, pk=pk)
    roster = selectors.call_roster(call)
    me = selectors.member_of_user(request.user)
    can_manage = selectors.party_scope(request.user, write=True).covers_area(call.area_path)
    eligible = me is not None and selectors.call_eligible_members(call).filter(pk=me.pk).exists()
    signed = me is not None and roster.filter(member=me).exists()
    return render(
        request,
        "party/call_detail.html",
        {
            "call": call,
            "page": _page(request, roster),
            "turnout": selectors.call_turnout(call),
            "can_manage": can_manage,
            "can_sign_up": eligible and not signed and call.status == CallStatus.OPEN,
            "signed": signed,
            "turnout_form": TurnoutForm(signups=roster) if can_manage else None,
        },
    )


@login_required
@require_POST
def call_sign_up(request, pk: int):
    call = selectors.call_get(user=request.user, pk=pk)
    me = _me_or_404(request)
    try:
        services.call_sign_up(actor=request.user, call=call, member=me)
        messages.success(request, _("You have signed up."))
    except DomainError as exc:
        _error(request, exc)
    return _back(request, "party:call_detail", call.pk)


@login_required
@require_POST
def call_turnout(request, pk: int):
    call = selectors.call_get(user=request.user, pk=pk)
    if not selectors.party_scope(request.user, write=True).covers_area(call.area_path):
        raise Forbidden
    roster = list(selectors.call_roster(call))
    form = TurnoutForm(request.POST, signups=roster)
    if not form.is_valid():
        messages.error(request, _("Tick the members who signed up."))
        return redirect("party:call_detail", call.pk)
    shown = set(form.cleaned_data["shown"])
    ticked = set(form.cleaned_data["present"])
    if not ticked <= shown:
        messages.error(request, _("Tick the members who signed up."))
        return redirect("party:call_detail", call.pk)
    kept = {s.member_id for s in roster if s.turned_out and s.member_id not in shown}
    ids = ticked | kept
    try:
        services.call_record_turnout(
            actor=request.user, call=call, present=[s.member for s in roster if s.member_id in ids]
        )
        if request.POST.get("close"):
            services.call_close(actor=request.user, call=call)
        messages.success(request, _("Turnout recorded."))
    except DomainError as exc:
        _error(request, exc)
    return redirect("party:call_detail", call.pk)


# -- the member's phone page ------------------------------------------------------------------


@login_required
def my_page(request):
    """The member's phone home: my contact households 我的联户 (last contact, visit due), my
    visits due, my claims 我的认领, open needs to claim nearby, my model posts 示范岗, open
    calls to sign up for. A user who is not a party member gets a page that says so."""
    me = selectors.member_of_user(request.user)
    if me is None:
        return render(request, "party/not_member.html")
    households = selectors.member_households_due(me)
    claimed = me.claimed_needs.select_related("household").order_by("status", "-claimed_at")
    signed = set(me.signups.values_list("call_id", flat=True))
    calls = (
        selectors.calls_for_member(me)
        .filter(status=CallStatus.OPEN)
        .exclude(pk__in=signed)
        .select_related("area")
        .order_by("starts_at", "id")
        .distinct()
    )
    key_days, days = selectors.visit_days()
    can_report_in = me.is_in_service or services.in_organ_branch(me.org)
    return render(
        request,
        "party/my_page.html",
        {
            "registrations": selectors.member_registrations(me) if can_report_in else (),
            "register_form": (
                DualRegisterForm(communities=selectors.communities_for_member(me))
                if can_report_in
                else None
            ),
            "me": me,
            "page": _page(request, households),
            "due": households.filter(visit_due=True)[:10],
            "due_count": households.filter(visit_due=True).count(),
            "claimed": claimed[:30],
            "open_needs": selectors.open_needs_for_member(me).order_by("-id")[:20],
            "model_posts": me.model_posts.select_related("org"),
            "calls": calls[:10],
            "fulfil_form": NeedFulfilForm(),
            "convert_form": NeedConvertForm(),
            "key_days": key_days,
            "days": days,
        },
    )


@login_required
@require_POST
def contact_visited(request, household_pk: int):
    """The member notes that they have been in touch with one of their households."""
    me = _me_or_404(request)
    household = get_object_or_404(selectors.member_households(me), pk=household_pk)
    services.contact_record_visit(actor=request.user, household=household, member=me)
    messages.success(request, _("Contact recorded."))
    return redirect("party:me")

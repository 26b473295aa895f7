"""Pages of the party network: the organisations, a branch's members and contact coverage,
and a member's own phone page (my households, my claims)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core.errors import DomainError

from . import selectors, services
from .forms import NeedFulfilForm

PAGE_SIZE = 30
KEY_VISIT_DAYS = 30


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def org_list(request):
    orgs = selectors.orgs_for_user(user=request.user).filter(is_active=True)
    return render(request, "party/org_list.html", {"page": _page(request, orgs)})


@login_required
def org_detail(request, pk: int):
    """A branch's view: its members with their contact load, and the contact coverage of
    its area (uncovered households, key households not visited, members over quota)."""
    org = selectors.org_get(user=request.user, pk=pk)
    members = (
        selectors.members_for_user(user=request.user)
        .filter(org__path__startswith=org.path, is_active=True)
        .order_by("grid_level", "name", "id")
    )
    coverage = selectors.contact_coverage(user=request.user, area=org.area)
    uncovered = selectors.households_without_contact(user=request.user, area=org.area)
    not_visited = selectors.key_households_not_visited(
        user=request.user, days=KEY_VISIT_DAYS, area=org.area
    )
    lo, hi = selectors.contact_quota(org)
    over = [
        m
        for m in selectors.members_over_quota(user=request.user)
        if m.org.path.startswith(org.path)
    ]
    return render(
        request,
        "party/org_detail.html",
        {
            "org": org,
            "children": selectors.orgs_for_user(user=request.user).filter(parent=org),
            "page": _page(request, members),
            "coverage": coverage,
            "uncovered": uncovered.order_by("number")[:20],
            "not_visited": not_visited.order_by("number")[:20],
            "not_visited_count": not_visited.count(),
            "key_visit_days": KEY_VISIT_DAYS,
            "quota": (lo, hi),
            "over_quota": over,
        },
    )


@login_required
def my_page(request):
    """The member's phone page: my contact households 我的联户, my claimed needs 我的认领,
    open needs I could claim, my model posts 示范岗."""
    me = selectors.member_of_user(request.user)
    if me is None:
        raise Http404(_("Your account is not linked to a party member."))
    households = selectors.member_households(me)
    claimed = me.claimed_needs.select_related("household").order_by("status", "-claimed_at")
    return render(
        request,
        "party/my_page.html",
        {
            "me": me,
            "page": _page(request, households),
            "claimed": claimed[:50],
            "open_needs": selectors.open_needs_for_member(me).order_by("-id")[:20],
            "model_posts": me.model_posts.select_related("org"),
            "fulfil_form": NeedFulfilForm(),
        },
    )


@login_required
@require_POST
def need_claim(request, pk: int):
    need = get_object_or_404(selectors.needs_for_user(user=request.user), pk=pk)
    me = selectors.member_of_user(request.user)
    if me is None:
        raise Http404
    try:
        services.need_claim(actor=request.user, need=need, member=me)
        messages.success(request, _("Need claimed."))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("party:me")


@login_required
@require_POST
def need_fulfil(request, pk: int):
    need = get_object_or_404(selectors.needs_for_user(user=request.user), pk=pk)
    form = NeedFulfilForm(request.POST)
    if form.is_valid():
        try:
            services.need_fulfil(actor=request.user, need=need, result=form.cleaned_data["result"])
            messages.success(request, _("Need fulfilled."))
        except DomainError as exc:
            messages.error(request, str(exc.message))
    else:
        messages.error(request, _("Say what was done."))
    return redirect("party:me")


@login_required
@require_POST
def contact_visited(request, household_pk: int):
    """The member notes that they have been in touch with one of their households."""
    me = selectors.member_of_user(request.user)
    if me is None:
        raise Http404
    household = get_object_or_404(selectors.member_households(me), pk=household_pk)
    services.contact_record_visit(actor=request.user, household=household, member=me)
    messages.success(request, _("Contact recorded."))
    return redirect("party:me")

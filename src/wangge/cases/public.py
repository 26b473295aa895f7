"""Pages for the public, without an account: the QR intake page 扫码上报 with its receipt, and
the progress board 流程看板 at /t/<tracking code>. They show no personal data: no phone, no
reporter name, no handler name (a role only)."""

from __future__ import annotations

import segno
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from wangge.accounts.choices import Role
from wangge.areas.choices import AreaLevel
from wangge.areas.models import Area
from wangge.core.errors import DomainError

from . import services
from .choices import CaseState, Source
from .forms import PublicRatingForm, PublicReportForm
from .ratelimit import client_ip, hit
from .selectors import case_by_tracking_code, receipt_by_tracking_code

REPORTS_PER_PHONE_PER_HOUR = 5
REPORTS_PER_IP_PER_HOUR = 30
RATINGS_PER_IP_PER_HOUR = 30

# Where a service's error goes on the public form.
_FIELD_MAP = {
    "phone": "phone",
    "description": "description",
    "category": "category",
    "location": "grid",
    "area": "grid",
    "photos": "photos",
    "reporter_name": "name",
}


def role_label(role: str) -> str:
    if role == "public":
        return _("reporter")
    if role == "system":
        return _("system")
    if role in Role.values:
        return str(Role(role).label)
    return _("staff")


def _intake_area(code: str) -> tuple[Area, list[Area]]:
    area = Area.objects.filter(
        code=code,
        is_active=True,
        level__in=[AreaLevel.VILLAGE, AreaLevel.GRID, AreaLevel.MICROGRID],
    ).first()
    if area is None:
        raise Http404
    if area.level == AreaLevel.VILLAGE:
        grids = list(
            Area.objects.filter(parent=area, level=AreaLevel.GRID, is_active=True).order_by("code")
        )
    else:
        grids = [area]
    return area, grids


@never_cache
@require_http_methods(["GET", "POST"])
def report(request, area_code: str):
    area, grids = _intake_area(area_code)
    status = 200
    if request.method == "POST":
        form = PublicReportForm(request.POST, request.FILES, grids=grids)
        if form.is_valid():
            data = form.cleaned_data
            if not hit(
                "report-ip", client_ip(request), limit=REPORTS_PER_IP_PER_HOUR, window=3600
            ) or not hit(
                "report-phone", data["phone"], limit=REPORTS_PER_PHONE_PER_HOUR, window=3600
            ):
                form.add_error(
                    None,
                    _("Too many reports from this phone or network. Please try again later."),
                )
                status = 429
            else:
                chosen = next((g for g in grids if g.code == data.get("grid")), None)
                try:
                    case = services.case_report(
                        actor=None,
                        source=Source.QR,
                        description=data["description"],
                        category=data["category"],
                        lat=data.get("lat") if chosen is None else None,
                        lng=data.get("lng") if chosen is None else None,
                        area=chosen,
                        reporter_name=data.get("name", ""),
                        reporter_phone=data["phone"],
                        photos=data.get("photos") or [],
                        idempotency_client="qr",
                        idempotency_key=data["token"],
                    )
                except DomainError as exc:
                    if exc.code == "idempotency_conflict":
                        form.add_error(
                            None,
                            _(
                                "This form was already sent. Reload the page to report another "
                                "problem."
                            ),
                        )
                    else:
                        form.add_error(_FIELD_MAP.get(exc.field or ""), str(exc.message))
                    status = 400
                else:
                    return redirect("cases:receipt", code=case.tracking_code)
        else:
            status = 400
    else:
        form = PublicReportForm(grids=grids)
    return render(request, "cases/public_report.html", {"area": area, "form": form}, status=status)


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=5, dark="#1f2937")


@never_cache
def receipt(request, code: str):
    case = case_by_tracking_code(code)
    if case is None:
        raise Http404
    board_url = request.build_absolute_uri(reverse("board", args=[case.tracking_code]))
    return render(
        request,
        "cases/receipt.html",
        {"case": case, "board_url": board_url, "qr_svg": _qr_svg(board_url)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def board(request, code: str):
    case = case_by_tracking_code(code)
    if case is None:
        # Acknowledged a moment ago and not yet routed (受理回执): say so, and look again soon.
        receipt = receipt_by_tracking_code(code)
        if receipt is None or request.method != "GET":
            raise Http404
        return render(request, "cases/board_received.html", {"receipt": receipt})
    can_rate = (
        case.state in (CaseState.RESOLVED, CaseState.CLOSED)
        and not case.public_satisfaction
        and not case.merged_into_id
    )
    form = PublicRatingForm(request.POST or None) if can_rate else None
    status = 200
    if request.method == "POST":
        if form is None:
            status = 409
        elif not hit("rate-ip", client_ip(request), limit=RATINGS_PER_IP_PER_HOUR, window=3600):
            form.add_error(None, _("Too many attempts. Please try again later."))
            status = 429
        elif form.is_valid():
            try:
                services.case_rate_public(
                    tracking_code=case.tracking_code,
                    satisfaction=form.cleaned_data["satisfaction"],
                    comment=form.cleaned_data["comment"],
                )
            except DomainError as exc:
                form.add_error(None, str(exc.message))
                status = 409
            else:
                return redirect("board", code=case.tracking_code)
        else:
            status = 400
    timeline = [
        {
            "at": a.created_at,
            "verb": a.get_verb_display(),
            "role": role_label(a.actor_role),
            "note": a.note,
            # "accepted → accepted" says nothing: the state only when the verb does not say it.
            "to_state": a.get_to_state_display()
            if a.from_state
            and a.to_state != a.from_state
            and a.get_to_state_display() != a.get_verb_display()
            else "",
            "to_level": a.get_to_level_display() if a.to_level != a.from_level else "",
        }
        for a in case.actions.filter(is_public=True).order_by("created_at", "id")
    ]
    return render(
        request,
        "cases/board.html",
        {"case": case, "timeline": timeline, "form": form},
        status=status,
    )

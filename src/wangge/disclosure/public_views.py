"""The public village page 一村一码: no login, few queries, light HTML for a cheap phone.

Only published disclosures and published decisions ever reach these views; an unknown code or
an area that is not a village answers 404.
"""

from __future__ import annotations

import io

import segno
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods

from wangge.core.clientip import client_ip
from wangge.core.errors import DomainError

from . import selectors, services
from .choices import FeedbackKind
from .forms import FeedbackForm


def village_url(request, village) -> str:
    return request.build_absolute_uri(
        reverse("disclosure_public:village", kwargs={"code": village.code})
    )


def case_report_url(village) -> str:
    """The cases app's QR report page for the village (built by that app)."""
    for name in ("cases_public:report", "cases:report", "cases:public_report"):
        try:
            return reverse(name, kwargs={"code": village.code})
        except NoReverseMatch:
            continue
    return f"/cases/report/{village.code}/"


def _client_ip(request) -> str | None:
    # X-Forwarded-For is believed only from settings.WANGGE_TRUSTED_PROXIES.
    return client_ip(request) or None


@require_GET
@cache_control(public=True, max_age=60)
def village(request, code):
    village = selectors.public_village(code)
    ctx = selectors.public_page(village)
    ctx["report_url"] = case_report_url(village)
    ctx["page_url"] = village_url(request, village)
    return render(request, "disclosure/public/village.html", ctx)


def _feedback(request, village, *, disclosure=None, decision=None, kinds):
    """Handle the 述询评督 form on a page; returns (form, sent_kind) or a redirect."""
    sent = request.GET.get("sent", "")
    if request.method != "POST":
        return FeedbackForm(), sent, None
    form = FeedbackForm(request.POST)
    if form.is_valid():
        if form.cleaned_data["website"]:  # a bot
            return FeedbackForm(), "", redirect(f"{request.path}?sent=1")
        kind = form.cleaned_data["kind"]
        if kind not in kinds:
            form.add_error(None, _("This kind of message is not taken here."))
        else:
            try:
                services.feedback_submit(
                    village=village,
                    kind=kind,
                    phone=form.cleaned_data["phone"],
                    ip=_client_ip(request),
                    body=form.cleaned_data["body"],
                    rating=form.cleaned_data["rating"],
                    name=form.cleaned_data["name"],
                    disclosure=disclosure,
                    decision=decision,
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            else:
                return form, kind, redirect(f"{request.path}?sent={kind}")
    return form, "", None


@require_http_methods(["GET", "POST"])
def disclosure_detail(request, code, pk):
    village = selectors.public_village(code)
    disclosure = selectors.public_disclosure_get(village, pk)
    form, sent, response = _feedback(
        request,
        village,
        disclosure=disclosure,
        kinds=(FeedbackKind.QUESTION, FeedbackKind.RATING),
    )
    if response:
        return response
    return render(
        request,
        "disclosure/public/disclosure.html",
        {
            "village": village,
            "disclosure": disclosure,
            "questions": selectors.public_answered_questions(disclosure=disclosure)[:50],
            "rating": selectors.public_rating(disclosure=disclosure),
            "form": form,
            "sent": sent,
            "posted_kind": request.POST.get("kind", ""),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def decision_detail(request, code, pk):
    village = selectors.public_village(code)
    decision = selectors.public_decision_get(village, pk)
    form, sent, response = _feedback(
        request,
        village,
        decision=decision,
        kinds=(FeedbackKind.QUESTION, FeedbackKind.RATING),
    )
    if response:
        return response
    return render(
        request,
        "disclosure/public/decision.html",
        {
            "village": village,
            "decision": decision,
            "plan": getattr(decision, "plan", None) if decision.is_one_matter else None,
            "steps": list(decision.steps.all()),
            "questions": selectors.public_answered_questions(decision=decision)[:50],
            "rating": selectors.public_rating(decision=decision),
            "form": form,
            "sent": sent,
            "posted_kind": request.POST.get("kind", ""),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def supervise(request, code):
    """督: a report to the village supervision committee, not tied to one disclosure."""
    village = selectors.public_village(code)
    form, sent, response = _feedback(
        request, village, kinds=(FeedbackKind.SUPERVISION, FeedbackKind.QUESTION)
    )
    if response:
        return response
    return render(
        request,
        "disclosure/public/supervise.html",
        {
            "village": village,
            "form": form,
            "sent": sent,
            "posted_kind": request.POST.get("kind", ""),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@cache_control(public=True, max_age=3600)
def qr_png(request, code):
    village = selectors.public_village(code)
    qr = segno.make(village_url(request, village), error="m")
    buf = io.BytesIO()
    scale = request.GET.get("scale", "")
    scale = int(scale) if scale.isdigit() and 1 <= int(scale) <= 40 else 10
    qr.save(buf, kind="png", scale=scale, border=4)
    response = HttpResponse(buf.getvalue(), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="village-{village.code}.png"'
    return response


@require_GET
def poster(request, code):
    """A4 print-ready poster with the village QR code 一村一码."""
    village = selectors.public_village(code)
    url = village_url(request, village)
    qr = segno.make(url, error="m")
    town = village.parent
    return render(
        request,
        "disclosure/public/poster.html",
        {
            "village": village,
            "town": town,
            "url": url,
            "qr_svg": qr.svg_inline(scale=8, border=2, omitsize=True),
        },
    )

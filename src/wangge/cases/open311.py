"""Open311 GeoReport v2 over cases (http://wiki.open311.org/GeoReport_v2).

Endpoints under /open311/v2/, each in .json or .xml: services, services/{code}, requests
(GET, POST), requests/{id}, tokens/{token}. Every POST goes through case_report (source
open311) and needs an API key issued by the town grid office (Open311Client).

Privacy: the service_request_id is the case's unguessable tracking code, so knowing an id is
the same capability as the public progress board. Listing requests without ids needs an API
key and answers only that client's own cases; reporters' names, phones and e-mails are never
returned.
"""

from __future__ import annotations

import datetime as dt
import json
from xml.etree import ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from wangge.areas.choices import AreaLevel
from wangge.areas.models import Area
from wangge.core.errors import DomainError

from . import services
from .choices import CaseState, Source
from .models import Case, Category
from .ratelimit import hit

MAX_RESULTS = 1000
POSTS_PER_CLIENT_PER_HOUR = 1000
DEFAULT_WINDOW = dt.timedelta(days=90)
CLOSED_STATES = (CaseState.RESOLVED, CaseState.CLOSED, CaseState.REJECTED)


# --- rendering -------------------------------------------------------------------------------


def _xml_value(parent: ET.Element, key: str, value) -> None:
    el = ET.SubElement(parent, key)
    if value is None:
        return
    if isinstance(value, bool):
        el.text = "true" if value else "false"
    elif isinstance(value, list):
        for item in value:
            _xml_value(el, key[:-1] if key.endswith("s") else "item", item)
    else:
        el.text = str(value)


def render(fmt: str, root: str, item: str, rows: list[dict], status: int = 200) -> HttpResponse:
    """A list of objects: a JSON array, or <root><item>…</item></root>."""
    if fmt == "xml":
        top = ET.Element(root)
        for row in rows:
            el = ET.SubElement(top, item)
            for key, value in row.items():
                _xml_value(el, key, value)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    return HttpResponse(
        json.dumps(rows, ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def error(fmt: str, status: int, description: str) -> HttpResponse:
    return render(
        fmt, "errors", "error", [{"code": status, "description": str(description)}], status
    )


def _iso(value) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


# --- services --------------------------------------------------------------------------------


def _service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.name,
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": category.parent.name if category.parent_id else category.name,
    }


@csrf_exempt  # read-only: any other method gets Open311's 405, not Django's CSRF page
def services_list(request, fmt: str):
    if request.method != "GET":
        return error(fmt, 405, _("Method not allowed."))
    categories = Category.objects.filter(is_active=True).select_related("parent")
    return render(fmt, "services", "service", [_service(c) for c in categories])


@csrf_exempt  # read-only: any other method gets Open311's 405, not Django's CSRF page
def service_definition(request, code: str, fmt: str):
    if request.method != "GET":
        return error(fmt, 405, _("Method not allowed."))
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        return error(fmt, 404, _("No service has the code %(code)s.") % {"code": code[:40]})
    row = {"service_code": category.code, "attributes": []}
    if fmt == "xml":
        top = ET.Element("service_definition")
        ET.SubElement(top, "service_code").text = category.code
        ET.SubElement(top, "attributes")
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
        return HttpResponse(body, content_type="text/xml; charset=utf-8")
    return HttpResponse(json.dumps(row), content_type="application/json; charset=utf-8")


# --- requests --------------------------------------------------------------------------------


def _status_notes(case: Case) -> str:
    action = case.last_public_action
    if action is None:
        return ""
    label = action.get_verb_display()
    return f"{label}: {action.note}" if action.note else str(label)


def _agency(case: Case) -> str:
    if case.department_id:
        return case.department.name
    return str(case.get_level_display())


def _request(case: Case) -> dict:
    return {
        "service_request_id": case.tracking_code,
        "status": "closed" if case.state in CLOSED_STATES else "open",
        "status_notes": _status_notes(case),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": case.description,
        "agency_responsible": _agency(case),
        "service_notice": "",
        "requested_datetime": _iso(case.reported_at),
        "updated_datetime": _iso(case.updated_at),
        "expected_datetime": _iso(case.resolve_by),
        "address": case.address,
        "address_id": case.grid.code,
        "zipcode": "",
        "lat": case.lat,
        "long": case.lng,
        "media_url": "",
    }


def _with_last_public_action(cases) -> list[Case]:
    from .models import CaseAction

    cases = list(cases)
    last: dict[int, CaseAction] = {}
    for action in CaseAction.objects.filter(
        case__in=[c.pk for c in cases], is_public=True
    ).order_by("case_id", "created_at", "id"):
        last[action.case_id] = action
    for c in cases:
        c.last_public_action = last.get(c.pk)
    return cases


def _base_queryset():
    return Case.objects.select_related("category", "grid", "department")


def _param(request, name: str) -> str:
    if request.method == "POST":
        value = request.POST.get(name)
        if value is None and request.content_type == "application/json":
            try:
                value = json.loads(request.body or b"{}").get(name)
            except (ValueError, AttributeError):
                value = None
        return str(value).strip() if value is not None else ""
    return (request.GET.get(name) or "").strip()


def _parse_when(value: str, *, end: bool = False):
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            raise ValueError(value)
        parsed = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _client_idempotency_key(request) -> str:
    return request.headers.get("Idempotency-Key", "")


@csrf_exempt
def requests_view(request, fmt: str):
    if request.method == "POST":
        return _post_request(request, fmt)
    if request.method != "GET":
        return error(fmt, 405, _("Method not allowed."))

    qs = _base_queryset()
    ids = [i for i in _param(request, "service_request_id").split(",") if i.strip()]
    if ids:
        qs = qs.filter(tracking_code__in=[i.strip() for i in ids[:MAX_RESULTS]])
    else:
        client = services.open311_client_for_key(_param(request, "api_key"))
        if client is None:
            return error(
                fmt,
                403,
                _("Give service_request_id, or an api_key to list the requests you posted."),
            )
        qs = qs.filter(idempotency_client=f"open311:{client.pk}")
        try:
            start = _param(request, "start_date")
            end = _param(request, "end_date")
            end_at = _parse_when(end, end=True) if end else timezone.now()
            start_at = _parse_when(start) if start else end_at - DEFAULT_WINDOW
        except ValueError:
            return error(fmt, 400, _("start_date and end_date must be ISO 8601 dates."))
        qs = qs.filter(reported_at__gte=start_at, reported_at__lte=end_at)
    codes = [c for c in _param(request, "service_code").split(",") if c.strip()]
    if codes:
        qs = qs.filter(category__code__in=codes)
    status = _param(request, "status")
    if status:
        wanted = {s.strip() for s in status.split(",")}
        if not wanted <= {"open", "closed"}:
            return error(fmt, 400, _("status must be open or closed."))
        if wanted == {"open"}:
            qs = qs.exclude(state__in=CLOSED_STATES)
        elif wanted == {"closed"}:
            qs = qs.filter(state__in=CLOSED_STATES)
    cases = _with_last_public_action(qs.order_by("-reported_at", "-id")[:MAX_RESULTS])
    return render(fmt, "service_requests", "request", [_request(c) for c in cases])


@csrf_exempt  # read-only: any other method gets Open311's 405, not Django's CSRF page
def request_detail(request, request_id: str, fmt: str):
    if request.method != "GET":
        return error(fmt, 405, _("Method not allowed."))
    case = (
        _base_queryset().filter(tracking_code=request_id).first() if len(request_id) < 64 else None
    )
    if case is None:
        return error(fmt, 404, _("No service request has this id."))
    return render(
        fmt, "service_requests", "request", [_request(c) for c in _with_last_public_action([case])]
    )


@csrf_exempt  # read-only: any other method gets Open311's 405, not Django's CSRF page
def token_detail(request, token: str, fmt: str):
    """Our requests get their id at once, so a token is the id itself."""
    if request.method != "GET":
        return error(fmt, 405, _("Method not allowed."))
    exists = len(token) < 64 and Case.objects.filter(tracking_code=token).exists()
    if not exists:
        return error(fmt, 404, _("No service request has this token."))
    return render(
        fmt, "service_requests", "request", [{"service_request_id": token, "token": token}]
    )


def _post_request(request, fmt: str):
    client = services.open311_client_for_key(_param(request, "api_key"))
    if client is None:
        return error(fmt, 403, _("A valid api_key is required to post a service request."))
    if not hit("open311-post", str(client.pk), limit=POSTS_PER_CLIENT_PER_HOUR, window=3600):
        return error(fmt, 429, _("Too many requests. Please try again later."))
    service_code = _param(request, "service_code")
    if not service_code:
        return error(fmt, 400, _("service_code is required."))
    if not Category.objects.filter(code=service_code, is_active=True).exists():
        return error(fmt, 404, _("No service has the code %(code)s.") % {"code": service_code[:40]})
    lat, lng = _param(request, "lat"), _param(request, "long")
    address_id = _param(request, "address_id")
    area = None
    if address_id:
        area = Area.objects.filter(
            code=address_id, level__in=[AreaLevel.GRID, AreaLevel.MICROGRID], is_active=True
        ).first()
        if area is None:
            return error(fmt, 400, _("address_id must be the code of a grid."))
    if not area and not (lat and lng):
        return error(fmt, 400, _("A location is required: lat and long, or address_id."))
    name = " ".join(p for p in [_param(request, "last_name"), _param(request, "first_name")] if p)
    try:
        case = services.case_report(
            actor=None,
            source=Source.OPEN311,
            description=_param(request, "description"),
            category=service_code,
            lat=lat or None,
            lng=lng or None,
            area=area,
            address=_param(request, "address_string"),
            reporter_name=name,
            reporter_phone=_param(request, "phone"),
            reporter_email=_param(request, "email"),
            idempotency_client=f"open311:{client.pk}",
            idempotency_key=_client_idempotency_key(request),
        )
    except DomainError as exc:
        status = 409 if exc.code == "idempotency_conflict" else 400
        return error(fmt, status, f"{exc.field}: {exc.message}" if exc.field else exc.message)
    row = {
        "service_request_id": case.tracking_code,
        "service_notice": _("Case number %(number)s. Expected by %(when)s.")
        % {
            "number": case.number,
            "when": timezone.localtime(case.resolve_by).strftime("%Y-%m-%d %H:%M"),
        },
        "account_id": None,
    }
    return render(fmt, "service_requests", "request", [row], status=201)

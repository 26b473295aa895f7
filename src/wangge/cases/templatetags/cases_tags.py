"""Template helpers of the cases app: `{% unread_notifications %}` for the top bar, and the
`pct` and `hours` filters of the KPI page."""

from __future__ import annotations

import html

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

register = template.Library()


@register.inclusion_tag("cases/_unread_badge.html", takes_context=True)
def unread_notifications(context):
    """A link to the notifications with the number of unread ones (nothing when logged out).
    One indexed count per page."""
    from ..selectors import unread_notification_count

    request = context.get("request")
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {"show": False}
    return {
        "show": True,
        "count": unread_notification_count(user=user),
        "url": reverse("cases:notifications"),
    }


@register.filter
def pct(value) -> str:
    """0.9312 → 93.1%; no value (no case to count) → —."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.1f}%"


@register.filter
def hours(value) -> str:
    """A duration in hours, shown in days beyond two days."""
    if value is None or value == "":
        return "—"
    value = float(value)
    if value >= 48:
        return _("%(n).1f days") % {"n": value / 24}
    return _("%(n).1f h") % {"n": value}


@register.simple_tag
def case_rows(cases):
    """The rows of a case list (the markup of cases/_row.html, which stays the reference),
    written out in Python: through {% include %} the rows were most of the time of the
    to-do list and the dispatch board. (The choices' labels from a table per field, the
    links from one reversed link, the times formatted directly, every shown value escaped
    once: Django's get_FOO_display, reverse(), the date filter and format_html cost more
    than the rest of a row together.)"""
    from django.utils.safestring import mark_safe
    from django.utils.timezone import template_localtime

    from ..models import Case

    e = _escape
    overdue = f'<span class="badge danger">{e(_("overdue"))}</span>'
    due_soon = f'<span class="badge warn">{e(_("due soon"))}</span>'
    reported, due = e(_("Reported")), e(_("due"))
    urgency, state, level = (
        {value: e(label) for value, label in _labels(Case, name).items()}
        for name in ("urgency", "state", "level")
    )
    link = _detail_link()
    out = []
    for c in cases:
        # A deadline's badge while the case is open (as its due time): a case resolved after
        # turning yellow or red is not due any more.
        side = ""
        if c.is_open:
            side = overdue if c.warning == "red" else due_soon if c.warning == "yellow" else ""
        if c.urgency == "urgent":
            side = (
                f'{side} <span class="badge danger">{urgency.get(c.urgency) or e(c.urgency)}</span>'
            )
        grid = c.grid
        village = e(grid.parent.name) if grid.parent_id else ""
        meta = (
            f"{e(c.category.name)} · {village} {e(grid.name)} · "
            f"{state.get(c.state) or e(c.state)} · {level.get(c.level) or e(c.level)}"
        )
        if c.department_id:
            meta = f"{meta} · {e(c.department.name)}"
        if c.handler_id:
            meta = f"{meta} · {e(str(c.handler))}"
        when = f"{reported} {_short_time(template_localtime(c.reported_at))}"
        if c.is_open and c.resolve_by:
            when = f"{when} · {due} {_short_time(template_localtime(c.resolve_by))}"
        out.append(
            f'<li>\n  <a class="row-link" href="{e(link(c.pk))}">\n'
            f'    <span class="row-side">{side}</span>\n'
            f'    <div class="row-title">{e(c.number)} · {e(c.title)}</div>\n'
            f'    <div class="row-meta">{meta}</div>\n'
            f'    <div class="row-meta">{when}</div>\n'
            "  </a>\n</li>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 - every shown value went through _escape


def _escape(value) -> str:
    """As Django's escape() (the template's autoescape) writes a value, without its check
    for lazy arguments on every call (a row escapes a dozen values)."""
    return html.escape(str(value))


def _labels(model, name: str) -> dict:
    """{value: label} of a field's choices in the active language (what get_FOO_display
    shows)."""
    return {value: str(label) for value, label in model._meta.get_field(name).flatchoices}


def _detail_link():
    """pk → the case page's link, as reverse("cases:detail") gives it."""
    zero = reverse("cases:detail", args=[0])
    if not zero.endswith("/0/"):  # another URL shape: reverse every time
        return lambda pk: reverse("cases:detail", args=[pk])
    prefix = zero[:-2]
    return lambda pk: f"{prefix}{pk}/"


def _short_time(value) -> str:
    """The date filter's "m-d H:i" ("" for no value)."""
    return value.strftime("%m-%d %H:%M") if value else ""

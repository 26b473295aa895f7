"""Template helpers of the cases app: `{% unread_notifications %}` for the top bar, and the
`pct` and `hours` filters of the KPI page."""

from __future__ import annotations

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
    links from one reversed link, the times formatted directly: Django's get_FOO_display,
    reverse() and the date filter cost more than the rest of a row together.)"""
    from django.utils.html import format_html
    from django.utils.safestring import mark_safe
    from django.utils.timezone import template_localtime

    from ..models import Case

    overdue, due_soon = _("overdue"), _("due soon")
    reported, due = _("Reported"), _("due")
    urgency, state, level = (_labels(Case, name) for name in ("urgency", "state", "level"))
    link = _detail_link()
    out = []
    for c in cases:
        side = ""
        if c.warning == "red":
            side = format_html('<span class="badge danger">{}</span>', overdue)
        elif c.warning == "yellow":
            side = format_html('<span class="badge warn">{}</span>', due_soon)
        if c.urgency == "urgent":
            side = format_html(
                '{} <span class="badge danger">{}</span>', side, urgency.get(c.urgency, c.urgency)
            )
        meta = format_html(
            "{} · {} {} · {} · {}",
            c.category.name,
            c.grid.parent.name if c.grid.parent_id else "",
            c.grid.name,
            state.get(c.state, c.state),
            level.get(c.level, c.level),
        )
        if c.department_id:
            meta = format_html("{} · {}", meta, c.department.name)
        if c.handler_id:
            meta = format_html("{} · {}", meta, c.handler)
        when = format_html("{} {}", reported, _short_time(template_localtime(c.reported_at)))
        if c.is_open and c.resolve_by:
            when = format_html(
                "{} · {} {}", when, due, _short_time(template_localtime(c.resolve_by))
            )
        out.append(
            format_html(
                '<li>\n  <a class="row-link" href="{}">\n'
                '    <span class="row-side">{}</span>\n'
                '    <div class="row-title">{} · {}</div>\n'
                '    <div class="row-meta">{}</div>\n'
                '    <div class="row-meta">{}</div>\n'
                "  </a>\n</li>\n",
                link(c.pk),
                side,
                c.number,
                c.title,
                meta,
                when,
            )
        )
    return mark_safe("".join(out))  # noqa: S308 - every part went through format_html


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

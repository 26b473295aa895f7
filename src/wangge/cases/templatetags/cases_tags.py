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

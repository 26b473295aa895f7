"""API permissions built on the scope rule.

Reading is decided by the selectors (a queryset that only holds what the user may see, so
anything else answers 404). Writing needs a capability (accounts.choices.Capability) over the
object's area: a user who can see an object but not change it gets 403; an object the user
cannot see at all stays a 404, because the object lookup fails before the check runs.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from wangge.accounts.selectors import user_has_capability, user_scope


class CapabilityPermission(BasePermission):
    """Unsafe methods need the view's write capability.

    The view declares `write_capability` (or `get_write_capability(action)`) and, for object
    checks, `object_path(obj)` returning the object's area path. Collection writes (create)
    need the capability somewhere; object writes need it over the object's area.
    """

    message = _("You do not have permission to change this.")

    @staticmethod
    def _capability(view) -> str | None:
        getter = getattr(view, "get_write_capability", None)
        if getter is not None:
            return getter(getattr(view, "action", None))
        return getattr(view, "write_capability", None)

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        capability = self._capability(view)
        if capability is None:
            return True
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")
        if lookup in getattr(view, "kwargs", {}):
            # A detail write: decided per object, after the scoped lookup (404 first).
            return True
        return user_has_capability(request.user, capability)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        capability = self._capability(view)
        if capability is None:
            return True
        return user_scope(request.user, capability).covers(view.object_path(obj))

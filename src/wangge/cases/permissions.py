"""Who may do what with a case. Services call these; views only use them to show buttons.

- anyone with a post whose area covers the case may see it; so may the staff of the department
  it is dispatched to, its handler and its first responder;
- the handler works it (accept, note, request help, escalate, transfer, resolve);
- managers (village and town grid chiefs, the town grid office, the county) may do all of that
  over their subtree, and dispatch, merge, reject and close;
- the return visit is made by someone in scope other than the handler and the resolver.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from wangge.accounts.choices import GRID_WORKER_ROLES, Role
from wangge.accounts.selectors import active_posts
from wangge.core.errors import PermissionDenied

MANAGER_ROLES = frozenset(
    {
        Role.COUNTY_ADMIN,
        Role.TOWN_ADMIN,
        Role.TOWN_GRID_CHIEF,
        Role.VILLAGE_GRID_CHIEF,
        Role.STATIONED_CADRE,
    }
)
# Roles whose posts let a user see and report cases in their area.
CASE_ROLES = MANAGER_ROLES | frozenset(GRID_WORKER_ROLES) | {Role.SUPERVISOR}


def _covers(post, path: str) -> bool:
    return path.startswith(post.area.path)


def is_manager(user, path: str) -> bool:
    if user is None:
        return True  # the system (deadline sweep)
    if user.is_superuser:
        return True
    return any(p.role in MANAGER_ROLES and _covers(p, path) for p in active_posts(user))


def in_scope(user, path: str) -> bool:
    if user is None or user.is_superuser:
        return True
    return any(p.role in CASE_ROLES and _covers(p, path) for p in active_posts(user))


def department_ids(user) -> set[int]:
    if user is None:
        return set()
    return {
        p.department_id
        for p in active_posts(user)
        if p.role == Role.DEPARTMENT_STAFF and p.department_id
    }


def is_department_staff(user, case) -> bool:
    return bool(case.department_id) and case.department_id in department_ids(user)


def can_view(user, case) -> bool:
    if user is None or user.is_superuser:
        return True
    return (
        in_scope(user, case.area_path)
        or is_department_staff(user, case)
        or user.pk in (case.handler_id, case.first_responder_id)
    )


def can_handle(user, case) -> bool:
    if user is None:
        return True
    return case.handler_id == user.pk or is_manager(user, case.area_path)


def require(allowed: bool, message=None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("You may not do this with this case."))


def require_handler(user, case) -> None:
    require(can_handle(user, case), _("Only the case's handler or a manager may do this."))


def require_manager(user, case) -> None:
    require(
        is_manager(user, case.area_path),
        _("Only a grid chief or the grid office over this area may do this."),
    )


def actor_role(user, path: str = "") -> str:
    """The role shown for an actor on the public board: the post that covers the case, the
    most local one first."""
    if user is None:
        return "system"
    posts = active_posts(user)
    covering = [p for p in posts if path and _covers(p, path)]
    chosen = max(covering or posts, key=lambda p: len(p.area.path), default=None)
    if chosen is None:
        return "admin" if user.is_superuser else ""
    return chosen.role

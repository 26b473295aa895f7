"""Template context shared by every page: the navigation menu built from the user's roles."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from wangge.accounts.choices import Capability
from wangge.accounts.selectors import active_posts, user_scope


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    # URL prefix that marks the item as the current section.
    prefix: str
    active: bool = False


# (label, url name, capability needed or None for "any post" or "party_member", staff only)
# Sections owned by other apps appear as soon as their URL names exist.
_MENU = [
    (_("Home"), "home", "", False),
    (_("Areas"), "areas:list", None, False),
    (_("Households"), "people:household_list", Capability.VIEW_PEOPLE, False),
    (_("Residents"), "people:resident_list", Capability.VIEW_PEOPLE, False),
    (_("Cases"), "cases:list", None, False),
    (_("Case KPIs"), "cases:kpis", None, False),
    (_("Party"), "party:org_list", None, False),
    (_("My party work"), "party:me", "party_member", False),
    (_("Fieldwork"), "fieldwork:home", None, False),
    (_("Disclosure"), "disclosure:list", None, False),
    (_("Supervision"), "supervision:index", None, False),
    (_("Bulletins"), "supervision:bulletin_list", None, False),
    (_("Points"), "scoring:index", None, False),
    (_("Import / export"), "io:index", (Capability.IMPORT, Capability.EXPORT), False),
    (_("Administration"), "admin:index", "", True),
]


def _as_tuple(capability) -> tuple:
    return capability if isinstance(capability, tuple) else (capability,)


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _is_party_member(user) -> bool:
    from wangge.party.models import PartyMember

    return PartyMember.objects.filter(user=user, is_active=True).exists()


def build_menu(user, path: str = "") -> list[MenuItem]:
    """The menu for `user`: an entry appears only if the user holds the capability it needs
    somewhere (or any post when the entry needs none), so a volunteer sees less than a town
    grid office. Which entries a user gets is kept until their posts change (all but the
    party member's entry, asked every time); the labels are in the request's language."""
    if not getattr(user, "is_authenticated", False):
        return []
    from wangge.accounts.selectors import kept_for_user

    kind = f"menu:{user.is_staff}:{user.is_superuser}"  # (a user's flags are not posts)
    entries = kept_for_user(user, kind, lambda _day: _menu_entries(user))
    items = []
    for label, url, capability in entries:
        if capability == "party_member" and not _is_party_member(user):
            continue
        items.append(MenuItem(label=str(label), url=url, prefix=url))
    # The longest matching prefix is the current section ("/" matches everything).
    best = max(
        (i for i in items if path.startswith(i.prefix) and (i.prefix != "/" or path == "/")),
        key=lambda i: len(i.prefix),
        default=None,
    )
    return [MenuItem(label=i.label, url=i.url, prefix=i.prefix, active=i is best) for i in items]


def _menu_entries(user) -> list[tuple]:
    """(lazy label, url, capability) of the entries the user's posts allow."""
    has_post = user.is_superuser or bool(active_posts(user))
    entries = []
    for label, name, capability, staff_only in _MENU:
        if staff_only and not user.is_staff:
            continue
        if capability is None and not has_post:
            continue
        if capability and capability != "party_member":
            if all(user_scope(user, c).is_empty for c in _as_tuple(capability)):
                continue
        url = _url(name)
        if url is not None:
            entries.append((label, url, capability))
    return entries


def navigation(request):
    user = getattr(request, "user", None)
    posts = active_posts(user) if user is not None else []
    return {
        "nav_menu": build_menu(user, request.path) if user is not None else [],
        "nav_posts": posts,
        # Export buttons on list pages: shown when the user may export anywhere.
        "can_export": user is not None and not user_scope(user, Capability.EXPORT).is_empty,
    }

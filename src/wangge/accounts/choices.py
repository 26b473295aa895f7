from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", _("county administrator")
    TOWN_ADMIN = "town_admin", _("town grid office")
    TOWN_GRID_CHIEF = "town_grid_chief", _("town grid chief")
    VILLAGE_GRID_CHIEF = "village_grid_chief", _("village grid chief")
    STATIONED_CADRE = "stationed_cadre", _("stationed village cadre (驻村点长)")
    GRID_WORKER = "grid_worker", _("grid worker (full-time)")
    GRID_WORKER_PART = "grid_worker_part", _("grid worker (part-time)")
    VOLUNTEER = "volunteer", _("volunteer")
    ELDER = "elder", _("five elders (五老)")
    DEPARTMENT_STAFF = "department_staff", _("department staff")
    SUPERVISOR = "supervisor", _("supervisor")
    DISCLOSURE_EDITOR = "disclosure_editor", _("disclosure editor")
    PARTY_ORGANISER = "party_organiser", _("party organiser")


class Capability(models.TextChoices):
    """What a role may do inside its scope. Checked by services and views."""

    VIEW_PEOPLE = "view_people", _("view households and residents")
    EDIT_PEOPLE = "edit_people", _("edit households and residents")
    REVEAL_ID = "reveal_id", _("reveal ID numbers")
    IMPORT = "import", _("import spreadsheets")
    EXPORT = "export", _("export spreadsheets")
    MANAGE_AREAS = "manage_areas", _("manage areas")
    MANAGE_POSTS = "manage_posts", _("manage posts")
    MANAGE_PARTY = "manage_party", _("manage party organisations and members")
    MANAGE_FIELDWORK = "manage_fieldwork", _("set fieldwork norms, campaigns and pledges")
    SUPERVISE = "supervise", _("inspect, list problems, follow up and cross off")
    VIEW_ASSESSMENTS = "view_assessments", _("view points, assessments and rankings")
    MANAGE_POINTS = "manage_points", _("manage point rules, manual entries and assessments")


_ALL = set(Capability.values)
_OFFICE = _ALL
_CHIEF = {
    Capability.VIEW_PEOPLE,
    Capability.EDIT_PEOPLE,
    Capability.REVEAL_ID,
    Capability.IMPORT,
    Capability.EXPORT,
    Capability.MANAGE_POSTS,
    Capability.MANAGE_FIELDWORK,
    Capability.VIEW_ASSESSMENTS,
}
_WORKER = {Capability.VIEW_PEOPLE, Capability.EDIT_PEOPLE, Capability.REVEAL_ID, Capability.EXPORT}
_HELPER = {Capability.VIEW_PEOPLE}

ROLE_CAPABILITIES: dict[str, set[str]] = {
    Role.COUNTY_ADMIN: _ALL,
    Role.TOWN_ADMIN: _OFFICE,
    Role.TOWN_GRID_CHIEF: _CHIEF,
    Role.VILLAGE_GRID_CHIEF: _CHIEF,
    Role.STATIONED_CADRE: {Capability.VIEW_PEOPLE, Capability.EXPORT, Capability.VIEW_ASSESSMENTS},
    Role.GRID_WORKER: _WORKER,
    Role.GRID_WORKER_PART: _WORKER,
    Role.VOLUNTEER: _HELPER,
    Role.ELDER: _HELPER,
    Role.DEPARTMENT_STAFF: set(),
    Role.SUPERVISOR: {
        Capability.VIEW_PEOPLE,
        Capability.EXPORT,
        Capability.SUPERVISE,
        Capability.VIEW_ASSESSMENTS,
    },
    Role.DISCLOSURE_EDITOR: set(),
    Role.PARTY_ORGANISER: {
        Capability.VIEW_PEOPLE,
        Capability.EXPORT,
        Capability.MANAGE_PARTY,
        Capability.VIEW_ASSESSMENTS,
    },
}

# Which area level each role's post normally sits on (checked when a post is created).
ROLE_LEVELS: dict[str, tuple[str, ...]] = {
    Role.COUNTY_ADMIN: ("county",),
    Role.TOWN_ADMIN: ("county", "town"),
    Role.TOWN_GRID_CHIEF: ("town",),
    Role.VILLAGE_GRID_CHIEF: ("village",),
    Role.STATIONED_CADRE: ("village",),
    Role.GRID_WORKER: ("grid", "microgrid"),
    Role.GRID_WORKER_PART: ("grid", "microgrid"),
    Role.VOLUNTEER: ("village", "grid", "microgrid"),
    Role.ELDER: ("village", "grid", "microgrid"),
    Role.DEPARTMENT_STAFF: ("county", "town"),
    # Town supervision office, or the village supervision committee 村务监督委员会.
    Role.SUPERVISOR: ("county", "town", "village"),
    Role.DISCLOSURE_EDITOR: ("village",),
    Role.PARTY_ORGANISER: ("county", "town", "village"),
}

GRID_WORKER_ROLES = (Role.GRID_WORKER, Role.GRID_WORKER_PART)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")

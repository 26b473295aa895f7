from django.db import models
from django.utils.translation import gettext_lazy as _


class AreaLevel(models.TextChoices):
    COUNTY = "county", _("county")
    TOWN = "town", _("town")
    VILLAGE = "village", _("village")
    GRID = "grid", _("grid")
    MICROGRID = "microgrid", _("micro-grid")


# Depth in the tree (treebeard depth starts at 1) for each level, and back.
LEVEL_DEPTH = {
    AreaLevel.COUNTY: 1,
    AreaLevel.TOWN: 2,
    AreaLevel.VILLAGE: 3,
    AreaLevel.GRID: 4,
    AreaLevel.MICROGRID: 5,
}
DEPTH_LEVEL = {v: k for k, v in LEVEL_DEPTH.items()}
LEVEL_ORDER = list(LEVEL_DEPTH)

# Code lengths: 12-digit 统计用区划代码 down to village; a grid adds 3 digits, a micro-grid 2.
CODE_LENGTH = {
    AreaLevel.COUNTY: 12,
    AreaLevel.TOWN: 12,
    AreaLevel.VILLAGE: 12,
    AreaLevel.GRID: 15,
    AreaLevel.MICROGRID: 17,
}
# How many leading digits of the parent's code a child's code must repeat.
PARENT_PREFIX = {
    AreaLevel.TOWN: 6,
    AreaLevel.VILLAGE: 9,
    AreaLevel.GRID: 12,
    AreaLevel.MICROGRID: 15,
}


class AreaKind(models.TextChoices):
    ORDINARY = "ordinary", _("ordinary")
    ENTERPRISE = "enterprise", _("dedicated: enterprise")
    SCHOOL = "school", _("dedicated: school")
    MARKET = "market", _("dedicated: market")
    OTHER_DEDICATED = "dedicated", _("dedicated: other")


class AreaChangeKind(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    MOVE = "move", _("moved")
    MERGE = "merge", _("merged")
    DEACTIVATE = "deactivate", _("deactivated")

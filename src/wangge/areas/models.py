from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from .choices import AreaChangeKind, AreaKind, AreaLevel


class Area(MP_Node):
    """A node of the territory tree 区域: county 县/区/旗 → town 乡镇/街道 → village 村/社区/嘎查
    → grid 网格 → micro-grid 微网格. A materialized path (treebeard) so that a subtree is a
    path prefix; `parent` is kept alongside for the unique name per parent and cheap joins."""

    # 4 characters per level keeps 5 levels in 20 characters with room for 1.6M siblings.
    steplen = 4

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children_set",
    )
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=20, unique=True)
    level = models.CharField(_("level"), max_length=16, choices=AreaLevel.choices, db_index=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=AreaKind.choices, default=AreaKind.ORDINARY
    )
    boundary = models.JSONField(_("boundary (GeoJSON geometry)"), null=True, blank=True)
    centroid_lat = models.FloatField(_("latitude"), null=True, blank=True)
    centroid_lng = models.FloatField(_("longitude"), null=True, blank=True)
    ab_partner = models.ForeignKey(
        "self",
        verbose_name=_("AB partner grid"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Adjacent grid whose worker stands in (相邻网格互为AB角)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="area_unique_name_per_parent"),
        ]
        indexes = [models.Index(fields=["level", "path"], name="area_level_path_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def has_boundary(self) -> bool:
        return bool(self.boundary)

    def ancestor_paths(self) -> list[str]:
        return [self.path[:i] for i in range(self.steplen, len(self.path), self.steplen)]

    def ancestors(self):
        """The areas above this one, from the root down (one query on the path index)."""
        return Area.objects.filter(path__in=self.ancestor_paths()).order_by("depth")

    def subtree(self):
        """This area and everything below it, in tree order."""
        return Area.objects.filter(path__startswith=self.path).order_by("path")


class AreaChange(models.Model):
    """History of restructuring 区划调整: every create, move and merge with the old place, so
    that a grid moved in 大村制 still tells where it was."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=16, choices=AreaChangeKind.choices)
    old_parent = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    new_parent = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    old_path_names = models.CharField(max_length=500, blank=True)
    old_level = models.CharField(max_length=16, blank=True)
    new_level = models.CharField(max_length=16, blank=True)
    note = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("area change")
        verbose_name_plural = _("area changes")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.area} {self.kind}"

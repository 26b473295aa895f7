from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Gender, ListSource, Relation, TagTarget


class Tag(models.Model):
    """A label on a household or resident 标签 (困难户, 低保, 留守老人…); configurable."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=40, unique=True)
    target = models.CharField(
        _("applies to"), max_length=16, choices=TagTarget.choices, default=TagTarget.BOTH
    )
    is_key = models.BooleanField(_("key (重点) tag"), default=False)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    """A household 户: the unit a grid worker knows, visits and serves."""

    number = models.CharField(_("household number"), max_length=32, unique=True)
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("grid / micro-grid"),
        on_delete=models.PROTECT,
        related_name="households",
    )
    grid = models.ForeignKey(
        "areas.Area",
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="grid_households",
    )
    # Copy of area.path for one-table subtree scans; rewritten when the tree is restructured.
    area_path = models.CharField(max_length=64, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    head = models.ForeignKey(
        "Resident",
        verbose_name=_("head of household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    tags = models.ManyToManyField(
        Tag, verbose_name=_("tags"), blank=True, related_name="households"
    )
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=4000)
    member_count = models.PositiveIntegerField(_("members"), default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["number"]
        indexes = [models.Index(fields=["area_path", "number"], name="household_path_number_idx")]

    def __str__(self) -> str:
        return self.number


class Resident(models.Model):
    """A resident 居民, member of a household. The ID number is stored encrypted with a blind
    index for lookups and a masked copy for display; every reveal is audited."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="members"
    )
    area_path = models.CharField(max_length=64, db_index=True, editable=False)
    name = models.CharField(_("name"), max_length=50, db_index=True)
    id_number_cipher = models.TextField(editable=False)
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, editable=False)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    birth_date = models.DateField(_("birth date"), editable=False)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, editable=False)
    ethnicity = models.CharField(_("ethnicity"), max_length=10, default="汉族")
    relation = models.CharField(
        _("relation to head"), max_length=16, choices=Relation.choices, default=Relation.OTHER
    )
    is_away = models.BooleanField(_("working away (外出)"), default=False)
    is_party_member = models.BooleanField(_("party member"), default=False)
    is_deceased = models.BooleanField(_("deceased"), default=False)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="residents")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["household_id", "id"]
        indexes = [models.Index(fields=["area_path", "name"], name="resident_path_name_idx")]

    def __str__(self) -> str:
        return self.name


class ServicePlan(models.Model):
    """One household, one plan 一户一策: the household's situation, needs and the measures
    agreed, kept by its grid worker."""

    household = models.OneToOneField(
        Household, on_delete=models.CASCADE, related_name="service_plan"
    )
    situation = models.TextField(_("situation"), blank=True, max_length=4000)
    needs = models.TextField(_("needs"), blank=True, max_length=4000)
    measures = models.TextField(_("measures"), blank=True, max_length=4000)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("one-household-one-plan")
        verbose_name_plural = _("one-household-one-plans")

    def __str__(self) -> str:
        return str(self.household)


class ListImport(models.Model):
    """An import of a department list 部门名单 (民政, 医保, 残联…) matched to residents by ID
    number, with the tag it applied and the per-row report."""

    source = models.CharField(_("source"), max_length=32, choices=ListSource.choices)
    tag = models.ForeignKey(Tag, verbose_name=_("tag"), on_delete=models.PROTECT)
    file_name = models.CharField(_("file"), max_length=200)
    total_rows = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    unmatched = models.PositiveIntegerField(_("unmatched"), default=0)
    ambiguous = models.PositiveIntegerField(_("ambiguous"), default=0)
    invalid = models.PositiveIntegerField(_("invalid"), default=0)
    report = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("department list import")
        verbose_name_plural = _("department list imports")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.file_name}"

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """An audit row 操作日志: who did what to which object, written by every service in the
    same transaction as the change it records. Append-only."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verb = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verb} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValueError("audit entries are append-only")
        super().save(*args, **kwargs)


class Generation(models.Model):
    """The generation of some reference data that processes keep in memory (the grid index,
    the case categories): a random token replaced, in the same transaction, by every change
    of that data. Each process compares it with the token its copy was built at (see
    core.generations); a table, so that every web and task process of an installation,
    on one machine or several, sees a change exactly when it commits."""

    name = models.CharField(max_length=64, primary_key=True)
    token = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("data generation")
        verbose_name_plural = _("data generations")

    def __str__(self) -> str:
        return f"{self.name} {self.token}"

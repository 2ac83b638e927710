"""A big export, written by the worker (issue 14 §3): who asked, for which list, with which
filters, in which language and zone; how far it got; the finished file."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportState(models.TextChoices):
    QUEUED = "queued", _("waiting")
    RUNNING = "running", _("being written")
    DONE = "done", _("ready")
    FAILED = "failed", _("failed")


class ExportFormatChoice(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (.xlsx)"


class ExportJob(models.Model):
    """One export written in the background. The file (under ``MEDIA_ROOT/exports/``) is
    named only once it is whole: a job is ``done`` with a file, or not done; a worker killed
    half way leaves a ``running`` job whose heartbeat stops, which may be started again."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=_("owner"),
    )
    list_name = models.CharField(_("list"), max_length=40)
    query = models.TextField(_("filters"), blank=True)  # the page's query string
    format = models.CharField(_("format"), max_length=4, choices=ExportFormatChoice.choices)
    language = models.CharField(_("language"), max_length=10)
    time_zone = models.CharField(_("time zone"), max_length=64)
    state = models.CharField(
        _("state"), max_length=10, choices=ExportState.choices, default=ExportState.QUEUED
    )
    attempt = models.PositiveIntegerField(_("attempt"), default=0)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.CharField(_("file"), max_length=200, blank=True)  # relative to MEDIA_ROOT
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="exports_owner_created")]

    def __str__(self) -> str:
        return f"{self.list_name}.{self.format} #{self.pk}"

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)

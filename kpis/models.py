"""The monthly roll-ups of the key figures (issue 14 §2): what the KPI page and API read
instead of a year of requests when a window covers whole months (``kpis.rollups``)."""

from __future__ import annotations

from django.db import models


class RollupMonth(models.Model):
    """A calendar month (in the vendor's ``TIME_ZONE``) whose figures are rolled up, and
    when: the roll-ups are as of ``refreshed_at``."""

    month = models.DateField(unique=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        ordering = ["month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} @ {self.refreshed_at:%Y-%m-%d %H:%M}"


class MonthlyFigures(models.Model):
    """One month's figures of one group (``dimension`` as the API's ``group_by``; ``value``
    the group's raw key: an id, a severity, "" for the whole month or for nobody
    assigned). ``on_time``: {promise: [met, breached, not applicable]}; the minutes to
    arrive and to resolve as {minute: how many requests}, so percentiles over any months
    come out exactly as from the records."""

    month = models.ForeignKey(RollupMonth, on_delete=models.CASCADE, related_name="figures")
    dimension = models.CharField(max_length=20)
    value = models.CharField(max_length=40, blank=True)
    on_time = models.JSONField(default=dict)
    requests = models.PositiveIntegerField(default=0)
    arrive_minutes = models.JSONField(default=dict)
    resolve_minutes = models.JSONField(default=dict)
    fix_candidates = models.PositiveIntegerField(default=0)
    first_time_fixes = models.PositiveIntegerField(default=0)
    # The month's requests by fault cause and by symptom word ({key: how many}; on the
    # whole month's row), and a model's failures for MTBF (on the model's rows).
    causes = models.JSONField(default=dict)
    symptoms = models.JSONField(default=dict)
    failures = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "dimension", "value"], name="kpi_monthly_figures_unique"
            ),
        ]
        indexes = [models.Index(fields=["dimension", "month"], name="kpi_figures_dimension_idx")]

    def __str__(self) -> str:
        return f"{self.month.month:%Y-%m} {self.dimension}={self.value}"

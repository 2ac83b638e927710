"""Writing monthly reports: the worker's on the 1st, the manager's regenerated versions."""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.timeutil import local_today
from customers.models import Hospital

from . import events
from .figures import month_figures, previous_month

__all__ = ["month_figures"]
from .models import MonthlyReport
from .pdf import report_pdf_bytes

logger = logging.getLogger(__name__)


def _check_month(hospital: Hospital, month: date) -> date:
    first = month.replace(day=1)
    if first >= local_today(hospital.time_zone).replace(day=1):
        raise ValidationError({"month": [_("Only a month that has ended can be reported.")]})
    return first


def _write(
    *, hospital: Hospital, month: date, version: int, by: User | None, reason: str, now: datetime
) -> MonthlyReport:
    figures = month_figures(hospital, month, now=now)
    pdf = report_pdf_bytes(figures, generated_at=now, version=version)
    report = MonthlyReport(
        hospital=hospital,
        month=month,
        version=version,
        generated_at=now,
        generated_by=by,
        reason=reason,
        figures=figures,
        content_hash=hashlib.sha256(pdf).hexdigest(),
    )
    with transaction.atomic():
        report.pdf.save(report.file_name, ContentFile(pdf), save=False)
        report.save()
        events.publish_ready(report)
    return report


def monthly_report_generate(
    *, hospital: Hospital, month: date, now: datetime | None = None
) -> MonthlyReport:
    """The worker's report of ``month`` (any day of it) for ``hospital``: written once;
    asked again (a second worker, a retried job), the one written is answered."""
    month = _check_month(hospital, month)
    existing = MonthlyReport.objects.filter(hospital=hospital, month=month).order_by("version")
    if (found := existing.first()) is not None:
        return found
    try:
        return _write(
            hospital=hospital, month=month, version=1, by=None, reason="", now=now or timezone.now()
        )
    except IntegrityError:  # another worker wrote it meanwhile
        return existing.get(version=1)


def monthly_report_regenerate(
    *, report: MonthlyReport, by: User, reason: str = "", now: datetime | None = None
) -> MonthlyReport:
    """A new version of ``report``'s month from today's records (a late step recorded, a
    correction): the earlier versions are kept; the hospital is told again."""
    reason = reason.strip()
    if len(reason) > 300:
        raise ValidationError({"reason": [_("At most 300 characters.")]})
    last = MonthlyReport.objects.filter(hospital_id=report.hospital_id, month=report.month)
    version = (last.aggregate(top=Max("version"))["top"] or 0) + 1
    try:
        return _write(
            hospital=report.hospital,
            month=report.month,
            version=version,
            by=by,
            reason=reason,
            now=now or timezone.now(),
        )
    except IntegrityError as exc:
        raise ValidationError(
            _("Someone regenerated this report at the same moment: reload the page.")
        ) from exc


def hospitals_due(now: datetime) -> list[tuple[Hospital, date]]:
    """Each hospital with a contract whose past month (in its own zone) has no report yet."""
    due = []
    hospitals = Hospital.objects.filter(contracts__isnull=False).distinct().order_by("pk")
    for hospital in hospitals:
        today = timezone.localtime(now, ZoneInfo(hospital.time_zone)).date()
        month = previous_month(today)
        due.append((hospital, month))
    done = set(
        MonthlyReport.objects.filter(
            hospital_id__in=[h.pk for h, _m in due], month__in={m for _h, m in due}
        ).values_list("hospital_id", "month")
    )
    return [(h, m) for h, m in due if (h.pk, m) not in done]


def monthly_reports_generate_due(*, now: datetime | None = None) -> int:
    """Write every report that is due (the periodic job). A worker that was down on the
    1st catches up at its next run; a hospital that fails does not stop the others."""
    now = now or timezone.now()
    written = 0
    for hospital, month in hospitals_due(now):
        try:
            monthly_report_generate(hospital=hospital, month=month, now=now)
        except Exception:  # logged; the next run tries this one again
            logger.exception("monthly report of %s for %s failed", hospital.pk, month)
            continue
        written += 1
    return written

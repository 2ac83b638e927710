"""A report's link for people without an account (the hospital's contacts told by
e-mail): the report's id signed with the site's key, valid for ``SHARED_LINK_DAYS``. The
link opens that one PDF and nothing else."""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

from .models import MonthlyReport

SALT = "reports.monthly_report.shared"
SHARED_LINK_DAYS = 90


def shared_token(report: MonthlyReport) -> str:
    return signing.dumps({"report": report.pk}, salt=SALT, compress=False)


def shared_url(report: MonthlyReport) -> str:
    return reverse("reports:report_shared", args=[shared_token(report)])


def report_id_of(token: str) -> int | None:
    """The report a token names, or None when it is forged, damaged or too old."""
    try:
        data = signing.loads(token, salt=SALT, max_age=SHARED_LINK_DAYS * 86400)
    except signing.BadSignature:
        return None
    report_id = data.get("report") if isinstance(data, dict) else None
    return report_id if isinstance(report_id, int) else None

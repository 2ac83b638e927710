"""Big exports in the worker (issue 14 §3): create a job, run it, start it again, expire it.

A job is claimed by a conditional UPDATE (queued → running, attempt + 1), so two workers
never write the same job; the rows are written to ``<name>.part`` and renamed into place
only when whole, and the final UPDATE names the file only if the job is still this attempt's.
Progress (rows written, a heartbeat) is committed as it goes, outside any transaction, so
the page sees it; a worker killed half way leaves a ``running`` job whose heartbeat stops:
``is_stale`` says so and ``export_job_retry`` queues it again. Nothing half written is
ever served: the download needs ``done`` and a file."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from core.exports import CONTENT_TYPES, FORMATS, csv_chunks, xlsx_write
from notify.services import notify_users

from .models import ExportJob, ExportState
from .sources import list_named

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=5)  # no progress for this long: the worker is gone
PROGRESS_EVERY = 1000  # rows between two progress writes
EXPORT_DIR = "exports"


def exports_root() -> Path:
    return Path(settings.MEDIA_ROOT) / EXPORT_DIR


def inline_limit() -> int:
    """Up to this many rows an export is written while the browser waits; above, by the
    worker (setting ``EXPORT_INLINE_MAX_ROWS``)."""
    return int(getattr(settings, "EXPORT_INLINE_MAX_ROWS", 5000))


def keep_days() -> int:
    return int(getattr(settings, "EXPORT_KEEP_DAYS", 7))


def is_stale(job: ExportJob, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return job.state == ExportState.RUNNING and (
        job.heartbeat_at is None or job.heartbeat_at < now - STALE_AFTER
    )


def may_retry(job: ExportJob) -> bool:
    return job.state == ExportState.FAILED or is_stale(job)


def _enqueue(job: ExportJob) -> None:
    from .tasks import export_job_run_task

    job_id = job.pk
    transaction.on_commit(lambda: export_job_run_task(job_id))


@transaction.atomic
def export_job_create(
    *, owner: User, list_name: str, query: str, fmt: str, language: str, time_zone: str, total: int
) -> ExportJob:
    if fmt not in FORMATS:
        raise ValidationError({"format": _("Choose CSV or Excel.")})
    if list_named(list_name) is None:
        raise ValidationError({"list": _("This list cannot be exported.")})
    job = ExportJob.objects.create(
        owner=owner,
        list_name=list_name,
        query=query,
        format=fmt,
        language=language,
        time_zone=time_zone,
        rows_total=total,
    )
    _enqueue(job)
    return job


@transaction.atomic
def export_job_retry(*, job: ExportJob) -> ExportJob:
    """Queue a failed job, or one whose worker stopped, again (a new attempt)."""
    if not may_retry(job):
        raise ValidationError(_("This export is not stuck or failed."))
    ExportJob.objects.filter(pk=job.pk).update(
        state=ExportState.QUEUED, rows_done=0, error="", heartbeat_at=None
    )
    job.refresh_from_db()
    _enqueue(job)
    return job


def _worker_request(job: ExportJob) -> HttpRequest:
    """What the list's FilterSet and scope read of a request: its user and query."""
    request = HttpRequest()
    request.method = "GET"
    request.user = job.owner
    request.GET = QueryDict(job.query)
    return request


def _claim(job_id: int) -> ExportJob | None:
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, state=ExportState.QUEUED).update(
        state=ExportState.RUNNING, attempt=F("attempt") + 1, heartbeat_at=now, rows_done=0
    )
    if not claimed:
        return None
    return ExportJob.objects.select_related("owner").get(pk=job_id)


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Write the job's file; ``None`` if another worker has it or it is not queued."""
    job = _claim(job_id)
    if job is None:
        return None
    mine = ExportJob.objects.filter(pk=job.pk, attempt=job.attempt, state=ExportState.RUNNING)
    root = exports_root()
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"{job.pk}-{secrets.token_urlsafe(16)}.{job.format}"
    part = final.with_name(final.name + ".part")

    def progress(done: int) -> None:
        mine.update(rows_done=done, heartbeat_at=timezone.now())

    try:
        with translation.override(job.language), timezone.override(ZoneInfo(job.time_zone)):
            spec = list_named(job.list_name)
            if spec is None or not job.owner.is_active:
                raise PermissionDenied
            request = _worker_request(job)
            table = spec.table(spec.filtered(request, request.GET))
            zone = ZoneInfo(job.time_zone)
            if job.format == "csv":
                with part.open("wb") as out:
                    for chunk in csv_chunks(table, zone=zone, progress=progress):
                        out.write(chunk)
            else:
                xlsx_write(table, str(part), zone=zone, progress=progress)
        part.rename(final)
    except PermissionDenied:
        part.unlink(missing_ok=True)
        with translation.override(job.language):
            mine.update(state=ExportState.FAILED, error=_("You may no longer export this list."))
        return job
    except Exception:
        logger.exception("export job %s failed", job.pk)
        part.unlink(missing_ok=True)
        with translation.override(job.language):
            mine.update(
                state=ExportState.FAILED,
                error=_("The export could not be written. Try again, or ask the administrator."),
            )
        return job
    with transaction.atomic():
        finished = mine.update(
            state=ExportState.DONE,
            file=str(final.relative_to(settings.MEDIA_ROOT)),
            finished_at=timezone.now(),
        )
        if not finished:  # this attempt was superseded: its file is nobody's
            final.unlink(missing_ok=True)
            return None
        job.refresh_from_db()
        _tell_ready(job)
    return job


def _tell_ready(job: ExportJob) -> None:
    with translation.override(job.language):
        notify_users(
            users=[job.owner],
            kind="exports.ready",
            subject=_("Your export is ready"),
            body=_("%(rows)s rows, %(file)s.")
            % {"rows": job.rows_done, "file": download_name(job)},
            url=reverse("exports:job_detail", kwargs={"pk": job.pk}),
            dedupe_key_prefix=f"exports.ready:{job.pk}:{job.attempt}",
        )


def download_name(job: ExportJob) -> str:
    """``devices-2026-12-08.xlsx``: the list and the day it was asked for."""
    day = timezone.localdate(job.created_at, ZoneInfo(job.time_zone))
    return f"{job.list_name}-{day.isoformat()}.{job.format}"


def job_file_path(job: ExportJob) -> Path | None:
    """The finished file of a done job, if it is still there."""
    if job.state != ExportState.DONE or not job.file:
        return None
    path = Path(settings.MEDIA_ROOT) / job.file
    return path if path.is_file() else None


def content_type(job: ExportJob) -> str:
    return CONTENT_TYPES[job.format]


def export_jobs_expire(*, now: datetime | None = None) -> int:
    """Delete the jobs older than ``EXPORT_KEEP_DAYS`` and their files (also any ``.part``
    left by a killed worker); returns how many jobs."""
    now = now or timezone.now()
    old = list(ExportJob.objects.filter(created_at__lt=now - timedelta(days=keep_days())))
    root = exports_root()
    for job in old:
        for path in root.glob(f"{job.pk}-*"):
            path.unlink(missing_ok=True)
    ExportJob.objects.filter(pk__in=[job.pk for job in old]).delete()
    return len(old)

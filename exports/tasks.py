"""The worker's side of exports: write a queued job; once a day, expire old ones."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .services import export_job_run, export_jobs_expire


@db_task()
def export_job_run_task(job_id: int) -> None:
    export_job_run(job_id=job_id)


@db_periodic_task(crontab(hour="3", minute="40"))
def export_jobs_expire_task() -> None:
    export_jobs_expire()

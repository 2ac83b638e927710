"""The monthly reports are written on the 1st: the job runs every hour and writes what is
due, so a worker that was down on the 1st catches up, and a second worker writes nothing
twice (one report per hospital and month; ``monthly_report_generate``)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import monthly_reports_generate_due


@db_periodic_task(crontab(minute="35"))
def monthly_reports_write() -> None:
    monthly_reports_generate_due()

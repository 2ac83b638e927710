"""Periodic jobs of the return visits: plan them ahead every night, report the overdue ones
every hour. Both are safe in several workers at once (one visit per department and month;
claimed alerts)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import return_visit_sweep_overdue, return_visits_generate


@db_periodic_task(crontab(hour="2", minute="20"))
def return_visits_plan() -> None:
    return_visits_generate()


@db_periodic_task(crontab(minute="25"))
def return_visits_overdue_sweep() -> None:
    return_visit_sweep_overdue()

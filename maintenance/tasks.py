"""Periodic jobs of planned maintenance: generate visits ahead every night, report
overdue visits every hour. Both are safe to run in several workers at once (unique visit
keys; claimed alerts)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .generation import visits_generate
from .services import visits_sweep_overdue


@db_periodic_task(crontab(hour="2", minute="0"))
def maintenance_visits_generate() -> None:
    visits_generate()


@db_periodic_task(crontab(minute="5"))
def maintenance_overdue_sweep() -> None:
    visits_sweep_overdue()

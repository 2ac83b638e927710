"""The worker keeps the key figures' monthly roll-ups (``kpis.rollups``): this month and
the last every 10 minutes (promises falling due, steps recorded), the last two years
nightly (a late reopening, a fault cause found later)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .rollups import refresh_recent


@db_periodic_task(crontab(minute="*/10"))
def kpi_rollups_recent() -> None:
    refresh_recent(months=2)


@db_periodic_task(crontab(hour="3", minute="20"))
def kpi_rollups_nightly() -> None:
    refresh_recent(months=24)

"""Periodic jobs of the duty roster: keep 60 days generated, and tell the managers of new
roster gaps once (the gap's key is stored with the alert)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import duty_gaps_alert, rotations_generate_ahead


@db_periodic_task(crontab(hour="1", minute="40"))
def duty_generate_ahead() -> None:
    rotations_generate_ahead()


@db_periodic_task(crontab(hour="1", minute="50"))
def duty_gaps_check() -> None:
    duty_gaps_alert()

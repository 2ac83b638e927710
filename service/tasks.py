"""Periodic jobs of the service desk: the escalation sweep, every minute.

Each consumer's scheduler enqueues it, so with several workers several sweeps may run at
once: the sweep's claims make that harmless (``service.escalation``)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .escalation import sweep


@db_periodic_task(crontab(minute="*"))
def sla_sweep() -> None:
    sweep()

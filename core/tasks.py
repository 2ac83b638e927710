"""Periodic jobs of the core: the worker heartbeat that /healthz reports."""

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from .services import worker_heartbeat_record


@db_periodic_task(crontab(minute="*"))
def worker_heartbeat() -> None:
    worker_heartbeat_record(name="huey")


@HUEY.on_startup()
def _heartbeat_on_startup() -> None:
    # A freshly started worker reports at once instead of after its first minute.
    from django.db import close_old_connections

    close_old_connections()
    worker_heartbeat_record(name="huey")

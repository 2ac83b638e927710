"""Periodic jobs of the core: the worker heartbeat that /healthz reports, and forgetting the
answers kept for idempotent writes once nobody will send them again."""

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from .idempotency import forget_old
from .services import worker_heartbeat_record


@db_periodic_task(crontab(minute="*"))
def worker_heartbeat() -> None:
    worker_heartbeat_record(name="huey")


@db_periodic_task(crontab(minute="17"))
def idempotent_requests_forget() -> None:
    forget_old()


@HUEY.on_startup()
def _heartbeat_on_startup() -> None:
    # A freshly started worker reports at once instead of after its first minute.
    from django.db import close_old_connections

    close_old_connections()
    worker_heartbeat_record(name="huey")

"""Jobs of the core: the worker heartbeat that /healthz reports, forgetting the answers kept
for idempotent writes once nobody will send them again, and delivering the outbox."""

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from .idempotency import forget_old
from .outbox import deliver_due, forget_delivered
from .services import worker_heartbeat_record


@db_periodic_task(crontab(minute="*"))
def worker_heartbeat() -> None:
    worker_heartbeat_record(name="huey")


@db_periodic_task(crontab(minute="17"))
def idempotent_requests_forget() -> None:
    forget_old()


@db_task()
def outbox_deliver() -> None:
    """Enqueued after a commit that published events: deliver them now rather than at the
    next minute. Any consumer may run it; concurrent runs take different rows."""
    deliver_due()


@db_periodic_task(crontab(minute="*"))
def outbox_sweep() -> None:
    """The durable path: whatever a lost nudge or a killed worker left pending, and the
    retries whose time has come (``core.outbox``)."""
    deliver_due()


@db_periodic_task(crontab(hour="3", minute="41"))
def outbox_forget() -> None:
    forget_delivered()


@HUEY.on_startup()
def _heartbeat_on_startup() -> None:
    # A freshly started worker reports at once instead of after its first minute.
    from django.db import close_old_connections

    close_old_connections()
    worker_heartbeat_record(name="huey")

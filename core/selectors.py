"""Reads of the shared core: what /healthz reports.

Two checks, each cheap: the database takes a write (a row inserted and rolled back, so a
read-only, full or locked-up database fails here before it fails a user's save), and the
background worker beat within ``WORKER_HEARTBEAT_STALE_AFTER_SECONDS``. A missing heartbeat
fails too, with no grace after a start: every consumer writes one as it starts
(``core.tasks``), so "none yet" means no worker has come up.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

HEARTBEAT_NAME = "huey"


def database_check() -> dict[str, Any]:
    try:
        with transaction.atomic():
            # A name of its own: concurrent probes never wait on each other's row.
            probe = f"healthz-probe-{uuid.uuid4().hex}"
            WorkerHeartbeat.objects.create(name=probe, beat_at=timezone.now())
            transaction.set_rollback(True)
    except Exception as exc:  # any driver error means "failing" here
        logger.exception("healthz: the database check failed")
        # The class only: /healthz answers anyone, the details go to the log.
        return {"ok": False, "vendor": connection.vendor, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def worker_check() -> dict[str, Any]:
    stale_after = settings.WORKER_HEARTBEAT_STALE_AFTER_SECONDS
    heartbeat = WorkerHeartbeat.objects.filter(name=HEARTBEAT_NAME).first()
    if heartbeat is None:
        return {"ok": False, "last_heartbeat": None, "age_seconds": None}
    age = (timezone.now() - heartbeat.beat_at).total_seconds()
    return {
        "ok": age <= stale_after,
        "last_heartbeat": heartbeat.beat_at.isoformat(),
        "age_seconds": round(age, 1),
    }


def health_report() -> tuple[bool, dict[str, Any]]:
    """(all checks pass, report): the report names each check and lists the failing ones."""
    database = database_check()
    if database["ok"]:
        worker = worker_check()
    else:
        worker = {"ok": None, "error": "not checked: the database failed"}
    checks = {"database": database, "worker": worker}
    failing = [name for name, check in checks.items() if check["ok"] is False]
    report = {
        "status": "failing" if failing else "ok",
        "failing": failing,
        **checks,
        "stale_after_seconds": settings.WORKER_HEARTBEAT_STALE_AFTER_SECONDS,
    }
    return not failing, report

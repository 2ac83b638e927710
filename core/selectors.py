"""Reads of the shared core: what /healthz reports."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import WorkerHeartbeat


def health_report() -> tuple[bool, dict[str, Any]]:
    """(database reachable, report). The worker's heartbeat is reported, not required:
    a stale worker is a warning for the operator, the web app still serves."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down" here
        return False, {"status": "error", "database": {"ok": False, "error": str(exc)}}

    heartbeat = WorkerHeartbeat.objects.filter(name="huey").first()
    worker: dict[str, Any] = {"last_heartbeat": None, "age_seconds": None, "ok": False}
    if heartbeat is not None:
        age = (timezone.now() - heartbeat.beat_at).total_seconds()
        worker = {
            "last_heartbeat": heartbeat.beat_at.isoformat(),
            "age_seconds": round(age, 1),
            "ok": age <= settings.WORKER_HEARTBEAT_STALE_AFTER_SECONDS,
        }
    return True, {
        "status": "ok",
        "database": {"ok": True, "vendor": connection.vendor},
        "worker": worker,
    }

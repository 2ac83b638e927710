"""Writes of the shared core."""

from django.utils import timezone

from .models import WorkerHeartbeat


def worker_heartbeat_record(*, name: str = "huey") -> WorkerHeartbeat:
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        name=name, defaults={"beat_at": timezone.now()}
    )
    return heartbeat

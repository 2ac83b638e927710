"""GET /healthz: the database and the worker's last heartbeat (issue 2 §1)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

import core.selectors
from core.models import WorkerHeartbeat
from core.services import worker_heartbeat_record
from core.tasks import worker_heartbeat

pytestmark = pytest.mark.django_db


def test_healthz_ok_without_a_heartbeat_yet(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] in ("sqlite", "postgresql")
    assert body["worker"] == {"last_heartbeat": None, "age_seconds": None, "ok": False}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_reports_the_worker_heartbeat_task(client):
    """The huey periodic task (immediate in tests) records the beat /healthz reports."""
    now = dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(now, tick=False):
        worker_heartbeat()
        body = client.get("/healthz").json()
    assert WorkerHeartbeat.objects.get(name="huey").beat_at == now
    assert dt.datetime.fromisoformat(body["worker"]["last_heartbeat"]) == now
    assert body["worker"]["ok"] is True
    assert body["worker"]["age_seconds"] == 0


def test_stale_heartbeat_is_reported_but_still_200(client, settings):
    with time_machine.travel(dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        worker_heartbeat_record(name="huey")
    later = dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC) + dt.timedelta(
        seconds=settings.WORKER_HEARTBEAT_STALE_AFTER_SECONDS + 1
    )
    with time_machine.travel(later, tick=False):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["worker"]["ok"] is False


def test_heartbeat_is_one_row_per_worker():
    worker_heartbeat_record(name="huey")
    worker_heartbeat_record(name="huey")
    assert WorkerHeartbeat.objects.count() == 1
    assert WorkerHeartbeat.objects.get().beat_at <= timezone.now()


def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    class BrokenConnection:
        vendor = "broken"

        def cursor(self):
            raise RuntimeError("database is gone")

    monkeypatch.setattr(core.selectors, "connection", BrokenConnection())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == {"ok": False, "error": "database is gone"}


def test_healthz_needs_no_login_and_only_get(client):
    assert client.get("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405

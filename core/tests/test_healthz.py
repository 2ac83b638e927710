"""GET /healthz (issue 2 §1, issue 10 §3): 200 when the database takes a write and the worker
beat lately; 503 naming what failed when the database is unreachable or read-only, or the
worker's heartbeat is stale or missing."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from core.models import WorkerHeartbeat
from core.services import worker_heartbeat_record
from core.tasks import worker_heartbeat

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC)


def test_healthy_when_the_database_takes_a_write_and_the_worker_beat(client):
    """The huey periodic task (immediate in tests) records the beat /healthz reports."""
    with time_machine.travel(NOW, tick=False):
        worker_heartbeat()
        response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert body["database"] == {"ok": True, "vendor": connection.vendor}
    assert WorkerHeartbeat.objects.get(name="huey").beat_at == NOW
    assert body["worker"] == {"ok": True, "last_heartbeat": NOW.isoformat(), "age_seconds": 0}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_no_heartbeat_yet_fails_naming_the_worker(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing" and body["failing"] == ["worker"]
    assert body["database"]["ok"] is True
    assert body["worker"] == {"ok": False, "last_heartbeat": None, "age_seconds": None}


def test_a_stale_heartbeat_fails_naming_the_worker(client, settings):
    with time_machine.travel(NOW, tick=False):
        worker_heartbeat_record(name="huey")
    stale_after = settings.WORKER_HEARTBEAT_STALE_AFTER_SECONDS
    with time_machine.travel(NOW + dt.timedelta(seconds=stale_after), tick=False):
        assert client.get("/healthz").status_code == 200  # on the limit: still fresh
    with time_machine.travel(NOW + dt.timedelta(seconds=stale_after + 1), tick=False):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["worker"]
    assert body["worker"]["ok"] is False
    assert body["worker"]["age_seconds"] == stale_after + 1
    assert body["stale_after_seconds"] == stale_after


def test_the_write_probe_leaves_nothing_behind(client):
    worker_heartbeat_record(name="huey")
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert list(WorkerHeartbeat.objects.values_list("name", flat=True)) == ["huey"]


def _read_only(on: bool) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA query_only = {'ON' if on else 'OFF'}")
        else:
            mode = "READ ONLY" if on else "READ WRITE"
            cursor.execute(f"SET SESSION CHARACTERISTICS AS TRANSACTION {mode}")


@pytest.mark.django_db(transaction=True)
def test_a_database_that_refuses_writes_fails_naming_the_database(client):
    """Reads still work, so `SELECT 1` would say "ok"; the probe's write does not."""
    worker_heartbeat_record(name="huey")
    _read_only(True)
    try:
        response = client.get("/healthz")
    finally:
        _read_only(False)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing" and body["failing"] == ["database"]
    assert body["database"]["ok"] is False
    assert body["database"]["error"] in {"OperationalError", "InternalError"}  # class only
    assert body["worker"]["ok"] is None  # not checked without a database
    assert client.get("/healthz").status_code == 200  # writable again


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_fails_naming_the_database(client):
    if connection.vendor != "postgresql":
        pytest.skip("a database server to be unreachable: PostgreSQL only")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    saved = (connection.settings_dict["HOST"], connection.settings_dict["PORT"])
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=closed_port)
    try:
        response = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict.update(HOST=saved[0], PORT=saved[1])
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]
    assert response.json()["database"]["error"] == "OperationalError"


def test_heartbeat_is_one_row_per_worker():
    worker_heartbeat_record(name="huey")
    worker_heartbeat_record(name="huey")
    assert WorkerHeartbeat.objects.count() == 1
    assert WorkerHeartbeat.objects.get().beat_at <= timezone.now()


def test_healthz_needs_no_login_and_only_get(client):
    worker_heartbeat_record(name="huey")
    assert client.get("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405

"""`make bench`, the key figures (issue 14 §2): the KPI page and API over a year of
1,000,000 closed service requests on 100,000 devices.

    python -m bench.kpis [--runs N] [--rebuild]   (python -m bench --only kpis)

Builds (once; `--rebuild` to start over) a database `medservice_bench_kpis`
(``BENCH_KPIS_DATABASE_URL``): 10 regions, 200 hospitals of 5 departments, 50 product
models, 100,000 devices live since 2024, 200 engineers, 8 spare parts with symptom words,
and 1,000,000 closed requests reported over the past year (one every 31 s; a tenth
emergencies), each with its promises (3.7 million milestone rows: 8 % arrived late, 4 %
fixed by phone, 2 % reopened, 6 % paused for an hour, the rest in time) and its steps
(arrivals, repairs, reopenings: 2.0 million events), one engineer each. Bulk SQL
(``INSERT … SELECT generate_series``), as ``bench/__main__.py`` does.

Then it reports p50/p95 of the page (default window: the last 12 months by month; and by
hospital) and of the two API endpoints, as the service manager, and the page as one
hospital's equipment administrator. Runs in a ``python -m bench.kpis --run`` subprocess
(its own Django set-up on its own database). Not a test: nothing asserts a time.
"""

from __future__ import annotations

import os
import time
from typing import Any

from bench import command_line, ensure_database, measure_in_subprocess, percentiles, setup_django

BENCH_URL = os.environ.get(
    "BENCH_KPIS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medservice_bench_kpis"
)
REQUESTS = int(os.environ.get("BENCH_KPIS_REQUESTS", "1000000"))
DEVICES = int(os.environ.get("BENCH_KPIS_DEVICES", "100000"))
REGIONS, HOSPITALS, DEPARTMENTS, MODELS, ENGINEERS = 10, 200, 5, 50, 200
SYMPTOMS = ["屏幕无显示", "黑屏", "无法开机", "报警不停", "打印机卡纸", "血氧读数异常",
            "电池不充电", "噪声大"]  # fmt: skip


def _built() -> bool:
    from service.models import ServiceRequest

    try:
        return ServiceRequest.objects.count() >= REQUESTS
    except Exception:
        return False


def build() -> float:
    from datetime import date

    from django.core.management import call_command
    from django.db import connection

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    from accounts.models import User
    from assets.models import Device, ProductModel
    from customers.models import Department, Hospital, HospitalMembership, ServiceRegion
    from parts.models import SparePart
    from service.models import SlaPolicy

    User.objects.create_user("bench-manager", password="x", vendor_role="manager")
    User.objects.bulk_create(
        User(username=f"bench-eng-{i}", vendor_role="engineer", first_name=f"E{i}")
        for i in range(ENGINEERS)
    )
    regions = ServiceRegion.objects.bulk_create(
        ServiceRegion(name=f"Region {i}", code=f"region-{i}") for i in range(REGIONS)
    )
    hospitals = Hospital.objects.bulk_create(
        Hospital(name=f"Bench hospital {i}", region=regions[i % REGIONS]) for i in range(HOSPITALS)
    )
    departments = Department.objects.bulk_create(
        Department(hospital=h, name=f"Dept {j}") for h in hospitals for j in range(DEPARTMENTS)
    )
    admin = User.objects.create_user("bench-h-admin", password="x")
    HospitalMembership.objects.create(user=admin, hospital=hospitals[0], role="equipment_admin")
    models = ProductModel.objects.bulk_create(
        ProductModel(manufacturer="Bench", name=f"Model {i}") for i in range(MODELS)
    )
    Device.objects.bulk_create(
        (
            Device(
                product_model=models[i % MODELS],
                serial_number=f"K{i:06d}",
                hospital_id=departments[i % len(departments)].hospital_id,
                department=departments[i % len(departments)],
                installed_on=date(2024, 1 + i % 12, 1),
                live_on=date(2024, 1 + i % 12, 2),
                status="in_service",
            )
            for i in range(DEVICES)
        ),
        batch_size=5000,
    )
    for i, word in enumerate(SYMPTOMS):
        SparePart.objects.create(part_number=f"BP-{i}", name_zh=word, symptom_keywords=word)
    params: dict[str, Any] = {
        "standard": SlaPolicy.objects.get(key="standard").pk,
        "emergency": SlaPolicy.objects.get(key="emergency").pk,
        "user": User.objects.get(username="bench-manager").pk,
        "requests": REQUESTS,
        "symptoms": SYMPTOMS,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_devices AS SELECT row_number() OVER (ORDER BY id) - 1 "
            "AS rn, id, hospital_id, department_id FROM assets_device"
        )
        cursor.execute("SELECT count(*) FROM bench_devices")
        params["devices"] = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO service_servicerequest
              (created_at, updated_at, number, severity, channel, status, is_open, reported_at,
               reporter_name, reporter_phone, description, fault_cause, next_due_at,
               contract_id, department_id, device_id, hospital_id, recorded_by_id, policy_id)
            SELECT now(), now(), 'SR-K-' || lpad(g::text, 7, '0'),
                   CASE WHEN g %% 10 = 0 THEN 'emergency' ELSE 'normal' END, 'hotline',
                   'closed', false, now() - interval '2 days' - g * interval '31 seconds',
                   'caller', '', (%(symptoms)s::text[])[1 + g %% 8],
                   (ARRAY['quality', 'non_quality', 'undetermined', 'quality'])[1 + (g / 7) %% 4],
                   NULL, NULL, d.department_id, d.id, d.hospital_id, %(user)s,
                   CASE WHEN g %% 10 = 0 THEN %(emergency)s ELSE %(standard)s END
            FROM generate_series(1, %(requests)s) g
            JOIN bench_devices d ON d.rn = (g::bigint * 7919) %% %(devices)s
            """,
            params,
        )
        # Each request's story, in seconds after its report (see the module's docstring).
        cursor.execute(
            """
            CREATE TEMP TABLE bench_story AS
            SELECT id, reported_at, severity, g, h,
                   h BETWEEN 8 AND 11 AS remote, h BETWEEN 12 AND 13 AS reopened,
                   CASE WHEN h BETWEEN 14 AND 19 THEN 3600 ELSE 0 END AS paused
            FROM (SELECT id, reported_at, severity,
                         id - min(id) OVER () + 1 AS g, (id - min(id) OVER () + 1) % 100 AS h
                  FROM service_servicerequest) r
            """
        )
        cursor.execute(
            """
            ALTER TABLE bench_story ADD arrive integer, ADD first_fix integer, ADD resolve integer;
            UPDATE bench_story SET
              arrive = CASE WHEN remote THEN NULL WHEN h < 8 THEN 18000
                            ELSE 3600 + (g % 7) * 1200 END;
            UPDATE bench_story SET
              first_fix = CASE WHEN remote THEN 1800 ELSE arrive + 2400 + (g % 5) * 600 END;
            UPDATE bench_story SET
              resolve = first_fix + paused + CASE WHEN reopened THEN 14400 ELSE 0 END;
            """
        )
        cursor.execute(
            """
            INSERT INTO service_milestone
              (request_id, key, name_zh, name_en, position, target_seconds, started_at,
               due_at, warn_at, met_at, paused_seconds, state, at_risk, paused,
               at_risk_notified_at, breach_notified_at)
            SELECT id, key, key, key, position, target, started_at,
                   started_at + (target + pause) * interval '1 second',
                   started_at + (target * 0.75 + pause) * interval '1 second',
                   met_at, pause,
                   CASE WHEN na THEN 'not_applicable'
                        WHEN met_at - started_at <= (target + pause) * interval '1 second'
                        THEN 'met' ELSE 'breached' END,
                   false, false, NULL, NULL
            FROM (
              SELECT s.id, m.key, m.position, m.target,
                     s.remote AND m.key IN ('on_site', 'solution') AS na,
                     CASE WHEN m.key IN ('resolved', 'restored') THEN s.paused ELSE 0 END AS pause,
                     CASE WHEN m.key = 'solution'
                          THEN s.reported_at + s.arrive * interval '1 second'
                          ELSE s.reported_at END AS started_at,
                     s.reported_at + CASE m.key
                       WHEN 'callback' THEN CASE WHEN s.h < 5 THEN 1200 ELSE 600 END
                       WHEN 'on_site' THEN s.arrive
                       WHEN 'solution' THEN CASE WHEN s.reopened THEN s.resolve ELSE s.first_fix END
                       ELSE s.resolve END * interval '1 second' AS met_at
              FROM bench_story s
              JOIN (VALUES ('normal', 'on_site', 0, 14400), ('normal', 'solution', 1, 3600),
                           ('normal', 'resolved', 2, 43200), ('normal', 'restored', 3, 86400),
                           ('emergency', 'callback', 0, 900), ('emergency', 'on_site', 1, 28800),
                           ('emergency', 'resolved', 2, 43200))
                   AS m(severity, key, position, target) ON m.severity = s.severity
            ) x
            """
        )
        cursor.execute(
            """
            INSERT INTO service_serviceevent
              (request_id, type, occurred_at, recorded_at, actor_id, data, idempotency_key,
               recorded_late, late_reason)
            SELECT id, type, reported_at + after * interval '1 second', now(), NULL, '{}',
                   NULL, false, ''
            FROM bench_story s, LATERAL (VALUES
                ('arrived', CASE WHEN NOT remote THEN arrive END),
                ('resolved', CASE WHEN NOT remote THEN first_fix END),
                ('remote_resolved', CASE WHEN remote THEN first_fix END),
                ('reopened', CASE WHEN reopened THEN first_fix + 3600 END),
                ('arrived', CASE WHEN reopened THEN first_fix + 7200 END),
                ('resolved', CASE WHEN reopened THEN resolve END)
            ) AS e(type, after)
            WHERE after IS NOT NULL
            """
        )
        cursor.execute(
            """
            INSERT INTO service_servicerequest_engineers (servicerequest_id, user_id)
            SELECT s.id, u.id FROM bench_story s
            JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn FROM accounts_user
                  WHERE vendor_role = 'engineer') u ON u.rn = s.g %% %(engineers)s
            """,
            {"engineers": ENGINEERS},
        )
        cursor.execute("ANALYZE")
    return time.perf_counter() - t0


def run(runs: int, rebuild: bool) -> dict[str, str]:
    ensure_database(BENCH_URL, rebuild=rebuild)
    setup_django(BENCH_URL)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    figures: dict[str, str] = {}
    if not _built():
        from django.db import connection

        connection.close()
        ensure_database(BENCH_URL, rebuild=True)
        setup_django(BENCH_URL)
        figures["built in"] = f"{build():.0f} s"
    from datetime import timedelta

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from medservice.gunicorn_conf import tune_garbage_collector

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM service_servicerequest")
        requests = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM service_milestone")
        milestones = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM assets_device")
        devices = cursor.fetchone()[0]
    figures["data"] = f"{requests:,} requests, {milestones:,} milestones, {devices:,} devices"
    # What the worker does: roll up the last 12 months (this month and the last every 10
    # minutes, all of them nightly).
    from kpis.models import RollupMonth
    from kpis.rollups import refresh_recent

    if RollupMonth.objects.count() < 12:
        t0 = time.perf_counter()
        refresh_recent(months=12)
        figures["worker: roll up 12 months"] = f"{time.perf_counter() - t0:.1f} s"
    t0 = time.perf_counter()
    refresh_recent(months=2)
    figures["worker: this month and the last (every 10 min)"] = f"{time.perf_counter() - t0:.1f} s"
    paths: dict[str, dict[str, tuple[str, dict[str, str]]]] = {
        "bench-manager": {
            "page, by month": ("/kpis/", {}),
            "page, by hospital": ("/kpis/", {"group_by": "hospital"}),
            "page's MTBF devices fragment": ("/kpis/mtbf-devices/", {}),
            "API on-time, by month": ("/api/v1/kpis/on-time", {}),
            "API on-time, by engineer": ("/api/v1/kpis/on-time", {"group_by": "engineer"}),
            "API repair-times, by month": ("/api/v1/kpis/repair-times", {}),
            "API repair-times, by model": ("/api/v1/kpis/repair-times", {"group_by": "model"}),
        },
        "bench-h-admin": {
            "page, by month": ("/kpis/", {}),
            "page's MTBF devices fragment": ("/kpis/mtbf-devices/", {}),
        },
    }
    for who, measured in paths.items():
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(User.objects.get(username=who))
        client.get("/kpis/")
        tune_garbage_collector()
        for name, (url, params) in measured.items():
            samples = []
            for n in range(runs + 1):
                t0 = time.perf_counter()
                response = client.get(url, params)
                elapsed = time.perf_counter() - t0
                assert response.status_code == 200, response.content[:300]
                if n:  # the first is the warm-up
                    samples.append(elapsed)
            figures[f"{who}: {name}"] = percentiles(samples)
    # The same question from the records (a window not of whole months), once.
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(User.objects.get(username="bench-manager"))
    today = timezone.localdate()
    params = {"from": (today.replace(day=1) - timedelta(days=300)).replace(day=2).isoformat()}
    t0 = time.perf_counter()
    assert client.get("/api/v1/kpis/on-time", params).status_code == 200
    figures["records, no roll-up: API on-time, by month"] = (
        f"{(time.perf_counter() - t0) * 1000:.0f} ms (once)"
    )
    return figures


def measure(*, runs: int = 20, rebuild: bool = False) -> dict[str, str]:
    return measure_in_subprocess("bench.kpis", runs=runs, rebuild=rebuild)


if __name__ == "__main__":
    command_line(__doc__ or "", run, measure, runs=20, width=48)

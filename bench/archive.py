"""`make bench`, the service archive (issue 14): the archive of a device with 2,000 timeline
entries, first page and a deep page, as a page, as the device page's fragment and through
the API; and the archive of that device's hospital (all its devices merged).

    python -m bench.archive [--runs N] [--rebuild]   (python -m bench --only archive)

Builds (once; `--rebuild` to start over) a database `medservice_bench_archive`
(``BENCH_ARCHIVE_DATABASE_URL``): 100 devices in three hospitals and, on one device, two
years of history: 700 service requests (four promises each, 500 with a signed repair
record), 400 planned visits done, 200 parts issued to its requests and 200 changes to the
device record: 2,000 entries. The other 99 devices get 50 requests each, so every query
has to find its device among 5,650 requests. Then it reports p50/p95 of the archive as the
vendor's manager and as the hospital's equipment administrator: the page (first page of
50), the htmx fragment with a kind filter, the API's first page and its page at offset 950.

Runs in a ``python -m bench.archive --run`` subprocess (its own Django set-up on its own
database), as ``bench/duty.py`` does. Not a test: nothing asserts a time.
"""

from __future__ import annotations

import os
import time

from bench import command_line, ensure_database, measure_in_subprocess, percentiles, setup_django

BENCH_URL = os.environ.get(
    "BENCH_ARCHIVE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medservice_bench_archive"
)
REQUESTS, RECORDS, VISITS, PARTS, CHANGES = 700, 500, 400, 200, 200
OTHER_DEVICES, OTHER_REQUESTS = 99, 50


def _built() -> bool:
    from assets.models import Device

    try:
        return Device.objects.filter(serial_number="ARCHIVE-0").exists()
    except Exception:
        return False


def build() -> float:
    from datetime import date, timedelta

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    from accounts.models import User
    from assets.models import Device, ProductModel
    from customers.models import Department, Hospital, HospitalMembership
    from maintenance.models import Visit
    from parts.models import SparePart, StockLocation, StockMovement
    from service.models import RepairRecord, ServiceRequest, SlaPolicy

    now = timezone.now()
    manager = User.objects.create_user("bench-manager", password="x", vendor_role="manager")
    engineer = User.objects.create_user("bench-engineer", password="x", vendor_role="engineer")
    hospitals = [Hospital.objects.create(name=f"Archive hospital {i}") for i in range(3)]
    departments = [Department.objects.create(hospital=h, name="ICU") for h in hospitals]
    admin = User.objects.create_user("bench-h-admin", password="x")
    HospitalMembership.objects.create(user=admin, hospital=hospitals[0], role="equipment_admin")
    model = ProductModel.objects.create(manufacturer="Bench", name="Ventilator")
    devices = Device.objects.bulk_create(
        Device(product_model=model, serial_number=f"ARCHIVE-{i}",
               hospital=departments[i % 3].hospital, department=departments[i % 3],
               installed_on=date(2024, 11, 1), accepted_on=date(2024, 11, 2))
        for i in range(OTHER_DEVICES + 1)
    )  # fmt: skip
    device = devices[0]
    policy = SlaPolicy.objects.get(key="standard")
    requests = []
    for i, target in enumerate([device] * REQUESTS + devices[1:] * OTHER_REQUESTS):
        reported = now - timedelta(hours=24 * 700) + timedelta(hours=i % REQUESTS * 24)
        requests.append(
            ServiceRequest(number=f"SR-A-{i:06d}", device=target, hospital_id=target.hospital_id,
                           department_id=target.department_id, policy=policy, severity="normal",
                           channel="hotline", status="closed", is_open=False,
                           reported_at=reported, recorded_by=manager, description="监护仪报警")
        )  # fmt: skip
    ServiceRequest.objects.bulk_create(requests, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO service_milestone
              (request_id, key, name_zh, name_en, position, target_seconds, started_at,
               due_at, warn_at, met_at, paused_seconds, state, at_risk, paused)
            SELECT r.id, m.key, m.key, m.key, m.position, m.target, r.reported_at,
                   r.reported_at + m.target * interval '1 second',
                   r.reported_at + m.target * 0.75 * interval '1 second',
                   r.reported_at + m.target * 0.5 * interval '1 second', 0, 'met', false, false
            FROM service_servicerequest r
            CROSS JOIN (VALUES ('on_site', 0, 14400), ('solution', 1, 3600),
                               ('resolved', 2, 43200), ('restored', 3, 86400))
                       AS m(key, position, target)
            """
        )
    own = [r for r in requests if r.device_id == device.pk]
    RepairRecord.objects.bulk_create(
        RepairRecord(request=r, author=engineer, fault_cause="quality",
                     frozen_at=r.reported_at + timedelta(hours=6), content_hash="x" * 64)
        for r in own[:RECORDS]
    )  # fmt: skip
    Visit.objects.bulk_create(
        Visit(device=device, hospital_id=device.hospital_id, department_id=device.department_id,
              key=f"archive-visit-{i}", main_kind="patrol", kinds=["patrol"],
              due_on=(now - timedelta(days=i)).date(),
              window_start=(now - timedelta(days=i + 7)).date(),
              window_end=(now - timedelta(days=i - 7)).date(), state="done",
              done_at=now - timedelta(days=i, hours=2), done_by=engineer,
              results={"self_test": {"value": True, "ok": True}}, signer_name="护士长",
              signed_at=now - timedelta(days=i, hours=1), content_hash="y" * 64)
        for i in range(VISITS)
    )  # fmt: skip
    part = SparePart.objects.create(part_number="PS-1", name_zh="电源板", name_en="Power board",
                                    cost_price=100, list_price=150)  # fmt: skip
    bag = StockLocation.objects.create(kind="central", name="Central")
    StockMovement.objects.bulk_create(
        StockMovement(kind="issue", part=part, quantity=1, from_location=bag, request=r,
                      created_by=engineer, occurred_at=r.reported_at + timedelta(hours=3),
                      recorded_at=r.reported_at + timedelta(hours=3))
        for r in own[:PARTS]
    )  # fmt: skip
    for i in range(CHANGES - 1):  # the creation is the first version
        device.location = f"ICU bed {i}"
        device.save()
    with connection.cursor() as cursor:
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
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from archive.filters import archive_query, hospital_subject
    from archive.selectors import timeline
    from assets.models import Device
    from medservice.gunicorn_conf import tune_garbage_collector

    device = Device.objects.get(serial_number="ARCHIVE-0")
    manager = User.objects.get(username="bench-manager")
    figures["entries on the device's timeline"] = str(
        timeline(archive_query(device=device, visible_to=manager)).count
    )
    page_url = reverse("archive:device_archive", args=[device.pk])
    api_url = f"/api/v1/devices/{device.pk}/archive"
    # The same device's hospital: every one of its devices merged (issue 14 §1).
    hospital_page = reverse("archive:hospital_archive", args=[device.hospital_id])
    hospital_api = f"/api/v1/hospitals/{device.hospital_id}/archive"
    subject = hospital_subject(device.hospital, visible_to=manager)
    figures["entries on the hospital's timeline"] = str(
        timeline(archive_query(subject=subject, visible_to=manager)).count
    )
    for who in ("bench-manager", "bench-h-admin"):
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(User.objects.get(username=who))
        client.get(page_url)
        tune_garbage_collector()
        paths: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
            "page, first 50": (page_url, {}, {}),
            "fragment, visits only": (page_url, {"kind": "visit"}, {"hx-request": "true"}),
            "API, first 50": (api_url, {}, {}),
            "API, offset 950": (api_url, {"offset": "950"}, {}),
            "hospital page, first 50": (hospital_page, {}, {}),
            "hospital API, offset 950": (hospital_api, {"offset": "950"}, {}),
        }
        for name, (url, params, headers) in paths.items():
            samples = []
            for n in range(runs + 1):
                t0 = time.perf_counter()
                response = client.get(url, params, headers=headers)
                elapsed = time.perf_counter() - t0
                assert response.status_code == 200, response.content[:300]
                if n:  # the first is the warm-up
                    samples.append(elapsed)
            figures[f"{who}: {name}"] = percentiles(samples)
    return figures


def measure(*, runs: int = 100, rebuild: bool = False) -> dict[str, str]:
    return measure_in_subprocess("bench.archive", runs=runs, rebuild=rebuild)


if __name__ == "__main__":
    command_line(__doc__ or "", run, measure, runs=100, width=44)

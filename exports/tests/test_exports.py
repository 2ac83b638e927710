"""Every list as a file (issue 14 §3, §5): the page's download and the API's ``format=``
apply the list's own filters to the viewer's own rows; headers in the viewer's language,
times in the viewer's zone; big exports go through the worker (a job, its progress, a file
only its owner downloads, a stalled job started again); old jobs expire."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user
from exports.models import ExportJob, ExportState
from exports.services import STALE_AFTER, export_jobs_expire
from exports.sources import exportable
from notify.models import InboxMessage
from service.services import service_request_open

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORTED = dt.datetime(2026, 12, 7, 16, 30, tzinfo=dt.UTC)  # 00:30 on the 8th in Shanghai


@pytest.fixture
def world():
    a = HospitalFactory(name="甲医院")
    b = HospitalFactory(name="乙医院 SECRET")
    icu_a = DepartmentFactory(hospital=a, name="ICU")
    icu_b = DepartmentFactory(hospital=b, name="ICU B")
    devices_a = [DeviceFactory(department=icu_a, serial_number=f"A-{n}") for n in range(3)]
    devices_a.append(DeviceFactory(department=icu_a, serial_number="=HYPERLINK(1)"))
    DeviceFactory(department=icu_b, serial_number="B-SECRET")
    dispatcher = vendor_user(VendorRole.DISPATCHER, username="dispatcher")
    service_request_open(
        device=devices_a[0],
        severity="normal",
        channel="hotline",
        description="-1 no display",
        recorded_by=dispatcher,
        reported_at=REPORTED,
        now=REPORTED + dt.timedelta(minutes=5),
    )
    return {
        "a": a,
        "b": b,
        "admin": vendor_user(VendorRole.ADMIN, username="boss"),
        "dispatcher": dispatcher,
        "a_admin": hospital_user(a, username="a-admin"),
    }


def _client(user, language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _download(client: Client, name: str, fmt: str, **filters):
    return client.get(reverse("exports:download"), {"list": name, "format": fmt, **filters})


def _sheet(response) -> list[tuple]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_every_list_downloads_in_both_formats_with_its_headers(world):
    client = _client(world["admin"])
    lists = exportable()
    assert set(lists) == {
        "devices", "service-requests", "calls", "visits", "return-visits",
        "training-sessions", "stock", "stock-movements", "loaners", "charge-statements",
    }  # fmt: skip
    for name, spec in lists.items():
        with translation.override("en"):
            headers = tuple(str(c.header) for c in spec.columns)
        xlsx = _download(client, name, "xlsx")
        assert xlsx.status_code == 200, name
        assert xlsx["Content-Type"] == XLSX
        assert _sheet(xlsx)[0] == headers, name
        plain = _download(client, name, "csv")
        assert plain.status_code == 200, name
        assert tuple(_csv(plain)[0]) == headers, name


def test_the_export_is_the_filtered_list_with_formulas_neutralised(world):
    client = _client(world["admin"])
    rows = _sheet(_download(client, "devices", "xlsx", hospital=world["a"].pk))
    serials = sorted(row[4] for row in rows[1:])
    assert serials == ["'=HYPERLINK(1)", "A-0", "A-1", "A-2"]
    # The list page shows the same rows for the same query string.
    page = client.get(reverse("assets:device_list"), {"hospital": world["a"].pk})
    assert "B-SECRET" not in page.content.decode()
    # A filter outside the choices is left out, as on the page: every device.
    everything = _sheet(_download(client, "devices", "xlsx", hospital=10**20))
    assert len(everything) == 1 + 5


def test_headers_in_chinese_and_times_in_shanghai(world):
    client = _client(world["dispatcher"], language="zh-hans")
    rows = _sheet(_download(client, "service-requests", "xlsx"))
    assert rows[0][:3] == ("编号", "报修时间", "医院")
    assert rows[1][1] == dt.datetime(2026, 12, 8, 0, 30)
    assert rows[1][2] == "甲医院"
    assert rows[1][10] == "'-1 no display"


def test_a_hospital_user_exports_only_their_hospital(world):
    client = _client(world["a_admin"])
    text = b"".join(_download(client, "devices", "csv", hospital=world["b"].pk).streaming_content)
    assert b"SECRET" not in text
    assert text.count(b"\r\n") == 1 + 4
    # Vendor-internal lists refuse them as their pages do.
    for name in ("stock", "stock-movements", "loaners", "calls"):
        assert _download(client, name, "csv").status_code == 403, name


def test_an_unknown_list_or_format_is_not_found(world):
    client = _client(world["admin"])
    assert _download(client, "users", "csv").status_code == 404
    assert _download(client, "devices", "pdf").status_code == 404
    assert client.get(f"/exports/{10**20}/").status_code == 404
    assert client.get(f"/exports/{10**20}/file").status_code == 404


# --- the API ------------------------------------------------------------------------------
def test_api_lists_answer_csv_and_xlsx_with_the_same_filters(world):
    client = _client(world["admin"])
    url = "/api/v1/devices"
    plain = client.get(url, {"format": "csv", "hospital_id": world["a"].pk})
    assert plain.status_code == 200
    assert plain["Content-Type"].startswith("text/csv")
    assert len(_csv(plain)) == 1 + 4
    book = client.get(url, {"format": "xlsx", "hospital_id": world["b"].pk})
    assert [row[4] for row in _sheet(book)[1:]] == ["B-SECRET"]
    page = client.get(url, {"hospital_id": world["a"].pk}).json()
    assert page["count"] == 4


def test_api_refuses_a_format_it_does_not_write(world):
    response = _client(world["admin"]).get("/api/v1/devices", {"format": "pdf"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "format"]


def test_api_exports_of_every_list(world):
    client = _client(world["admin"])
    for url in (
        "/api/v1/service-requests", "/api/v1/hotline/calls", "/api/v1/visits",
        "/api/v1/return-visits", "/api/v1/training-sessions", "/api/v1/stock",
        "/api/v1/stock-movements", "/api/v1/loaners", "/api/v1/charge-statements",
    ):  # fmt: skip
        response = client.get(url, {"format": "xlsx"})
        assert response.status_code == 200, url
        assert response["Content-Type"] == XLSX, url


def test_api_scopes_the_export_to_the_hospital_user(world):
    client = _client(world["a_admin"])
    response = client.get("/api/v1/devices", {"format": "csv", "hospital_id": world["b"].pk})
    text = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert text.count(b"\r\n") == 1  # the header only


# --- the worker ---------------------------------------------------------------------------
@pytest.fixture
def small_inline(settings):
    settings.EXPORT_INLINE_MAX_ROWS = 2


def test_a_big_export_runs_in_the_worker_for_its_owner_only(
    world, small_inline, django_capture_on_commit_callbacks
):
    owner = world["admin"]
    client = _client(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = _download(client, "devices", "xlsx", hospital=world["a"].pk)
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exports:job_detail", kwargs={"pk": job.pk})
    assert (job.state, job.rows_total, job.rows_done, job.owner) == ("done", 4, 4, owner)
    assert job.query == f"hospital={world['a'].pk}"
    page = client.get(response["Location"])
    assert reverse("exports:job_file", kwargs={"pk": job.pk}) in page.content.decode()
    progress = client.get(response["Location"], headers={"HX-Request": "true"})
    assert b'data-state="done"' in progress.content
    rows = _sheet(client.get(reverse("exports:job_file", kwargs={"pk": job.pk})))
    assert sorted(row[4] for row in rows[1:]) == ["'=HYPERLINK(1)", "A-0", "A-1", "A-2"]
    message = InboxMessage.objects.get(user=owner, kind="exports.ready")
    assert message.url == reverse("exports:job_detail", kwargs={"pk": job.pk})
    assert client.get(reverse("exports:job_list")).status_code == 200
    # Nobody else: not another vendor user, not a hospital's user.
    for other in (world["dispatcher"], world["a_admin"]):
        stranger = _client(other)
        for name in ("exports:job_detail", "exports:job_file"):
            assert stranger.get(reverse(name, kwargs={"pk": job.pk})).status_code == 404
        assert stranger.post(reverse("exports:job_retry", kwargs={"pk": job.pk})).status_code == 404


def test_a_job_keeps_the_owners_language_and_zone(
    world, small_inline, django_capture_on_commit_callbacks
):
    client = _client(world["dispatcher"], language="zh-hans")
    DeviceFactory.create_batch(2, department=world["a"].departments.first())
    with django_capture_on_commit_callbacks(execute=True):
        _download(client, "service-requests", "csv")
        # One request only: under the limit, written at once; the devices go to the worker.
        _download(client, "devices", "csv")
    job = ExportJob.objects.get()
    assert (job.language, job.time_zone, job.state) == ("zh-hans", "Asia/Shanghai", "done")
    text = (Path(settings.MEDIA_ROOT) / job.file).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("医院,")


def test_a_stalled_job_serves_nothing_and_may_be_started_again(
    world, small_inline, django_capture_on_commit_callbacks
):
    owner = world["admin"]
    client = _client(owner)
    job = ExportJob.objects.create(
        owner=owner,
        list_name="devices",
        query="",
        format="csv",
        language="en",
        time_zone="Asia/Shanghai",
        state=ExportState.RUNNING,
        attempt=1,
        rows_total=5,
        rows_done=2,
        heartbeat_at=timezone.now() - STALE_AFTER - dt.timedelta(seconds=1),
    )
    root = Path(settings.MEDIA_ROOT) / "exports"
    root.mkdir(parents=True)
    (root / f"{job.pk}-killed.csv.part").write_text("half")
    assert client.get(reverse("exports:job_file", kwargs={"pk": job.pk})).status_code == 404
    page = client.get(reverse("exports:job_detail", kwargs={"pk": job.pk})).content.decode()
    assert reverse("exports:job_retry", kwargs={"pk": job.pk}) in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("exports:job_retry", kwargs={"pk": job.pk}))
    job.refresh_from_db()
    assert (job.state, job.attempt, job.rows_done) == ("done", 2, 5)
    assert client.get(reverse("exports:job_file", kwargs={"pk": job.pk})).status_code == 200
    # A job that is running and alive is not started twice.
    alive = ExportJob.objects.create(
        owner=owner, list_name="devices", format="csv", language="en",
        time_zone="UTC", state=ExportState.RUNNING, heartbeat_at=timezone.now(),
    )  # fmt: skip
    client.post(reverse("exports:job_retry", kwargs={"pk": alive.pk}))
    alive.refresh_from_db()
    assert alive.state == ExportState.RUNNING


def test_a_job_whose_owner_lost_the_list_fails_with_a_reason(
    world, small_inline, django_capture_on_commit_callbacks
):
    owner = world["a_admin"]
    job = ExportJob.objects.create(
        owner=owner, list_name="stock", format="csv", language="en", time_zone="UTC",
    )  # fmt: skip
    from exports.services import export_job_run

    export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == ExportState.FAILED
    assert job.error == "You may no longer export this list."
    assert not list((Path(settings.MEDIA_ROOT) / "exports").glob("*"))


def test_old_jobs_expire_with_their_files(world, small_inline, django_capture_on_commit_callbacks):
    client = _client(world["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        _download(client, "devices", "csv")
    job = ExportJob.objects.get()
    path = Path(settings.MEDIA_ROOT) / job.file
    assert path.is_file()
    assert export_jobs_expire(now=timezone.now() + dt.timedelta(days=6)) == 0
    assert export_jobs_expire(now=timezone.now() + dt.timedelta(days=8)) == 1
    assert not path.exists()
    assert not ExportJob.objects.exists()


def _queries_of(client: Client, name: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = _download(client, name, "xlsx")
        assert response.status_code == 200
    return len(queries.captured_queries)


def test_rows_cost_no_query_each_and_engineers_are_joined_as_text(world):
    from service.models import ServiceRequest

    client = _client(world["admin"])
    first = ServiceRequest.objects.get()
    engineers = [
        vendor_user(VendorRole.ENGINEER, username=f"e{n}", first_name=f"Wang{n}") for n in (1, 2)
    ]
    first.engineers.set(engineers)
    with translation.override("en"):
        before = {name: _queries_of(client, name) for name in ("devices", "service-requests")}
    device = first.device
    for n in range(3):
        request = service_request_open(
            device=device, severity="normal", channel="hotline", description=f"fault {n}",
            recorded_by=world["dispatcher"],
        )  # fmt: skip
        request.engineers.set(engineers[:1])
        DeviceFactory(department=device.department, serial_number=f"MORE-{n}")
    after = {name: _queries_of(client, name) for name in ("devices", "service-requests")}
    assert after == before
    rows = _sheet(_download(client, "service-requests", "xlsx"))
    engineers_column = rows[0].index("Engineers")
    assert sorted(row[engineers_column] for row in rows[1:]) == [
        "Wang1",
        "Wang1",
        "Wang1",
        "Wang1, Wang2",
    ]

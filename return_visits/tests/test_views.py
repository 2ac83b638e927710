"""The return-visit pages for every role: the list and its filters, the page, the sheet
form (devices pre-filled, errors next to their row, nothing saved on bad input), both
signatures, the archived PDF, cancelling; another hospital's visit is a 404."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from customers.models import HospitalRole
from customers.tests.factories import HospitalFactory, hospital_user
from return_visits.models import ReturnVisit
from return_visits.services import return_visit_record, return_visits_generate
from service.models import ServiceRequest

from .factories import SIGNATURE, department_with_devices, engineer, sheet

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 12, 2, 0, tzinfo=UTC)  # 12 March, 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world():
    a = HospitalFactory(name="甲医院")
    b = HospitalFactory(name="乙医院")
    worker = engineer(username="eng")
    icu, devices = department_with_devices(hospital=a, name="重症医学科", engineers=[worker])
    ward, _ = department_with_devices(hospital=a, name="呼吸内科", devices=1)
    department_with_devices(hospital=b, name="乙科室")
    return_visits_generate(horizon_days=0)
    return {
        "a": a,
        "b": b,
        "engineer": worker,
        "icu": icu,
        "devices": devices,
        "ward": ward,
        "visit": ReturnVisit.objects.get(department=icu),
        "users": {
            "admin": vendor_user(VendorRole.ADMIN, username="v-admin"),
            "manager": vendor_user(VendorRole.MANAGER, username="v-manager"),
            "engineer": worker,
            "dispatcher": vendor_user(VendorRole.DISPATCHER, username="v-dispatcher"),
            "a_admin": hospital_user(a, username="a-admin"),
            "a_icu": hospital_user(
                a, HospitalRole.DEPARTMENT_USER, departments=[icu], username="a-icu"
            ),
            "b_admin": hospital_user(b, username="b-admin"),
        },
    }


def url(name, visit, **kwargs):
    return reverse(f"return_visits:{name}", kwargs={"pk": visit.pk, **kwargs})


def sheet_post(visit, devices, **overrides):
    data = {
        "visited_on": "2026-03-12",
        "training_given": "日常保养",
        "satisfaction": "5",
        "comments": "满意",
        "participants-TOTAL_FORMS": "2",
        "participants-INITIAL_FORMS": "1",
        "participants-MIN_NUM_FORMS": "0",
        "participants-MAX_NUM_FORMS": "30",
        "participants-0-name": "王主任",
        "participants-0-role": "科室主任",
        "participants-1-name": "",
        "participants-1-role": "",
        "devices-TOTAL_FORMS": str(len(devices)),
        "devices-INITIAL_FORMS": str(len(devices)),
        "devices-MIN_NUM_FORMS": "0",
        "devices-MAX_NUM_FORMS": "1000",
        "findings-TOTAL_FORMS": "1",
        "findings-INITIAL_FORMS": "0",
        "findings-MIN_NUM_FORMS": "0",
        "findings-MAX_NUM_FORMS": "100",
        "findings-0-device": "",
        "findings-0-kind": "fault",
        "findings-0-description": "",
    }
    for n, device in enumerate(devices):
        data[f"devices-{n}-device"] = str(device.pk)
        data[f"devices-{n}-state"] = "normal"
        data[f"devices-{n}-note"] = ""
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("who", "seen"),
    [
        ("admin", {"重症医学科", "呼吸内科", "乙科室"}),
        ("dispatcher", {"重症医学科", "呼吸内科", "乙科室"}),
        ("a_admin", {"重症医学科", "呼吸内科"}),
        ("a_icu", {"重症医学科"}),
        ("b_admin", {"乙科室"}),
    ],
)
def test_the_list_shows_what_each_role_sees(client, world, who, seen):
    client.force_login(world["users"][who])
    response = client.get(reverse("return_visits:return_visit_list"))
    assert response.status_code == 200
    body = response.content.decode()
    for name in {"重症医学科", "呼吸内科", "乙科室"}:
        assert (name in body) == (name in seen), (who, name)


def test_the_list_filters(client, world):
    client.force_login(world["users"]["manager"])
    listing = reverse("return_visits:return_visit_list")
    body = client.get(listing, {"hospital": world["b"].pk}).content.decode()
    assert "乙科室" in body and "重症医学科" not in body
    assert "重症医学科" not in client.get(listing, {"month": "2026-04"}).content.decode()
    assert "重症医学科" in client.get(listing, {"month": "2026-03"}).content.decode()
    with time_machine.travel(datetime(2026, 4, 2, 2, 0, tzinfo=UTC), tick=False):
        client.force_login(world["users"]["manager"])  # three weeks on: a new session
        overdue = client.get(listing, {"state": "overdue"}).content.decode()
    assert 'data-state="overdue"' in overdue and "重症医学科" in overdue
    assert "重症医学科" not in client.get(listing, {"state": "done"}).content.decode()


@pytest.mark.parametrize("who", ["admin", "manager", "engineer", "dispatcher", "a_admin", "a_icu"])
def test_the_page_renders_for_every_role(client, world, who):
    client.force_login(world["users"][who])
    response = client.get(url("return_visit_detail", world["visit"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "重症医学科" in body
    fill = url("sheet_edit", world["visit"])
    assert (fill in body) == (who in {"admin", "manager", "engineer"})


def test_the_sheet_form_lists_the_departments_devices(client, world):
    client.force_login(world["engineer"])
    response = client.get(url("sheet_edit", world["visit"]))
    assert response.status_code == 200
    body = response.content.decode()
    for device in world["devices"]:
        assert device.serial_number in body
        assert f'data-device="{device.pk}"' in body
    # Every device starts as normal; the responsible person is proposed as participant.
    assert body.count('value="normal" autocomplete="off" checked') == len(world["devices"])
    assert f"护士长 {world['icu'].pk}" in body


@pytest.mark.parametrize("who", ["dispatcher", "a_admin", "a_icu"])
def test_only_vendor_engineers_and_managers_fill_in_the_sheet(client, world, who):
    client.force_login(world["users"][who])
    assert client.get(url("sheet_edit", world["visit"])).status_code == 403
    response = client.post(url("sheet_edit", world["visit"]), sheet_post(world["visit"], []))
    assert response.status_code == 403
    world["visit"].refresh_from_db()
    assert world["visit"].recorded_at is None


def test_saving_the_sheet(client, world):
    client.force_login(world["engineer"])
    visit, devices = world["visit"], world["devices"]
    data = sheet_post(
        visit,
        devices,
        **{
            "devices-1-state": "out_of_service",
            "findings-0-device": str(devices[1].pk),
            "findings-0-kind": "fault",
            "findings-0-description": "无法开机",
            "findings-0-raise_request": "on",
        },
    )
    response = client.post(url("sheet_edit", visit), data)
    assert response.status_code == 302
    assert response["Location"] == url("return_visit_detail", visit)
    visit.refresh_from_db()
    assert visit.satisfaction == 5 and visit.recorded_by == world["engineer"]
    assert visit.device_checks.get(device=devices[1]).state == "out_of_service"
    request = ServiceRequest.objects.get()
    assert visit.findings.get().request == request
    page = client.get(url("return_visit_detail", visit)).content.decode()
    assert request.number in page and "无法开机" in page


def test_bad_sheets_show_their_errors_and_save_nothing(client, world):
    client.force_login(world["engineer"])
    visit, devices = world["visit"], world["devices"]
    data = sheet_post(visit, devices, satisfaction="", **{"devices-0-state": ""})
    response = client.post(url("sheet_edit", visit), data)
    assert response.status_code == 422
    body = response.content.decode()
    assert "Give the department&#x27;s satisfaction from 1 to 5." in body
    assert "Choose normal, needs attention or out of service." in body
    # The service's own checks land on their row.
    data = sheet_post(
        visit,
        devices,
        **{"participants-0-name": "", "findings-0-description": "没写设备"},
    )
    response = client.post(url("sheet_edit", visit), data)
    assert response.status_code == 422
    body = response.content.decode()
    assert "Give the participant&#x27;s name." in body
    assert "Choose the device." in body
    visit.refresh_from_db()
    assert visit.recorded_at is None and not visit.participants.exists()


def test_both_sides_sign_then_the_pdf_is_served(client, world, django_capture_on_commit_callbacks):
    visit = world["visit"]
    client.force_login(world["engineer"])
    # Nothing to sign yet: off to the sheet.
    early = client.get(url("return_visit_sign", visit, role="engineer"))
    assert early.status_code == 302 and early["Location"] == url("sheet_edit", visit)
    return_visit_record(visit=visit, user=world["engineer"], **sheet(visit))
    page = client.get(url("return_visit_sign", visit, role="engineer"))
    assert page.status_code == 200 and b"signature-canvas" in page.content
    empty = client.post(url("return_visit_sign", visit, role="engineer"), {"signer_name": "张伟"})
    assert empty.status_code == 422
    signed = client.post(
        url("return_visit_sign", visit, role="engineer"),
        {"signer_name": "张伟", "signature": SIGNATURE},
    )
    assert signed.status_code == 302
    assert client.get(url("return_visit_pdf", visit)).status_code == 404  # not frozen yet

    client.force_login(world["users"]["a_icu"])
    assert client.get(url("return_visit_sign", visit, role="engineer")).status_code == 403
    assert client.get(url("return_visit_sign", visit, role="boss")).status_code == 404
    page = client.get(url("return_visit_sign", visit, role="hospital"))
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url("return_visit_sign", visit, role="hospital"),
            {"signer_name": "李娜", "signature": SIGNATURE},
        )
    assert done.status_code == 302
    visit.refresh_from_db()
    assert visit.state == "done" and visit.pdf
    pdf = client.get(url("return_visit_pdf", visit))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    # Frozen: the sheet form and the signature pad send back to the page.
    client.force_login(world["engineer"])
    assert client.get(url("sheet_edit", visit)).status_code == 302
    assert client.get(url("return_visit_sign", visit, role="engineer")).status_code == 302


def test_cancelling(client, world):
    visit = world["visit"]
    client.force_login(world["engineer"])
    assert client.post(url("return_visit_cancel", visit), {"reason": "x"}).status_code == 403
    client.force_login(world["users"]["manager"])
    assert client.get(url("return_visit_cancel", visit)).status_code == 405
    response = client.post(url("return_visit_cancel", visit), {"reason": "科室装修"})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.state, visit.cancelled_reason) == ("cancelled", "科室装修")


def test_hospital_b_cannot_see_a(client, world):
    visit = world["visit"]
    client.force_login(world["users"]["b_admin"])
    for name, extra in [
        ("return_visit_detail", {}),
        ("sheet_edit", {}),
        ("return_visit_sign", {"role": "hospital"}),
        ("return_visit_pdf", {}),
    ]:
        assert client.get(url(name, visit, **extra)).status_code == 404, name
    assert client.post(url("return_visit_cancel", visit), {"reason": "x"}).status_code == 404
    assert client.post(url("sheet_edit", visit), sheet_post(visit, [])).status_code == 404
    visit.refresh_from_db()
    assert visit.state == "planned" and visit.recorded_at is None


def test_generation_leaves_march_alone(world):
    # The fixture planned March only (horizon 0): nothing else appeared on the way.
    assert set(ReturnVisit.objects.values_list("month", flat=True)) == {date(2026, 3, 1)}


def make_visit(hospital, name: str, month: date, state: str = "planned") -> ReturnVisit:
    department, _ = department_with_devices(hospital=hospital, name=name, devices=0)
    last_day = date(month.year + month.month // 12, month.month % 12 + 1, 1).toordinal() - 1
    return ReturnVisit.objects.create(
        hospital=hospital,
        department=department,
        month=month,
        due_on=month.replace(day=15),
        window_start=month,
        window_end=date.fromordinal(last_day),
        state=state,
    )


def test_the_list_shows_overdue_first_then_by_due_date(client):
    """Issue 12 §5: overdue first, then the open ones by due date (nearest first), then
    the closed ones, the latest first; the page and the API read the same order."""
    hospital = HospitalFactory(name="丙医院")
    made = [
        make_visit(hospital, "四月科", date(2026, 4, 1)),
        make_visit(hospital, "二月完成科", date(2026, 2, 1), state="done"),
        make_visit(hospital, "二月逾期科", date(2026, 2, 1)),
        make_visit(hospital, "三月科", date(2026, 3, 1)),
        make_visit(hospital, "一月取消科", date(2026, 1, 1), state="cancelled"),
        make_visit(hospital, "一月逾期科", date(2026, 1, 1)),
    ]
    expected = ["一月逾期科", "二月逾期科", "三月科", "四月科", "二月完成科", "一月取消科"]
    assert {v.department.name for v in made} == set(expected)
    client.force_login(vendor_user(VendorRole.MANAGER, username="v-manager"))
    body = client.get(reverse("return_visits:return_visit_list")).content.decode()
    shown = sorted(expected, key=body.index)
    assert shown == expected
    items = client.get("/api/v1/return-visits").json()["items"]
    assert [v["department_name"] for v in items] == expected
    assert [v["display_state"] for v in items][:2] == ["overdue", "overdue"]

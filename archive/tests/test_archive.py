"""The device archive (issue 14 §1, R-7.6): every source's entries on one timeline, newest
first, filtered by kind and by local days, paged without losing or repeating an entry, and
only what the viewer may see; the page, its htmx fragment and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from archive.filters import archive_query
from archive.selectors import timeline
from assets.models import DeviceOutOfUse
from assets.operation_log.services import operation_log_record
from assets.tests.factories import DeviceFactory, EmergencyProcedureFactory, MainComponentFactory
from core.archive import sort_key
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user
from maintenance.tests.factories import VisitFactory
from parts.models import Loan, StockMovement
from parts.tests.factories import SparePartFactory, bag_of
from parts.tests.test_loans import LoanerUnitFactory
from regimes.services import regime_receipt_record
from regimes.tests.factories import RegimeDocumentFactory, add_version, signature_data_url
from return_visits.models import ReturnVisit, ReturnVisitDeviceCheck
from service.models import RepairRecord, RootCauseReport
from service.services import service_request_open
from training.tests.factories import make_plan, make_session, sign_in

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int = 10) -> dt.datetime:
    """A moment of March 2026 in Shanghai."""
    return dt.datetime(2026, 3, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def world():
    hospital = HospitalFactory(name="东海市人民医院", time_zone="Asia/Shanghai")
    department = DepartmentFactory(hospital=hospital, name="重症医学科")
    device = DeviceFactory(
        department=department,
        hospital=hospital,
        installed_on=dt.date(2026, 3, 1),
        accepted_on=dt.date(2026, 3, 2),
        acceptance_certificate_no="YS-2026-007",
        live_on=dt.date(2026, 3, 3),
    )
    engineer = vendor_user(VendorRole.ENGINEER, username="eng")
    manager = vendor_user(VendorRole.MANAGER, username="mgr")
    procedure = EmergencyProcedureFactory(device=device, department=department)
    type(procedure).objects.filter(pk=procedure.pk).update(
        created_at=at(4), received_at=at(5), received_by="护士长"
    )
    old = MainComponentFactory(device=device, name="主板", serial_number="MB-1")
    new = MainComponentFactory(device=device, name="主板", serial_number="MB-2")
    type(old).objects.filter(pk=old.pk).update(
        removed_on=dt.date(2026, 3, 20), removal_fate="scrapped"
    )
    type(new).objects.filter(pk=new.pk).update(replaces=old, replaced_on=dt.date(2026, 3, 20))
    DeviceOutOfUse.objects.create(
        device=device, started_at=at(8), started_by=engineer, reason="漏电流超标",
        cleared_at=at(9), cleared_by=engineer, clear_note="已更换电源",
    )  # fmt: skip
    request = service_request_open(
        device=device, severity="normal", channel="hotline", description="呼吸机报警",
        recorded_by=manager, reported_at=at(12),
    )  # fmt: skip
    record = RepairRecord.objects.create(request=request, author=engineer, fault_cause="quality")
    RepairRecord.objects.filter(pk=record.pk).update(frozen_at=at(13))
    RootCauseReport.objects.create(
        request=request, cause="电源老化", measures="更换", explained_to="科主任",
        explained_at=at(14), author=engineer,
    )  # fmt: skip
    visit = VisitFactory(device=device, due_on=dt.date(2026, 3, 15))
    type(visit).objects.filter(pk=visit.pk).update(
        state="done", done_at=at(15), results={"leak": {"value": 1, "ok": False}},
        signer_name="护士长", signed_at=at(15, 11), content_hash="x" * 64,
    )  # fmt: skip
    sheet = ReturnVisit.objects.create(
        hospital=hospital, department=department, month=dt.date(2026, 3, 1),
        due_on=dt.date(2026, 3, 16), window_start=dt.date(2026, 3, 1),
        window_end=dt.date(2026, 3, 31), state="done", visited_on=dt.date(2026, 3, 16),
        satisfaction=4, recorded_at=at(16),
    )  # fmt: skip
    ReturnVisitDeviceCheck.objects.create(visit=sheet, device=device, state="attention",
                                          note="屏幕偶有闪烁")  # fmt: skip
    bag = bag_of(engineer)
    part = SparePartFactory(name_zh="电源板", name_en="Power board", part_number="PS-100")
    StockMovement.objects.create(
        kind="issue", part=part, quantity=2, from_location=bag, request=request,
        created_by=engineer, occurred_at=at(12, 14), recorded_at=at(12, 14),
    )  # fmt: skip
    loaner = LoanerUnitFactory(serial_number="LN-7")
    Loan.objects.create(
        loaner=loaner, request=request, hospital=hospital, department=department,
        taken_from=loaner.location, installed_at=at(12, 15), installed_by=engineer,
        returned_at=at(17), returned_by=engineer, returned_to=loaner.location,
    )  # fmt: skip
    session = make_session(
        plan=make_plan(hospital=hospital), starts_at=at(19), audience_departments=[department]
    )
    sign_in(session, department=department)
    elsewhere = DepartmentFactory(hospital=hospital, name="放射科")
    other = make_session(
        plan=make_plan(hospital=hospital), starts_at=at(20), audience_departments=[elsewhere]
    )
    sign_in(other, department=elsewhere)
    regime = RegimeDocumentFactory(hospital=hospital, title="设备巡检制度")
    regime_receipt_record(
        document=regime, version=add_version(regime, dt.date(2026, 3, 1)), recorded_by=manager,
        recipient_name="护士长", department=department, received_at=at(21),
        signature_data_url=signature_data_url(),
    )  # fmt: skip
    operation_log_record(
        device=device, recorded_by=hospital_user(hospital, username="h-icu-nurse"),
        kind="startup_check", result="abnormal", note="开机自检报错", now=at(22),
    )  # fmt: skip
    return {"device": device, "request": request, "engineer": engineer, "manager": manager}


def entries_of(device, user, **kwargs):
    query = archive_query(device=device, visible_to=user, limit=500, **kwargs)
    return timeline(query).entries


def test_one_timeline_newest_first_from_every_source(world):
    found = entries_of(world["device"], world["manager"])
    kinds = {entry.kind for entry in found}
    assert kinds >= {
        "installation", "procedure", "component", "out_of_use", "device_change",
        "service_request", "repair_record", "root_cause", "visit", "return_visit",
        "part_used", "loaner", "training", "regime_receipt", "operation_log",
    }  # fmt: skip
    assert found == sorted(found, key=sort_key)
    titles = [entry.title for entry in found]
    assert "Installed" in titles and "Accepted" in titles
    accepted = next(e for e in found if e.title == "Accepted")
    assert accepted.detail == "Acceptance certificate YS-2026-007"
    assert accepted.at == dt.datetime(2026, 3, 2, tzinfo=dt.UTC) - dt.timedelta(hours=8)
    (record,) = [e for e in found if e.kind == "repair_record"]
    assert record.signed is True and record.pdf_url.endswith("/record.pdf")
    (request,) = [e for e in found if e.kind == "service_request"]
    assert request.title.startswith(world["request"].number)
    assert "breached" in request.detail  # the promises of a request reported in March
    (visit,) = [e for e in found if e.kind == "visit"]
    assert visit.signed is True and "1 item not in order" in visit.detail
    (check,) = [e for e in found if e.kind == "return_visit"]
    assert check.title == "Return visit of 2026-03" and check.signed is False
    assert check.detail == "Needs attention · 屏幕偶有闪烁 · satisfaction 4/5"
    (used,) = [e for e in found if e.kind == "part_used"]
    assert used.title == "Part used: Power board ×2"
    assert used.detail == f"{world['request'].number} · PS-100"
    assert [e.title for e in found if e.kind == "loaner"] == [
        "Loaner returned: " + str(Loan.objects.get().loaner),
        "Loaner installed: " + str(Loan.objects.get().loaner),
    ]
    (training,) = [e for e in found if e.kind == "training"]  # not the other department's
    assert training.title.startswith("Training held: ") and training.detail.endswith("1 attendee")
    (receipt,) = [e for e in found if e.kind == "regime_receipt"]
    assert receipt.title == "Regime received: 设备巡检制度, version 1" and receipt.signed is True
    (component,) = [e for e in found if e.kind == "component"]
    assert component.detail.startswith("MB-1 replaced by MB-2")


def test_kinds_and_local_days_narrow_it(world):
    device, manager = world["device"], world["manager"]
    only = entries_of(device, manager, kinds=["visit", "repair_record"])
    assert {e.kind for e in only} == {"visit", "repair_record"}
    # 13 March in Shanghai only: the record signed at 10:00 that day.
    day = entries_of(device, manager, first_day=dt.date(2026, 3, 13), last_day=dt.date(2026, 3, 13))
    assert [e.kind for e in day] == ["repair_record"]
    # The installation is at local midnight of 1 March: inside "from 1 March".
    first = entries_of(device, manager, first_day=dt.date(2026, 3, 1), last_day=dt.date(2026, 3, 1))
    assert [e.title for e in first] == ["Installed"]


def test_pages_cover_the_timeline_once(world):
    device, manager = world["device"], world["manager"]
    whole = entries_of(device, manager)
    pages = []
    offset = 0
    while True:
        query = archive_query(device=device, visible_to=manager, limit=3)
        page = timeline(query, offset=offset)
        assert page.count == len(whole)
        pages += page.entries
        if not page.has_next:
            break
        offset += 3
    assert pages == whole


def test_bad_filters_are_refused_on_their_field(world):
    from django.core.exceptions import ValidationError

    device, manager = world["device"], world["manager"]
    with pytest.raises(ValidationError) as refused:
        archive_query(device=device, visible_to=manager, kinds=["nonsense"])
    assert set(refused.value.message_dict) == {"kind"}
    with pytest.raises(ValidationError) as refused:
        archive_query(device=device, visible_to=manager, first_day=dt.date(2026, 3, 9),
                      last_day=dt.date(2026, 3, 1))  # fmt: skip
    assert set(refused.value.message_dict) == {"to"}
    with pytest.raises(ValidationError) as refused:
        archive_query(device=device, visible_to=manager, first_day=dt.date(1, 1, 1))
    assert set(refused.value.message_dict) == {"from"}


def test_a_hospital_sees_its_own_devices_archive_and_no_other(client, world):
    device = world["device"]
    own = hospital_user(device.hospital, username="h-admin")
    other = hospital_user(HospitalFactory(name="别的医院"), username="other-admin")
    assert {e.kind for e in entries_of(device, own)} >= {"service_request", "visit"}
    assert entries_of(device, other) == []
    url = reverse("archive:device_archive", args=[device.pk])
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.get(f"/api/v1/devices/{device.pk}/archive").status_code == 404
    client.force_login(own)
    assert client.get(url).status_code == 200


def test_the_page_its_fragment_and_the_device_page(client, world):
    device = world["device"]
    client.force_login(world["manager"])
    url = reverse("archive:device_archive", args=[device.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<html" in page and world["request"].number in page and "YS-2026-007" in page
    fragment = client.get(url, {"kind": "visit"}, HTTP_HX_REQUEST="true").content.decode()
    assert (
        "<html" not in fragment and "done" in fragment and world["request"].number not in fragment
    )
    # A bad filter shows its error and the whole timeline; an absurd page is the first.
    refused = client.get(url, {"from": "2026-03-09", "to": "2026-03-01", "page": "10000000000"})
    assert refused.status_code == 200
    assert world["request"].number in refused.content.decode()
    detail = client.get(reverse("assets:device_detail", args=[device.pk])).content.decode()
    assert f'hx-get="{url}"' in detail


def test_the_api_answers_the_timeline_paged_and_refuses_bad_filters(client, world):
    device = world["device"]
    client.force_login(world["manager"])
    url = f"/api/v1/devices/{device.pk}/archive"
    whole = client.get(url, {"limit": 500}).json()
    assert whole["count"] == len(whole["items"]) >= 12
    first = whole["items"][0]
    assert set(first) == {
        "at", "kind", "title", "detail", "object_id", "url", "signed", "pdf_url", "device_id",
    }  # fmt: skip
    two = client.get(url, {"limit": 2, "offset": 2}).json()
    assert two["items"] == whole["items"][2:4]
    only = client.get(url + "?kind=visit&kind=root_cause").json()
    assert {item["kind"] for item in only["items"]} == {"visit", "root_cause"}
    day = client.get(url, {"from": "2026-03-13", "to": "2026-03-13"}).json()
    assert [item["kind"] for item in day["items"]] == ["repair_record"]
    for params, field in (
        ({"kind": "nonsense"}, "kind"),
        ({"from": "2026-03-09", "to": "2026-03-01"}, "to"),
        ({"from": "0001-01-01"}, "from"),
        ({"to": "9999-12-31"}, "to"),
    ):
        answer = client.get(url, params)
        assert answer.status_code == 422, params
        assert [e["loc"][-1] for e in answer.json()["errors"]] == [field], answer.json()
    assert client.get("/api/v1/devices/100000000000000000000/archive").status_code == 422


def test_charges_show_each_statement_at_its_latest_step_and_each_credit_note():
    from decimal import Decimal

    import time_machine

    from charges import services as charges_services
    from charges import workflow
    from charges.tests.factories import covered_device, resolved_request, sent_statement
    from charges.tests.test_services import issue_parts
    from service.repair_records.services import repair_record_save

    device = covered_device(accepted_on=dt.date(2026, 3, 1))
    manager = vendor_user(VendorRole.MANAGER, username="office")
    moment = dt.datetime(2026, 9, 1, 10, tzinfo=SHANGHAI)
    with time_machine.travel(moment, tick=False):
        part = SparePartFactory(cost_price=Decimal("100.00"), list_price=Decimal("150.00"))
        request = resolved_request(
            device, fault_cause="non_quality", before_resolve=issue_parts(part, 2)
        )
        statement = sent_statement(request, manager=manager)
        assert statement.total > 0
        workflow.charge_statement_accept(statement=statement, user=hospital_user(request.hospital))
        repair_record_save(
            request=request, author=request.repair_record.author, fault_cause="quality"
        )
        note = charges_services.credit_note_issue(
            statement=statement, user=manager, reason="经分析为质量故障"
        )
    kinds = ["charge_statement", "credit_note"]
    found = entries_of(device, manager, kinds=kinds)
    assert sorted(e.kind for e in found) == ["charge_statement", "credit_note"]
    (shown,) = [e for e in found if e.kind == "charge_statement"]
    assert shown.title == f"Charge statement {statement.display_number}: Accepted"
    assert shown.signed is True and shown.pdf_url.endswith("/charges.pdf")
    assert shown.at == moment
    (credit,) = [e for e in found if e.kind == "credit_note"]
    assert credit.title == f"Credit note {note.number}"
    assert "经分析为质量故障" in credit.detail
    # The hospital sees what was sent to it; a draft would be the vendor's only.
    assert len(entries_of(device, hospital_user(request.hospital, username="h2"), kinds=kinds)) == 2


def test_entries_at_the_same_moment_are_paged_once_each(world):
    """The second pass reads the page's time window, where entries of the same moment but
    off the page also fall: they are left out, and given on their own page."""
    device, manager = world["device"], world["manager"]
    nurse = hospital_user(device.hospital, username="h-nurse-2")
    for n in range(5):
        operation_log_record(device=device, recorded_by=nurse, kind="usage", usage_value=n,
                             usage_unit="hours", now=at(12))  # fmt: skip
    whole = entries_of(device, manager)
    assert sum(1 for e in whole if e.at == at(12)) == 6  # with the request reported then
    for size in (2, 3, 4):
        pages, offset = [], 0
        while True:
            page = timeline(archive_query(device=device, visible_to=manager, limit=size),
                            offset=offset)  # fmt: skip
            assert len(page.entries) == min(size, page.count - offset)
            pages += page.entries
            offset += size
            if not page.has_next:
                break
        assert pages == whole

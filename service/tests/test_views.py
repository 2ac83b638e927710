"""The service-request pages: the dispatch board (order, live colours, filters, assign),
intake (serial, asset tag, UDI, QR label; report time; hospital users), the request page
and its step form (conflicts, field errors, idempotency), my jobs, and who may see or do
what (hospital A never sees hospital B; hospital users do not record steps)."""

import datetime as dt
import re
import uuid

import pytest
import time_machine
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory, ProductModelFactory
from contracts.tests.factories import ContractFactory
from customers.models import HospitalRole
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user
from service import services
from service.models import ServiceEvent, ServiceRequest

pytestmark = pytest.mark.django_db

GTIN = "06971234567895"
NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def dispatcher():
    return vendor_user(VendorRole.DISPATCHER, username="agent")


@pytest.fixture
def manager():
    return vendor_user(VendorRole.MANAGER, username="manager")


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng1", first_name="Wei", last_name="Zhang")


@pytest.fixture
def other_engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng2", first_name="Li", last_name="Na")


@pytest.fixture
def hospital():
    return HospitalFactory(name="Qingdao Municipal Hospital")


@pytest.fixture
def other_hospital():
    return HospitalFactory(name="Other Hospital")


@pytest.fixture
def model():
    return ProductModelFactory(manufacturer="Qingdun", name="QD-V900", gtin=GTIN)


@pytest.fixture
def device(hospital, model, engineer):
    department = DepartmentFactory(hospital=hospital, name="ICU")
    device = DeviceFactory(
        product_model=model,
        department=department,
        serial_number="SN-0001",
        asset_tag="ICU-7",
        udi_di=GTIN,
        udi_serial="SN-0001",
        location="Bed 3",
    )
    contract = ContractFactory(hospital=hospital, devices=[device])
    contract.dedicated_engineers.set([engineer])
    return device


@pytest.fixture
def other_device(other_hospital, model, other_engineer):
    department = DepartmentFactory(hospital=other_hospital, name="Radiology")
    device = DeviceFactory(product_model=model, department=department, serial_number="SN-0002")
    contract = ContractFactory(hospital=other_hospital, devices=[device])
    contract.dedicated_engineers.set([other_engineer])
    return device


def open_request(device, user, *, ago=dt.timedelta(0), severity="normal", **kwargs):
    """A request reported ``ago`` before NOW, its milestones stored as of that moment (so
    the pages must work out the live state themselves)."""
    reported_at = NOW - ago
    return services.service_request_open(
        device=device,
        severity=severity,
        channel="hotline",
        description=kwargs.pop("description", "No picture on the screen"),
        recorded_by=user,
        reported_at=reported_at,
        now=reported_at,
        **kwargs,
    )


def record(request, kind, user, *, at=None, **data):
    """Record a step as it happens (``now`` = its time)."""
    at = at or NOW
    return services.service_request_record_event(
        request=request, type=kind, occurred_at=at, actor=user, data=data, now=at
    )


def rows_of(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr class="([^"]*)" data-request="(\d+)"', html)


# --- the dispatch board -----------------------------------------------------------------
@pytest.fixture
def three_requests(device, other_device, dispatcher):
    """One breached (on site due an hour ago), one at risk (30 min left of 4 h), one fine."""
    fine = open_request(device, dispatcher, ago=dt.timedelta(minutes=10))
    breached = open_request(other_device, dispatcher, ago=dt.timedelta(hours=5))
    at_risk = open_request(device, dispatcher, ago=dt.timedelta(hours=3, minutes=30))
    return breached, at_risk, fine


def test_board_lists_nearest_deadline_first_coloured_by_the_live_clock(
    client, manager, three_requests
):
    breached, at_risk, fine = three_requests
    client.force_login(manager)
    response = client.get(reverse("service:board"))
    assert response.status_code == 200
    html = response.content.decode()
    assert rows_of(html) == [
        ("table-danger", str(breached.pk)),
        ("table-warning", str(at_risk.pk)),
        ("", str(fine.pk)),
    ]
    # Live countdowns: the ISO deadline for the script, the text for the first paint.
    assert 'data-due-at="2026-03-02T01:00:00Z"' in html  # breached: due an hour ago
    # In words, whole minutes, the hours not folded into days (issue 12 §3).
    assert ">1 h overdue<" in html
    assert 'data-due-at="2026-03-02T02:30:00Z"' in html and ">30 min left<" in html
    assert 'data-due-at="2026-03-02T05:50:00Z"' in html and ">3 h 50 min left<" in html
    # The state in words, so it reads without colour.
    assert html.count("data-sla-state>breached<") == 1
    assert html.count("data-sla-state>at risk<") == 1
    assert html.count("data-sla-state>on time<") == 1
    assert "js/service.js" in html


def test_board_filters_by_state_hospital_engineer_and_severity(
    client, manager, three_requests, device, other_hospital, other_engineer, dispatcher
):
    breached, at_risk, fine = three_requests
    emergency = open_request(device, dispatcher, ago=dt.timedelta(minutes=1), severity="emergency")
    client.force_login(manager)
    board = reverse("service:board")

    def shown(**params):
        return [int(pk) for _cls, pk in rows_of(client.get(board, params).content.decode())]

    assert shown(state="breached") == [breached.pk]
    assert shown(state="at_risk") == [at_risk.pk]
    assert set(shown(state="open")) == {breached.pk, at_risk.pk, fine.pk, emergency.pk}
    assert shown(hospital=other_hospital.pk) == [breached.pk]
    assert shown(engineer=other_engineer.pk) == [breached.pk]
    assert shown(severity="emergency") == [emergency.pk]
    assert shown(severity="normal", hospital=other_hospital.pk, state="at_risk") == []


def test_board_leaves_out_closed_requests_and_htmx_gets_the_table_only(
    client, manager, device, engineer, dispatcher
):
    done = open_request(device, dispatcher, ago=dt.timedelta(hours=2))
    record(done, "remote_resolved", engineer)
    record(done, "closed", dispatcher)
    open_one = open_request(device, dispatcher, ago=dt.timedelta(hours=1))
    client.force_login(manager)
    response = client.get(reverse("service:board"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and 'id="board"' in html
    assert 'hx-trigger="every 30s' in html
    assert [int(pk) for _c, pk in rows_of(html)] == [open_one.pk]
    assert "HX-Request" in response["Vary"]


def test_board_is_for_vendor_staff(client, hospital, three_requests):
    client.force_login(hospital_user(hospital))
    assert client.get(reverse("service:board")).status_code == 403


def test_assign_engineers_from_the_board_records_a_dispatch(
    client, dispatcher, device, engineer, other_engineer
):
    request = open_request(device, dispatcher, ago=dt.timedelta(minutes=5))
    assert list(request.engineers.all()) == [engineer]  # the contract's dedicated engineer
    client.force_login(dispatcher)
    board = reverse("service:board")
    html = client.get(board).content.decode()
    assert re.search(rf'value="{engineer.pk}" id="assign-{request.pk}-{engineer.pk}" checked', html)
    response = client.post(
        reverse("service:request_event", args=[request.pk]),
        {
            "type": "dispatched",
            "engineers": [engineer.pk, other_engineer.pk],
            "parts": "power supply\nmain board",
            "idempotency_key": uuid.uuid4().hex,
            "next": board,
        },
    )
    assert response.status_code == 302 and response["Location"] == board
    event = ServiceEvent.objects.get(request=request)
    assert event.type == "dispatched" and event.actor == dispatcher
    assert sorted(event.data["engineer_ids"]) == sorted([engineer.pk, other_engineer.pk])
    assert event.data["parts"] == ["power supply", "main board"]
    assert set(request.engineers.all()) == {engineer, other_engineer}
    request.refresh_from_db()
    assert request.status == "dispatched"


# --- intake -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "SN-0001",  # serial
        "icu-7",  # asset tag, any case
        f"(01){GTIN}(21)SN-0001",  # scanned UDI
    ],
)
def test_intake_finds_the_device_and_picks_a_single_match(client, dispatcher, device, text):
    client.force_login(dispatcher)
    response = client.get(reverse("service:intake_devices"), {"q": text})
    html = response.content.decode()
    assert f'data-device="{device.pk}"' in html
    # One match is picked at once (out of band) and its coverage is loaded.
    assert f'name="device" value="{device.pk}"' in html
    assert 'id="picked-device" class="mb-3" hx-swap-oob="true"' in html
    assert reverse("contracts:device_coverage", args=[device.pk]) in html


def test_a_new_intake_search_clears_the_device_picked_before(client, dispatcher, device):
    """Issue 13 §3: a search that does not find exactly one device empties the pick (out
    of band), so the form never keeps a device from an earlier search."""
    DeviceFactory(department=device.department, serial_number="SN-0002")
    client.force_login(dispatcher)
    html = client.get(reverse("service:intake_devices"), {"q": "SN-000"}).content.decode()
    assert 'id="picked-device" class="mb-3" hx-swap-oob="true"' in html
    assert 'name="device"' not in html
    none = client.get(reverse("service:intake_devices"), {"q": "nothing"}).content.decode()
    assert 'id="picked-device" class="mb-3" hx-swap-oob="true"' in none


def test_intake_finds_the_device_by_its_scanned_qr_label(client, dispatcher, device):
    client.force_login(dispatcher)
    label = f"https://service.example.com/d/{device.public_id}/"
    html = client.get(reverse("service:intake_devices"), {"q": label}).content.decode()
    assert f'name="device" value="{device.pk}"' in html


def test_intake_without_javascript_searches_and_picks_on_the_page(client, dispatcher, device):
    client.force_login(dispatcher)
    url = reverse("service:request_create")
    html = client.get(url, {"q": "SN-0001"}).content.decode()
    assert f"?device={device.pk}" in html
    html = client.get(url, {"device": device.pk}).content.decode()
    assert f'name="device" value="{device.pk}"' in html
    assert 'value="2026-03-02T10:00:00"' in html  # reported_at: now, local time


def test_hotline_call_opens_a_request_and_shows_it(client, dispatcher, device, engineer):
    client.force_login(dispatcher)
    response = client.post(
        reverse("service:request_create"),
        {
            "device": device.pk,
            "severity": "emergency",
            "reporter_name": "Nurse Wang",
            "reporter_phone": "0532-1234567",
            "description": "Ventilator alarms: low pressure",
            "reported_at": "2026-03-02T09:40:00",  # a call logged afterwards, Shanghai time
        },
    )
    request = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("service:request_detail", args=[request.pk])
    assert request.channel == "hotline" and request.severity == "emergency"
    assert request.reported_at == NOW - dt.timedelta(minutes=20)
    assert request.recorded_by == dispatcher
    assert request.reporter_name == "Nurse Wang"
    assert list(request.engineers.all()) == [engineer]
    assert request.number.startswith("SR-2026-")


def test_report_time_in_the_future_is_refused(client, dispatcher, device):
    client.force_login(dispatcher)
    response = client.post(
        reverse("service:request_create"),
        {
            "device": device.pk,
            "severity": "normal",
            "description": "Noise",
            "reported_at": "2026-03-02T10:05:00",
        },
    )
    assert response.status_code == 422
    assert not ServiceRequest.objects.exists()
    html = response.content.decode()
    assert "The report time cannot be in the future." in html
    assert re.search(r'name="reported_at"[^>]*is-invalid|is-invalid[^>]*name="reported_at"', html)


def test_hospital_user_reports_a_fault_on_own_device_through_the_web(
    client, hospital, device, other_device
):
    user = hospital_user(hospital, first_name="Min", last_name="Chen", phone="139")
    client.force_login(user)
    url = reverse("service:request_create")
    page = client.get(url).content.decode()
    assert 'value="Min Chen"' in page and 'value="139"' in page  # themselves by default
    # Only their own devices are found.
    assert (
        "SN-0002"
        not in client.get(reverse("service:intake_devices"), {"q": "SN-000"}).content.decode()
    )
    response = client.post(
        url,
        {
            "device": device.pk,
            "severity": "normal",
            "description": "Screen flickers",
            "reporter_name": "Min Chen",
        },
    )
    request = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert request.channel == "web" and request.reported_at == NOW
    assert request.reporter_name == "Min Chen"


def test_hospital_user_cannot_pick_another_hospitals_device(client, hospital, other_device):
    client.force_login(hospital_user(hospital))
    response = client.post(
        reverse("service:request_create"),
        {"device": other_device.pk, "severity": "normal", "description": "Screen flickers"},
    )
    assert response.status_code == 422
    assert "Pick one of the devices found." in response.content.decode()
    assert not ServiceRequest.objects.exists()
    html = client.get(reverse("service:intake_device"), {"device": other_device.pk}).content
    assert b'name="device"' not in html
    html = client.get(reverse("service:request_create"), {"device": other_device.pk}).content
    assert b"SN-0002" not in html and b'name="device"' not in html


def test_department_user_only_finds_devices_of_their_departments(client, hospital, device):
    elsewhere = DeviceFactory(department=DepartmentFactory(hospital=hospital), serial_number="SN-9")
    user = hospital_user(
        hospital, role=HospitalRole.DEPARTMENT_USER, departments=[device.department]
    )
    client.force_login(user)
    html = client.get(reverse("service:intake_devices"), {"q": "SN-"}).content.decode()
    assert f'data-device="{device.pk}"' in html
    assert f'data-device="{elsewhere.pk}"' not in html


# --- the request page -------------------------------------------------------------------
def test_request_page_shows_promises_timeline_and_coverage_in_the_hospitals_zone(
    client, engineer, dispatcher, device
):
    device.hospital.time_zone = "Asia/Tokyo"  # one hour ahead of Shanghai
    device.hospital.save()
    request = open_request(device, dispatcher, ago=dt.timedelta(hours=2))
    record(request, "arrived", engineer, at=NOW - dt.timedelta(hours=1))
    record(
        request,
        "paused",
        engineer,
        at=NOW - dt.timedelta(minutes=50),
        reason="waiting_for_customer",
    )
    record(request, "resumed", engineer, at=NOW - dt.timedelta(minutes=20))
    client.force_login(engineer)
    response = client.get(reverse("service:request_detail", args=[request.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert request.number in html
    # Bars: on site met at 10:00 Tokyo (reported 09:00 Tokyo), solution pending with 30 min
    # paused (its clock started at the arrival).
    assert re.search(r'data-milestone="on_site" data-state="met"', html)
    assert "kept at 2026-03-02 10:00:00" in html
    assert re.search(r'data-milestone="solution" data-state="pending"', html)
    assert "paused 30 min" in html
    # Timeline in Tokyo time, with the pause reason in words.
    assert "2026-03-02 10:10:00" in html  # the pause
    assert "Waiting for the customer" in html
    assert "Arrival on site" in html
    assert "reported 2026-03-02 09:00 (Asia/Tokyo)" in html
    # Coverage at the report time with its reason sentence; the step form for vendor staff.
    assert 'data-cover="warranty"' in html and "coverage-reason" in html
    assert 'id="event-form"' in html and 'id="fault-cause-form"' in html


def test_recording_a_step_from_the_request_page(client, engineer, dispatcher, device):
    request = open_request(device, dispatcher, ago=dt.timedelta(hours=1))
    client.force_login(engineer)
    form_page = client.get(reverse("service:request_detail", args=[request.pk])).content.decode()
    match = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', form_page)
    assert match is not None
    key = match.group(1)
    response = client.post(
        reverse("service:request_event", args=[request.pk]),
        {"type": "arrived", "occurred_at": "2026-03-02T09:45:00", "idempotency_key": key},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("service:request_detail", args=[request.pk])
    event = ServiceEvent.objects.get(request=request)
    assert event.occurred_at == NOW - dt.timedelta(minutes=15)
    assert event.idempotency_key == key
    assert request.milestones.get(key="on_site").state == "met"


def test_a_step_that_contradicts_the_timeline_is_shown_and_nothing_changes(
    client, engineer, dispatcher, device
):
    request = open_request(device, dispatcher, ago=dt.timedelta(hours=1))
    client.force_login(engineer)
    response = client.post(
        reverse("service:request_event", args=[request.pk]),
        {"type": "resolved", "idempotency_key": uuid.uuid4().hex},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="timeline-conflict"' in html
    assert "Nobody has arrived on site yet" in html
    assert not ServiceEvent.objects.exists()
    request.refresh_from_db()
    assert request.status == "new"


def test_a_malformed_step_gets_field_errors(client, engineer, dispatcher, device):
    request = open_request(device, dispatcher, ago=dt.timedelta(hours=1))
    client.force_login(engineer)
    url = reverse("service:request_event", args=[request.pk])
    key = {"idempotency_key": uuid.uuid4().hex}
    response = client.post(url, {"type": "paused", "reason": "other", **key})
    assert response.status_code == 422
    assert "Explain the pause." in response.content.decode()
    response = client.post(url, {"type": "arrived", "occurred_at": "2026-03-02T08:00:00", **key})
    assert response.status_code == 422
    assert "before the fault was reported" in response.content.decode()
    # A form without its key is an old or forged one: refused, nothing recorded.
    response = client.post(url, {"type": "arrived"})
    assert response.status_code == 422
    assert not ServiceEvent.objects.exists()


def test_the_same_form_sent_twice_records_once(client, engineer, dispatcher, device):
    request = open_request(device, dispatcher, ago=dt.timedelta(hours=1))
    client.force_login(engineer)
    url = reverse("service:request_event", args=[request.pk])
    form = {"type": "arrived", "idempotency_key": uuid.uuid4().hex, "next": "/my-jobs/"}
    first = client.post(url, form)
    second = client.post(url, form)
    assert first.status_code == second.status_code == 302
    assert ServiceEvent.objects.filter(request=request).count() == 1


def test_fault_cause_is_changed_by_technical_staff_only(client, engineer, dispatcher, device):
    request = open_request(device, dispatcher)
    url = reverse("service:request_fault_cause", args=[request.pk])
    client.force_login(dispatcher)
    assert client.post(url, {"fault_cause": "quality"}).status_code == 403
    client.force_login(engineer)
    assert client.post(url, {"fault_cause": "non_quality"}).status_code == 302
    request.refresh_from_db()
    assert request.fault_cause == "non_quality"
    html = client.get(reverse("service:request_detail", args=[request.pk])).content.decode()
    assert 'data-fault-cause="non_quality"' in html


# --- the list ---------------------------------------------------------------------------
def test_hospital_users_list_their_own_requests_with_the_live_promises(
    client, hospital, device, other_device, dispatcher
):
    mine = open_request(device, dispatcher, ago=dt.timedelta(hours=5))
    theirs = open_request(other_device, dispatcher)
    client.force_login(hospital_user(hospital))
    html = client.get(reverse("service:request_list")).content.decode()
    assert mine.number in html and theirs.number not in html
    assert re.search(r'data-milestone="on_site" data-state="breached"', html)
    html = client.get(reverse("service:request_list"), {"state": "at_risk"}).content.decode()
    assert mine.number not in html


# --- my jobs ----------------------------------------------------------------------------
def test_my_jobs_shows_my_open_requests_with_the_steps_that_make_sense(
    client, engineer, other_engineer, dispatcher, device, other_device
):
    later = open_request(device, dispatcher, ago=dt.timedelta(minutes=10))
    sooner = open_request(device, dispatcher, ago=dt.timedelta(hours=2))
    on_site = open_request(device, dispatcher, ago=dt.timedelta(hours=1))
    record(on_site, "arrived", engineer)
    not_mine = open_request(other_device, dispatcher)
    client.force_login(engineer)
    html = client.get(reverse("service:my_jobs")).content.decode()
    cards = re.findall(r'data-job="(\d+)"', html)
    # Nearest deadline first: the solution promise (1 h from the arrival now), then the
    # on-site promises (4 h from the report).
    assert cards == [str(on_site.pk), str(sooner.pk), str(later.pk)]
    assert str(not_mine.pk) not in cards
    # Before arrival: arrived, paused, loaner, fixed by phone; no "repair done" yet.
    first = html.split(f'data-job="{sooner.pk}"')[1].split("</article>")[0]
    steps = re.findall(r'data-step="(\w+)"', first)
    assert steps == ["arrived", "paused", "loaner_installed", "remote_resolved"]
    assert "btn-lg w-100" in first
    on_site_card = html.split(f'data-job="{on_site.pk}"')[1].split("</article>")[0]
    assert re.findall(r'data-step="(\w+)"', on_site_card) == [
        "solution_proposed",
        "paused",
        "resolved",
        "departed",
        "loaner_installed",
    ]
    # Every button is its own form with its own key.
    keys = re.findall(r'name="idempotency_key" value="([0-9a-f]{32})"', html)
    assert len(keys) == len(set(keys)) == 13


def test_a_step_from_my_jobs_comes_back_with_a_message(client, engineer, dispatcher, device):
    request = open_request(device, dispatcher, ago=dt.timedelta(hours=1))
    client.force_login(engineer)
    url = reverse("service:request_event", args=[request.pk])
    response = client.post(
        url,
        {"type": "arrived", "idempotency_key": uuid.uuid4().hex, "next": "/my-jobs/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/my-jobs/"
    assert f"{request.number}: arrival on site recorded." in response.content.decode()
    response = client.post(
        url,
        {"type": "resumed", "idempotency_key": uuid.uuid4().hex, "next": "/my-jobs/"},
        follow=True,
    )
    assert "nothing recorded" in response.content.decode()
    assert ServiceEvent.objects.filter(request=request).count() == 1


# --- who may see and do what ------------------------------------------------------------
def test_hospital_a_gets_404_on_hospital_bs_request(client, hospital, other_device, dispatcher):
    theirs = open_request(other_device, dispatcher)
    client.force_login(hospital_user(hospital))
    assert client.get(reverse("service:request_detail", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("service:request_event", args=[theirs.pk]), {"type": "arrived"})
    assert response.status_code == 404
    response = client.post(
        reverse("service:request_fault_cause", args=[theirs.pk]), {"fault_cause": "quality"}
    )
    assert response.status_code == 404
    assert not ServiceEvent.objects.exists()


def test_hospital_user_cannot_record_steps_of_their_own_request(
    client, hospital, device, dispatcher
):
    mine = open_request(device, dispatcher)
    client.force_login(hospital_user(hospital))
    html = client.get(reverse("service:request_detail", args=[mine.pk])).content.decode()
    assert 'id="event-form"' not in html and 'id="fault-cause-form"' not in html
    response = client.post(reverse("service:request_event", args=[mine.pk]), {"type": "arrived"})
    assert response.status_code == 403
    assert not ServiceEvent.objects.exists()


def test_pages_need_a_login(client, device, dispatcher):
    request = open_request(device, dispatcher)
    for url in (
        reverse("service:board"),
        reverse("service:my_jobs"),
        reverse("service:request_list"),
        reverse("service:request_create"),
        reverse("service:request_detail", args=[request.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_only_a_dispatch_reassigns_engineers(client, engineer, other_engineer, dispatcher, device):
    request = open_request(device, dispatcher, ago=dt.timedelta(hours=1))
    client.force_login(engineer)
    url = reverse("service:request_event", args=[request.pk])
    # The step form keeps the engineer boxes ticked: an arrival must not reassign anyone.
    ticked = {"engineers": [other_engineer.pk], "parts": "fuse"}
    client.post(url, {"type": "arrived", "idempotency_key": "k1", **ticked})
    assert list(request.engineers.all()) == [engineer]
    assert ServiceEvent.objects.get(type="arrived").data == {}
    client.force_login(dispatcher)
    client.post(url, {"type": "dispatched", "idempotency_key": "k2", **ticked})
    assert list(request.engineers.all()) == [other_engineer]
    assert ServiceEvent.objects.get(type="dispatched").data == {
        "engineer_ids": [other_engineer.pk],
        "parts": ["fuse"],
    }


def test_step_form_default_time_never_precedes_a_report_of_this_second(client, dispatcher, device):
    """The step form shows whole seconds: a request reported 0.7 s into this second gets
    the next second as its default, or "record a step now" would be refused."""
    sr = open_request(device, dispatcher, ago=-dt.timedelta(microseconds=700_000))
    with time_machine.travel(NOW + dt.timedelta(microseconds=900_000), tick=False):
        client.force_login(dispatcher)
        response = client.get(reverse("service:request_detail", args=[sr.pk]))
    default = response.context["event_form"].initial["occurred_at"]
    assert default >= sr.reported_at
    assert default == NOW + dt.timedelta(seconds=1)

"""The hotline desk through its services and reads (issue 13 §3, R-6.6): phone numbers in
any written form, the device search in Chinese, a call turned into a request in one step,
the duplicate warning, a call added to an open request, solved by phone, complaints per
hospital."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.models import Device
from assets.selectors import device_search
from assets.tests.factories import DeviceFactory, ProductModelFactory
from contracts.tests.factories import ContractFactory
from core import phones as phone
from core.errors import Conflict
from customers.tests.factories import ContactFactory, DepartmentFactory, HospitalFactory
from service import sla
from service.hotline import selectors, services
from service.hotline.services import DuplicateRequest
from service.models import Call, CallOutcome, ServiceEvent, ServiceRequest
from service.timeline import EventType, check_timeline

pytestmark = pytest.mark.django_db
M = dt.timedelta(minutes=1)


# --- phone numbers ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed",
    ["138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "0086-13800138000", "13800138000"],
)
def test_a_mobile_number_in_any_written_form_is_one_number(typed):
    assert phone.normalise(typed) == "13800138000"


@pytest.mark.parametrize("typed", ["0532-8286 1234", "(0532) 82861234", "+86 532 8286 1234"])
def test_a_landline_keeps_its_trunk_zero_after_plus_86(typed):
    assert phone.normalise(typed) == "053282861234"


def test_variants_cover_the_forms_a_stored_number_may_take():
    assert set(phone.variants("0532 8286 1234")) == {
        "053282861234",
        "+8653282861234",
        "008653282861234",
        "8653282861234",
    }
    assert phone.variants(" - ") == []


# --- the world ----------------------------------------------------------------------------
@pytest.fixture
def agent():
    return vendor_user(VendorRole.DISPATCHER, username="agent")


@pytest.fixture
def manager():
    return vendor_user(VendorRole.MANAGER, username="manager")


@pytest.fixture
def world():
    donghai = HospitalFactory(name="青岛东海中心医院")
    other = HospitalFactory(name="青岛市市立医院")
    icu = DepartmentFactory(hospital=donghai, name="重症医学科")
    er = DepartmentFactory(hospital=donghai, name="急诊科")
    other_icu = DepartmentFactory(hospital=other, name="重症医学科")
    monitor = ProductModelFactory(name="QM-12 多参数监护仪")
    pump = ProductModelFactory(name="QP-3 输液泵")
    devices = {
        "icu_monitor": DeviceFactory(product_model=monitor, department=icu, serial_number="M-1"),
        "icu_pump": DeviceFactory(product_model=pump, department=icu, serial_number="P-1"),
        "er_monitor": DeviceFactory(product_model=monitor, department=er, serial_number="M-2"),
        "other_monitor": DeviceFactory(
            product_model=monitor, department=other_icu, serial_number="M-3"
        ),
    }
    ContractFactory(hospital=donghai, devices=[devices["icu_monitor"], devices["icu_pump"]])
    nurse = ContactFactory(
        hospital=donghai, department=icu, name="王芳", title="护士长", phone="0532-8286 1234"
    )
    return {
        "donghai": donghai,
        "other": other,
        "icu": icu,
        "er": er,
        "nurse": nurse,
        **devices,
    }


def _devices(text, **narrow):
    found = device_search(devices=Device.objects.all(), text=text, **narrow)
    return {d.serial_number for d in found}


def test_the_device_search_finds_chinese_hospital_department_and_model_names(world):
    assert _devices("东海") == {"M-1", "P-1", "M-2"}
    assert _devices("重症医学科") == {"M-1", "P-1", "M-3"}
    assert _devices("监护仪") == {"M-1", "M-2", "M-3"}
    # Every word must match: the monitors of 东海's ICU.
    assert _devices("东海 重症医学科 监护仪") == {"M-1"}


def test_the_device_search_narrows_by_hospital_and_department(world):
    assert _devices("监护仪", hospital_id=world["donghai"].pk) == {"M-1", "M-2"}
    assert _devices("", department_id=world["icu"].pk) == {"M-1", "P-1"}
    # An exact serial still wins, inside the narrowing.
    assert _devices("M-3", hospital_id=world["donghai"].pk) == set()


def test_a_phone_finds_the_contact_their_department_and_open_requests(world, agent):
    request = services.call_open_request(
        call=services.call_log(
            user=agent, kind="fault", said="无波形", device=world["icu_monitor"]
        ),
        user=agent,
    )
    for typed in ("0532 82861234", "+86 532 8286 1234", "(0532)8286-1234"):
        caller = selectors.caller_lookup(user=agent, text=typed)
        assert caller.contact == world["nurse"], typed
        assert caller.contact.hospital == world["donghai"]
        assert caller.contact.department == world["icu"]
        assert [r.pk for r in caller.open_requests] == [request.pk]
    # Four digits typed so far: the numbers containing them.
    assert selectors.caller_lookup(user=agent, text="8286").contacts == [world["nurse"]]
    assert selectors.caller_lookup(user=agent, text="999").contacts == []


def test_a_hospital_user_finds_no_contact_of_another_hospital(world):
    from customers.tests.factories import hospital_user

    outsider = hospital_user(world["other"], username="other-admin")
    assert selectors.caller_lookup(user=outsider, text="0532 8286 1234").contacts == []


# --- logging and one step to a request ------------------------------------------------------
def test_a_call_becomes_a_request_in_one_step(world, agent):
    started = timezone.now() - 3 * M
    call = services.call_log(
        user=agent,
        kind="fault",
        said="监护仪无波形",
        guidance="检查导联线",
        started_at=started,
        phone="0532-8286 1234",
        caller_name="王芳",
        device=world["icu_monitor"],
    )
    assert (call.hospital, call.department) == (world["donghai"], world["icu"])
    assert call.phone_normalised == "053282861234"
    request = services.call_open_request(call=call, user=agent, severity="emergency")
    call.refresh_from_db()
    assert call.outcome == CallOutcome.REQUEST_OPENED
    assert call.request == request
    assert request.channel == "hotline"
    assert request.reported_at == started
    assert request.description == "监护仪无波形"
    assert (request.reporter_name, request.reporter_phone) == ("王芳", "0532-8286 1234")
    assert request.severity == "emergency"
    # Sent twice: the same request, no second one.
    assert services.call_open_request(call=call, user=agent) == request
    assert ServiceRequest.objects.count() == 1


def test_bad_input_is_refused_with_the_field_and_nothing_is_logged(world, agent):
    now, other = timezone.now(), world["other"]
    fault: dict[str, Any] = {"kind": "fault", "said": "x"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"kind": "gossip", "said": "x"}, "kind"),
        ({"kind": "fault", "said": "  "}, "said"),
        (fault | {"started_at": now + dt.timedelta(hours=1)}, "started_at"),
        (fault | {"started_at": now, "ended_at": now - M}, "ended_at"),
        (fault | {"hospital": other, "device": world["icu_monitor"]}, "device"),
        (fault | {"hospital": other, "department": world["icu"]}, "department"),
        (fault | {"hospital": other, "contact": world["nurse"]}, "contact"),
    ]
    for fields, field in cases:
        with pytest.raises(ValidationError) as caught:
            services.call_log(user=agent, **fields)
        assert field in caught.value.message_dict, fields
    assert not Call.objects.exists()


def test_hospital_users_do_not_log_calls(world):
    from customers.tests.factories import hospital_user

    with pytest.raises(PermissionDenied):
        services.call_log(user=hospital_user(world["donghai"]), kind="fault", said="x")


def test_a_call_without_a_device_cannot_become_a_request(world, agent):
    call = services.call_log(user=agent, kind="consultation", said="怎么校准？")
    with pytest.raises(ValidationError) as caught:
        services.call_open_request(call=call, user=agent)
    assert "device" in caught.value.message_dict


# --- the duplicate warning ----------------------------------------------------------------
def test_a_device_with_an_open_request_warns_and_the_call_is_added_to_it(world, agent):
    device = world["icu_monitor"]
    first = services.call_open_request(
        call=services.call_log(user=agent, kind="fault", said="无波形", device=device), user=agent
    )
    again = services.call_log(user=agent, kind="follow_up", said="还是没有波形", device=device)
    with pytest.raises(DuplicateRequest) as caught:
        services.call_open_request(call=again, user=agent)
    assert caught.value.request == first
    assert first.number in caught.value.message
    assert ServiceRequest.objects.count() == 1

    services.call_add_to_request(call=again, user=agent, request=first)
    services.call_add_to_request(call=again, user=agent, request=first)  # sent twice
    again.refresh_from_db()
    assert again.outcome == CallOutcome.ADDED_TO_REQUEST
    assert again.request == first
    (note,) = ServiceEvent.objects.filter(request=first, type=EventType.CALL)
    assert "还是没有波形" in note.data["note"]
    assert note.data["call_id"] == again.pk
    assert note.actor == agent
    first.refresh_from_db()
    assert first.status == "new"  # a note moves nothing


def test_the_agent_can_still_open_a_new_request_explicitly(world, agent):
    device = world["icu_monitor"]
    services.call_open_request(
        call=services.call_log(user=agent, kind="fault", said="无波形", device=device), user=agent
    )
    second = services.call_log(user=agent, kind="fault", said="另一故障：电池", device=device)
    services.call_open_request(call=second, user=agent, force=True)
    assert ServiceRequest.objects.filter(device=device).count() == 2


def test_a_call_is_not_added_to_a_request_on_another_device(world, agent):
    request = services.call_open_request(
        call=services.call_log(user=agent, kind="fault", said="x", device=world["icu_pump"]),
        user=agent,
    )
    call = services.call_log(user=agent, kind="fault", said="y", device=world["icu_monitor"])
    with pytest.raises(ValidationError) as caught:
        services.call_add_to_request(call=call, user=agent, request=request)
    assert "request_id" in caught.value.message_dict


def test_a_call_note_is_no_step_in_the_timeline_rules():
    t = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    events = [
        sla.Event(type="callback", occurred_at=t, data={}, sequence=1),
        sla.Event(type="call", occurred_at=t + M, data={}, sequence=2),
        sla.Event(type="callback", occurred_at=t + 2 * M, data={}, sequence=3),
    ]
    # The same step twice with only a call note in between is still the same step twice.
    with pytest.raises(Exception, match="already_called_back"):
        check_timeline(events, needs_arrival=True)


# --- solved by phone ----------------------------------------------------------------------
def test_solved_by_phone_closes_a_call_without_a_request(world, agent):
    call = services.call_log(user=agent, kind="consultation", said="报警音怎么关？")
    services.call_solve_by_phone(call=call, user=agent, guidance="长按静音键三秒")
    call.refresh_from_db()
    assert call.outcome == CallOutcome.SOLVED_BY_PHONE
    assert call.guidance == "长按静音键三秒"
    assert call.ended_at is not None


def test_solved_by_phone_records_remote_resolved_by_those_who_may(world, agent, manager):
    call = services.call_log(user=agent, kind="fault", said="黑屏", device=world["icu_monitor"])
    request = services.call_open_request(call=call, user=agent)
    # The hotline agent may not record the fix by phone on a request (STEP_RECORDERS).
    with pytest.raises(PermissionDenied):
        services.call_solve_by_phone(call=call, user=agent, guidance="重启")
    call.refresh_from_db()
    assert call.outcome == CallOutcome.REQUEST_OPENED
    services.call_solve_by_phone(call=call, user=manager, guidance="重启后恢复")
    services.call_solve_by_phone(call=call, user=manager)  # sent twice
    request.refresh_from_db()
    assert request.status == "resolved"
    assert request.events.filter(type="remote_resolved").count() == 1
    call.refresh_from_db()
    assert call.outcome == CallOutcome.SOLVED_BY_PHONE


def test_a_closed_call_takes_no_more_action(world, agent):
    call = services.call_log(user=agent, kind="consultation", said="x")
    services.call_close(call=call, user=agent)
    with pytest.raises(Conflict):
        services.call_solve_by_phone(call=call, user=agent)


def test_the_desk_form_logs_nothing_when_its_action_is_refused(world, agent):
    device = world["icu_monitor"]
    services.call_open_request(
        call=services.call_log(user=agent, kind="fault", said="x", device=device), user=agent
    )
    with pytest.raises(DuplicateRequest):
        services.call_take(
            user=agent,
            action="open_request",
            call_fields={"kind": "fault", "said": "again", "device": device},
        )
    assert Call.objects.count() == 1


# --- complaints ---------------------------------------------------------------------------
def test_complaints_are_counted_per_hospital(world, agent):
    for hospital, count in ((world["donghai"], 2), (world["other"], 1)):
        for _ in range(count):
            services.call_log(user=agent, kind="complaint", said="响应慢", hospital=hospital)
    services.call_log(user=agent, kind="fault", said="x", hospital=world["other"])
    rows = selectors.complaints_per_hospital(user=agent)
    assert [(r["hospital"], r["complaints"]) for r in rows] == [
        ("青岛东海中心医院", 2),
        ("青岛市市立医院", 1),
    ]

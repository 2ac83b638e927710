"""Who hears of a service request (issue 13 §2; R-6.2 the duty roster, R-6.3 four hours on
site from the call): the routed notices of ``service.notices``, through the outbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from contracts.tests.factories import ContractFactory
from core import outbox
from core.models import OutboxDelivery, OutboxEvent
from customers.tests.factories import (
    ContactFactory,
    DepartmentFactory,
    HospitalFactory,
    hospital_user,
)
from duty.models import Shift
from duty.tests.factories import ServiceRegionFactory
from notify.models import Delivery, InboxMessage, NotificationRoute
from service import notices
from service.services import service_request_open, service_request_record_event

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def on_shift(region, role, user, now):
    return Shift.objects.create(
        region=region, role=role, user=user, starts_at=now - 2 * H, ends_at=now + 6 * H
    )


@pytest.fixture
def world():
    now = timezone.now()
    region, elsewhere = ServiceRegionFactory(name="青岛市区"), ServiceRegionFactory(name="即墨")
    hospital = HospitalFactory(name="青岛市立医院", region=region)
    department = DepartmentFactory(hospital=hospital, name="重症医学科")
    department.responsible_contact = ContactFactory(
        hospital=hospital, department=department, name="护士长", email="nurse@hospital.example"
    )
    department.save()
    device = DeviceFactory(department=department, serial_number="VT-0001")
    people = {
        "duty_eng": vendor_user(VendorRole.ENGINEER, username="duty_eng", email="d@v.example"),
        "dedicated": vendor_user(VendorRole.ENGINEER, username="dedicated", email="e@v.example"),
        "duty_mgr": vendor_user(VendorRole.MANAGER, username="duty_mgr", email="m@v.example"),
        "far_eng": vendor_user(VendorRole.ENGINEER, username="far_eng", email="f@v.example"),
        "agent": vendor_user(VendorRole.DISPATCHER, username="agent"),
        "nurse": hospital_user(hospital, username="ward", email="ward@hospital.example",
                               phone="0532-8888 1234"),
    }  # fmt: skip
    contract = ContractFactory(hospital=hospital, devices=[device])
    contract.dedicated_engineers.set([people["dedicated"]])
    on_shift(region, "engineer", people["duty_eng"], now)
    on_shift(region, "manager", people["duty_mgr"], now)
    on_shift(elsewhere, "engineer", people["far_eng"], now)
    return {"device": device, "now": now, **people}


def report(world, *, by="nurse", phone="", severity="normal"):
    return service_request_open(
        device=world["device"],
        severity=severity,
        channel="web" if by == "nurse" else "hotline",
        description="呼吸机报警, 潮气量不准",
        recorded_by=world[by],
        reporter_name="王护士",
        reporter_phone=phone,
        reported_at=world["now"],
        now=world["now"],
    )


def told(kind: str) -> set[str]:
    return set(InboxMessage.objects.filter(kind=kind).values_list("user__username", flat=True))


def test_a_new_request_reaches_the_duty_the_dedicated_and_the_manager_at_once(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        request = report(world)
    # Delivered by the commit's nudge, not the minute sweep: nothing waits.
    assert not OutboxDelivery.objects.exclude(state="delivered").exists()
    assert told(notices.OPENED) == {"duty_eng", "dedicated", "duty_mgr"}
    message = InboxMessage.objects.get(kind=notices.OPENED, user=world["duty_eng"])
    assert request.number in message.subject and "青岛市立医院" in message.subject
    assert "呼吸机报警" in message.body and "VT-0001" in message.body
    assert message.url == f"/service-requests/{request.pk}/"
    mailed = {m.to[0] for m in mailoutbox if request.number in m.subject}
    assert mailed == {"d@v.example", "e@v.example", "m@v.example"}
    # The dedicated engineers took it at opening: told once, of the new request.
    assert told(notices.ASSIGNED) == set()
    # Every message is on the request's "who was told" list.
    about = Delivery.objects.filter(about_type="service.servicerequest", about_id=request.pk)
    assert {"duty_eng", "dedicated", "duty_mgr"} <= set(
        about.values_list("user__username", flat=True)
    )


def test_routing_is_data_an_audience_switched_off_is_not_told(
    world, django_capture_on_commit_callbacks
):
    from notify.routing import routes_seed

    routes_seed()
    NotificationRoute.objects.filter(
        kind=notices.OPENED, audience=notices.ON_DUTY_ENGINEERS.key
    ).update(active=False)
    NotificationRoute.objects.filter(
        kind=notices.OPENED, audience=notices.SERVICE_MANAGER.key
    ).update(active=True)
    with django_capture_on_commit_callbacks(execute=True):
        report(world)
    assert "duty_eng" not in told(notices.OPENED)
    assert {"dedicated", "duty_mgr"} <= told(notices.OPENED)


def test_an_emergency_says_so_in_the_subject(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report(world, severity="emergency")
    message = InboxMessage.objects.filter(kind=notices.OPENED).first()
    assert message is not None and message.subject.startswith("紧急：")  # zh-hans first


def test_engineers_dispatched_each_get_what_they_need_to_go(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = report(world, by="agent", phone="13800138000")
        service_request_record_event(
            request=request,
            type="dispatched",
            occurred_at=world["now"] + dt.timedelta(minutes=5),
            actor=world["duty_mgr"],
            engineers=[world["duty_eng"], world["far_eng"]],
            now=world["now"] + dt.timedelta(minutes=5),
        )
    assert told(notices.ASSIGNED) == {"duty_eng", "far_eng"}
    body = InboxMessage.objects.get(kind=notices.ASSIGNED, user=world["far_eng"]).body
    for fact in (
        "VT-0001",
        "青岛市立医院",
        "重症医学科",
        "呼吸机报警",
        "13800138000",
        "Asia/Shanghai",
    ):
        assert fact in body, fact


def test_arrival_and_resolution_reach_the_reporter_and_the_department_contact(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    engineer = world["dedicated"]
    with django_capture_on_commit_callbacks(execute=True):
        request = report(world)
    mailoutbox.clear()
    for minutes, step in ((60, "arrived"), (120, "resolved")):
        with django_capture_on_commit_callbacks(execute=True):
            service_request_record_event(
                request=request,
                type=step,
                occurred_at=world["now"] + dt.timedelta(minutes=minutes),
                actor=engineer,
                now=world["now"] + dt.timedelta(minutes=minutes),
            )
    assert told(notices.ARRIVED) == {"ward"}
    assert told(notices.RESOLVED) == {"ward"}
    to = sorted(m.to[0] for m in mailoutbox)
    assert to == ["nurse@hospital.example"] * 2 + ["ward@hospital.example"] * 2
    # The hospital's message names the device, not the vendor's deadlines or the caller.
    body = InboxMessage.objects.get(kind=notices.ARRIVED).body
    assert "VT-0001" in body and "Asia/Shanghai" not in body


def test_a_call_taken_by_the_hotline_reaches_the_hospital_user_with_that_phone(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = report(world, by="agent", phone="0532 88881234")
        service_request_record_event(
            request=request,
            type="arrived",
            occurred_at=world["now"] + H,
            actor=world["dedicated"],
            now=world["now"] + H,
        )
    assert told(notices.ARRIVED) == {"ward"}


def test_a_past_written_down_a_day_later_is_told_to_nobody(
    world, django_capture_on_commit_callbacks
):
    """History typed in afterwards (a past year, the demo's) is not news; a step recorded
    late within the day still is."""
    past = world["now"] - dt.timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        old = service_request_open(
            device=world["device"], severity="normal", channel="hotline",
            description="旧的报修", recorded_by=world["agent"], reported_at=past, now=past,
        )  # fmt: skip
        service_request_record_event(
            request=old, type="arrived", occurred_at=past + H, actor=world["dedicated"],
            now=past + H,
        )  # fmt: skip
    assert told(notices.OPENED) == told(notices.ARRIVED) == set()
    late = world["now"] - 20 * H
    with django_capture_on_commit_callbacks(execute=True):
        service_request_open(
            device=world["device"], severity="normal", channel="hotline",
            description="昨晚的报修", recorded_by=world["agent"], reported_at=late, now=late,
        )  # fmt: skip
    assert told(notices.OPENED) == {"duty_eng", "dedicated", "duty_mgr"}


def test_an_event_delivered_twice_tells_nobody_twice(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report(world)
    before = (InboxMessage.objects.count(), Delivery.objects.count())
    event = OutboxEvent.objects.get(name=notices.OPENED)
    notices.route(event)  # a worker killed after sending, before marking: it runs again
    assert (InboxMessage.objects.count(), Delivery.objects.count()) == before


def test_a_request_without_anyone_on_duty_still_reaches_the_dedicated(
    world, django_capture_on_commit_callbacks
):
    Shift.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        report(world)
    assert told(notices.OPENED) == {"dedicated"}


def test_every_routed_kind_is_seeded_for_the_admin(admin_client):
    from notify.routing import routes_seed

    routes_seed()
    kinds = set(NotificationRoute.objects.values_list("kind", flat=True))
    assert {notices.OPENED, notices.ASSIGNED, notices.ARRIVED, notices.RESOLVED} <= kinds
    assert {"charges.statement_disputed", "maintenance.safety_failed"} <= kinds
    page = admin_client.get("/admin/notify/notificationroute/")
    assert page.status_code == 200
    route = NotificationRoute.objects.get(kind=notices.OPENED, audience="service.on_duty_manager")
    assert (
        admin_client.get(f"/admin/notify/notificationroute/{route.pk}/change/").status_code == 200
    )
    assert admin_client.get("/admin/notify/notificationroute/add/").status_code == 403


def test_the_handler_is_registered_for_its_events():
    names = {h.name for name in notices.ROUTED_EVENTS for h in outbox.handlers_for(name)}
    assert notices.HANDLER in names
    assert mail.outbox == []

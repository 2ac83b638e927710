"""A device out of use (停用) after a failed safety check (issue 12 §1): who, when and why,
kept with history; cleared by a service request on the device resolved since then, or by the
vendor's engineer or manager with a note (never by the hospital); shown on the device page
(and so where its QR label lands), in the device list and in the API, with a filter."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.models import Device, DeviceOutOfUse
from assets.services import (
    device_out_of_use_clear,
    device_out_of_use_clear_for_request,
    device_out_of_use_mark,
)
from core.errors import Conflict
from core.tests.apiclient import Api, locs
from customers.tests.factories import hospital_user
from service.services import service_request_open, service_request_record_event

from .factories import DeviceFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC)
REASON = "开机自检: failed. Found on the Annual maintenance overhaul of 2026-05-01."


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        yield


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng")


@pytest.fixture
def device():
    return DeviceFactory(serial_number="SN-SAFE-1")


@pytest.fixture
def out_of_use(device, engineer):
    device_out_of_use_mark(
        device=device, user=engineer, reason=REASON, visit_ref=7, item_keys=["self_test"], now=T0
    )
    device.refresh_from_db()
    return device


def _request(device, engineer, reported_at):
    return service_request_open(
        device=device,
        severity="normal",
        channel="hotline",
        description="开机报错",
        recorded_by=engineer,
        reported_at=reported_at,
        now=reported_at,
    )


def _resolve(request, at):
    service_request_record_event(
        request=request, type="remote_resolved", occurred_at=at, actor=None, now=at
    )


# --- services -------------------------------------------------------------------------------


def test_marking_keeps_who_when_and_why(out_of_use, engineer):
    assert (out_of_use.out_of_use_since, out_of_use.out_of_use_reason) == (T0, REASON)
    assert out_of_use.is_out_of_use
    (row,) = out_of_use.out_of_use_periods.all()
    assert (row.started_by, row.visit_ref, row.item_keys, row.is_open) == (
        engineer,
        7,
        ["self_test"],
        True,
    )
    # A second reason keeps the earliest start and lists both reasons.
    device_out_of_use_mark(
        device=out_of_use, user=engineer, reason="漏电流 180 µA", now=T0 + dt.timedelta(hours=1)
    )
    out_of_use.refresh_from_db()
    assert out_of_use.out_of_use_since == T0
    assert out_of_use.out_of_use_reason == f"{REASON}\n漏电流 180 µA"
    # The device's history records the change too.
    assert out_of_use.history.filter(out_of_use_since=T0).exists()


def test_an_engineer_clears_with_a_note(out_of_use, engineer):
    later = T0 + dt.timedelta(hours=5)
    device_out_of_use_clear(
        device=out_of_use, user=engineer, note="更换电源模块后复测合格", now=later
    )
    device = Device.objects.get(pk=out_of_use.pk)
    assert (device.out_of_use_since, device.out_of_use_reason) == (None, "")
    (row,) = DeviceOutOfUse.objects.filter(device=device)
    assert (row.cleared_at, row.cleared_by, row.clear_note) == (
        later,
        engineer,
        "更换电源模块后复测合格",
    )


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_vendor_office_may_clear_too(out_of_use, who):
    role = {"manager": VendorRole.MANAGER, "admin": VendorRole.ADMIN}[who]
    device_out_of_use_clear(device=out_of_use, user=vendor_user(role), note="已复测")
    assert not Device.objects.get(pk=out_of_use.pk).is_out_of_use


def test_clearing_needs_a_note_and_a_vendor_engineer(out_of_use):
    with pytest.raises(ValidationError) as caught:
        device_out_of_use_clear(device=out_of_use, user=vendor_user(VendorRole.ENGINEER), note=" ")
    assert set(caught.value.message_dict) == {"note"}
    for user in (hospital_user(out_of_use.hospital), vendor_user(VendorRole.DISPATCHER)):
        with pytest.raises(PermissionDenied):
            device_out_of_use_clear(device=out_of_use, user=user, note="可以使用")
    assert Device.objects.get(pk=out_of_use.pk).out_of_use_since == T0
    assert DeviceOutOfUse.objects.get().is_open


def test_clearing_a_device_in_use_is_a_conflict(device, engineer):
    with pytest.raises(Conflict):
        device_out_of_use_clear(device=device, user=engineer, note="x")


def test_a_request_reported_since_then_and_resolved_clears_it(out_of_use, engineer):
    request = _request(out_of_use, engineer, T0 + dt.timedelta(hours=1))
    assert Device.objects.get(pk=out_of_use.pk).is_out_of_use  # opened is not resolved
    _resolve(request, T0 + dt.timedelta(hours=4))
    device = Device.objects.get(pk=out_of_use.pk)
    assert not device.is_out_of_use
    row = DeviceOutOfUse.objects.get()
    assert (row.cleared_at, row.cleared_by_request) == (T0 + dt.timedelta(hours=4), request.number)


def test_an_older_request_resolved_later_does_not_clear_it(device, engineer):
    older = _request(device, engineer, T0 - dt.timedelta(days=2))
    device_out_of_use_mark(device=device, user=engineer, reason=REASON, now=T0)
    _resolve(older, T0 + dt.timedelta(hours=2))
    assert Device.objects.get(pk=device.pk).out_of_use_since == T0
    assert DeviceOutOfUse.objects.get().is_open


def test_only_the_reasons_a_request_answers_are_cleared(device, engineer):
    device_out_of_use_mark(device=device, user=engineer, reason="first", now=T0)
    request = _request(device, engineer, T0 + dt.timedelta(hours=1))
    device_out_of_use_mark(
        device=device, user=engineer, reason="second", now=T0 + dt.timedelta(hours=2)
    )
    assert (
        device_out_of_use_clear_for_request(
            device=device,
            request_number=request.number,
            request_reported_at=request.reported_at,
            resolved_at=T0 + dt.timedelta(hours=3),
            user=None,
        )
        == 1
    )
    device.refresh_from_db()
    assert (device.out_of_use_since, device.out_of_use_reason) == (
        T0 + dt.timedelta(hours=2),
        "second",
    )


# --- API ------------------------------------------------------------------------------------


def test_api_shows_filters_and_clears(client, out_of_use, device, engineer):
    in_use = DeviceFactory(hospital=device.hospital, department=device.department)
    api = Api(client, engineer)
    body = api.get(f"/devices/{device.pk}").json()
    assert body["out_of_use"] is True and body["out_of_use_reason"] == REASON
    assert body["out_of_use_since"].startswith("2026-05-01T02:00")
    assert [d["id"] for d in api.get("/devices", out_of_use="true").json()["items"]] == [device.pk]
    assert [d["id"] for d in api.get("/devices", out_of_use="false").json()["items"]] == [in_use.pk]
    assert api.get(f"/devices/{in_use.pk}").json()["out_of_use"] is False

    assert locs(api.post(f"/devices/{device.pk}/clear-out-of-use", {"note": ""})) == [
        ["body", "note"]
    ]
    hospital = Api(client, hospital_user(device.hospital, username="eq-admin"))
    refused = hospital.post(f"/devices/{device.pk}/clear-out-of-use", {"note": "我们自己复测过"})
    assert refused.status_code == 403
    assert Device.objects.get(pk=device.pk).is_out_of_use

    cleared = api.post(f"/devices/{device.pk}/clear-out-of-use", {"note": "复测合格"})
    assert cleared.status_code == 200, cleared.content
    assert (cleared.json()["out_of_use"], cleared.json()["out_of_use_since"]) == (False, None)
    again = api.post(f"/devices/{device.pk}/clear-out-of-use", {"note": "复测合格"})
    assert again.status_code == 409
    (row,) = api.get(f"/devices/{device.pk}/out-of-use").json()
    assert (row["reason"], row["visit_id"], row["clear_note"], row["cleared_by_id"]) == (
        REASON,
        7,
        "复测合格",
        engineer.pk,
    )


# --- pages ----------------------------------------------------------------------------------


def test_device_page_qr_landing_and_lists_show_it(client, out_of_use, device):
    admin = hospital_user(device.hospital, username="eq-admin")
    client.force_login(admin)
    page = client.get(reverse("assets:device_detail", args=[device.pk])).content.decode()
    assert 'id="out-of-use"' in page and REASON in page
    assert 'data-action="clear-out-of-use"' not in page  # the hospital cannot clear it
    landing = client.get(
        reverse("assets:device_by_public_id", args=[device.public_id]), follow=True
    )
    assert 'id="out-of-use"' in landing.content.decode()
    listing = client.get(reverse("assets:device_list")).content.decode()
    assert "data-out-of-use-badge" in listing
    home = client.get("/").content.decode()
    assert 'data-out-of-use-count="1"' in home
    assert "1 device is out of use after a failed safety check" in home
    in_use = DeviceFactory(hospital=device.hospital, serial_number="SN-FINE")
    filtered = client.get(reverse("assets:device_list"), {"out_of_use": "true"})
    assert [d.pk for d in filtered.context["page"]] == [device.pk]
    others = client.get(reverse("assets:device_list"), {"out_of_use": "false"})
    assert [d.pk for d in others.context["page"]] == [in_use.pk]
    url = reverse("assets:device_clear_out_of_use", args=[device.pk])
    assert client.post(url, {"note": "可以用了"}).status_code == 403
    assert Device.objects.get(pk=device.pk).is_out_of_use


def test_an_engineer_puts_the_device_back_in_use_on_its_page(client, out_of_use, device, engineer):
    client.force_login(engineer)
    page = client.get(reverse("assets:device_detail", args=[device.pk])).content.decode()
    assert 'data-action="clear-out-of-use"' in page
    url = reverse("assets:device_clear_out_of_use", args=[device.pk])
    refused = client.post(url, {"note": ""})
    assert refused.status_code == 422 and refused.context["form"].errors["note"]
    assert Device.objects.get(pk=device.pk).is_out_of_use
    done = client.post(url, {"note": "更换电源模块后复测合格"})
    assert done.status_code == 302
    page = client.get(reverse("assets:device_detail", args=[device.pk])).content.decode()
    assert 'id="out-of-use"' not in page
    assert "更换电源模块后复测合格" in page  # the history keeps it

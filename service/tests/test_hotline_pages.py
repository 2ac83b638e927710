"""The hotline desk's pages and API (issue 13 §3): the desk logs a call and opens its request
in one step, warns on a device with an open request and adds the call to it instead, the
phone lookup and the device search as htmx fragments ("N more", a new search clears the
device picked), the same form sent twice is one call, the API with its 422s and 409s, and a
hospital's users reading their own calls only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory, ProductModelFactory
from core.tests.apiclient import Api, locs
from customers.tests.factories import (
    ContactFactory,
    DepartmentFactory,
    HospitalFactory,
    hospital_user,
)
from service.hotline import services
from service.models import Call, CallOutcome, ServiceEvent, ServiceRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return vendor_user(VendorRole.DISPATCHER, username="agent")


@pytest.fixture
def world():
    donghai = HospitalFactory(name="青岛东海中心医院")
    icu = DepartmentFactory(hospital=donghai, name="重症医学科")
    monitor = ProductModelFactory(name="QM-12 多参数监护仪")
    devices = [
        DeviceFactory(product_model=monitor, department=icu, serial_number=f"M-{i:02}")
        for i in range(12)
    ]
    nurse = ContactFactory(
        hospital=donghai, department=icu, name="王芳", title="护士长", phone="138-0013-8000"
    )
    other = HospitalFactory(name="青岛市市立医院")
    other_device = DeviceFactory(department=DepartmentFactory(hospital=other, name="急诊科"))
    return {
        "hospital": donghai,
        "icu": icu,
        "devices": devices,
        "nurse": nurse,
        "other": other,
        "other_device": other_device,
    }


def _desk_post(client, **fields):
    body = {"kind": "fault", "said": "监护仪无波形", "severity": "normal", **fields}
    return client.post(reverse("service:hotline"), body)


# --- the desk -----------------------------------------------------------------------------
def test_the_desk_opens_a_request_from_a_call_in_one_step(client, agent, world):
    client.force_login(agent)
    device = world["devices"][0]
    response = _desk_post(
        client,
        phone="+86 138 0013 8000",
        caller_name="王芳",
        contact=world["nurse"].pk,
        hospital=world["hospital"].pk,
        department=world["icu"].pk,
        device=device.pk,
        action="open_request",
    )
    call = Call.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("service:hotline_call", args=[call.pk])
    assert call.outcome == CallOutcome.REQUEST_OPENED
    request = call.request
    assert request is not None
    assert (request.device, request.channel, request.reported_at) == (
        device,
        "hotline",
        call.started_at,
    )
    page = client.get(response["Location"]).content.decode()
    assert request.number in page


def test_the_same_desk_form_sent_twice_is_one_call_and_one_request(client, agent, world):
    client.force_login(agent)
    fields = {"device": world["devices"][0].pk, "action": "open_request", "submission_token": "t1"}
    first = _desk_post(client, **fields)
    second = _desk_post(client, **fields)
    assert first.status_code == second.status_code == 302
    assert Call.objects.count() == 1
    assert ServiceRequest.objects.count() == 1


def test_the_desk_warns_on_a_device_with_an_open_request_and_adds_the_call(client, agent, world):
    client.force_login(agent)
    device = world["devices"][0]
    _desk_post(client, device=device.pk, action="open_request")
    existing = ServiceRequest.objects.get()
    # Picking the device shows the warning with the request's number and the offer.
    fragment = client.get(reverse("service:hotline_device"), {"device": device.pk})
    html = fragment.content.decode()
    assert f'data-open-request="{existing.pk}"' in html
    assert existing.number in html
    assert 'value="add_to_request"' in html
    # Opening another one without saying so is refused: nothing is logged.
    refused = _desk_post(client, device=device.pk, said="还是没有波形", action="open_request")
    assert refused.status_code == 409
    assert existing.number in refused.content.decode()
    assert Call.objects.count() == 1
    # Adding the call to the open request notes it on that request's timeline.
    added = _desk_post(
        client,
        device=device.pk,
        said="还是没有波形",
        action="add_to_request",
        open_request=existing.pk,
    )
    assert added.status_code == 302
    call = Call.objects.latest("pk")
    assert (call.outcome, call.request) == (CallOutcome.ADDED_TO_REQUEST, existing)
    assert ServiceEvent.objects.filter(request=existing, type="call").count() == 1
    assert ServiceRequest.objects.count() == 1
    # The request page shows the call on the timeline.
    detail = client.get(reverse("service:request_detail", args=[existing.pk])).content.decode()
    assert "还是没有波形" in detail


def test_the_desk_refuses_bad_input_with_the_field_and_logs_nothing(client, agent, world):
    client.force_login(agent)
    response = _desk_post(client, said="", device=world["other_device"].pk + 10**6)
    assert response.status_code == 422
    body = response.content.decode()
    assert "is-invalid" in body
    assert not Call.objects.exists()


def test_the_phone_lookup_finds_the_contact_and_fills_in_the_caller(client, agent, world):
    client.force_login(agent)
    html = client.get(reverse("service:hotline_lookup"), {"phone": "138 0013 8000"}).content
    html = html.decode()
    assert f'data-contact="{world["nurse"].pk}"' in html
    assert "重症医学科" in html
    # One contact: the caller's part of the form comes along, filled in (out of band).
    assert 'id="call-who" hx-swap-oob="true"' in html
    assert f'value="{world["nurse"].pk}"' in html
    assert 'value="王芳"' in html


def test_the_device_search_shows_n_more_and_a_new_search_clears_the_picked_device(
    client, agent, world
):
    client.force_login(agent)
    url = reverse("service:hotline_devices")
    html = client.get(url, {"q": "东海 监护仪"}).content.decode()
    assert html.count("data-device=") == 8
    assert 'data-more="4"' in html
    # Every search answers the picked device out of band: none unless exactly one matched.
    assert 'id="picked-device" class="mb-2" hx-swap-oob="true"' in html
    assert "data-picked-device" not in html
    one = client.get(url, {"q": "M-03"}).content.decode()
    assert f'data-picked-device="{world["devices"][3].pk}"' in one
    narrowed = client.get(url, {"q": "监护仪", "hospital": world["other"].pk}).content.decode()
    assert "data-device=" not in narrowed


def test_hospital_users_cannot_use_the_desk_but_read_their_own_calls(client, agent, world):
    own = services.call_log(user=agent, kind="complaint", said="x", hospital=world["hospital"])
    theirs = services.call_log(user=agent, kind="complaint", said="y", hospital=world["other"])
    client.force_login(hospital_user(world["hospital"], username="h-admin"))
    assert client.get(reverse("service:hotline")).status_code == 403
    assert client.get(reverse("service:hotline_call", args=[own.pk])).status_code == 200
    assert client.get(reverse("service:hotline_call", args=[theirs.pk])).status_code == 404
    page = client.get(reverse("service:hotline_call", args=[own.pk])).content.decode()
    assert 'id="call-actions"' not in page  # read-only


# --- the API ------------------------------------------------------------------------------
def test_api_logs_a_call_and_opens_its_request(client, agent, world):
    api = Api(client, agent)
    device = world["devices"][0]
    created = api.post(
        "/hotline/calls",
        {"kind": "fault", "said": "无波形", "phone": "138 0013 8000", "device_id": device.pk},
    )
    assert created.status_code == 201, created.content
    call = created.json()
    assert call["hospital_id"] == world["hospital"].pk
    opened = api.post(f"/hotline/calls/{call['id']}/to-request", {"severity": "emergency"})
    assert opened.status_code == 200
    assert opened.json()["outcome"] == "request_opened"
    request = ServiceRequest.objects.get(pk=opened.json()["request_id"])
    assert request.channel == "hotline"
    # Again: the same request.
    again = api.post(f"/hotline/calls/{call['id']}/to-request", {})
    assert again.json()["request_id"] == request.pk

    second = api.post("/hotline/calls", {"kind": "fault", "said": "又坏", "device_id": device.pk})
    second_id = second.json()["id"]
    duplicate = api.post(f"/hotline/calls/{second_id}/to-request", {})
    assert duplicate.status_code == 409
    assert request.number in duplicate.json()["detail"]
    added = api.post(f"/hotline/calls/{second_id}/add-to-request", {"request_id": request.pk})
    assert added.json()["outcome"] == "added_to_request"

    listed = api.get("/hotline/calls", phone="+86 13800138000")
    assert [c["id"] for c in listed.json()["items"]] == [call["id"]]
    assert api.get("/hotline/calls", kind="fault").json()["count"] == 2
    assert api.get("/hotline/calls", hospital_id=world["other"].pk).json()["count"] == 0
    caller = api.get("/hotline/caller", phone="+86 138-0013-8000").json()
    assert [c["id"] for c in caller["contacts"]] == [world["nurse"].pk]
    assert [r["id"] for r in caller["open_requests"]] == [request.pk]


def test_api_solved_by_phone_and_complaints(client, agent, world):
    api = Api(client, agent)
    call = api.post(
        "/hotline/calls", {"kind": "complaint", "said": "响应慢", "contact_id": world["nurse"].pk}
    )
    solved = api.post(f"/hotline/calls/{call.json()['id']}/solved-by-phone", {"guidance": "道歉"})
    assert solved.json()["outcome"] == "solved_by_phone"
    counts = api.get("/hotline/complaints").json()
    assert counts == [
        {
            "hospital_id": world["hospital"].pk,
            "hospital": "青岛东海中心医院",
            "complaints": 1,
            "open": 0,
        }
    ]


def test_api_bad_input_is_a_422_on_the_field(client, agent, world):
    api = Api(client, agent)
    wrong_kind = api.post("/hotline/calls", {"kind": "x", "said": "x"})
    assert any("kind" in loc for loc in locs(wrong_kind))
    huge = api.post("/hotline/calls", {"kind": "fault", "said": "x", "device_id": 10**20})
    assert any("device_id" in loc for loc in locs(huge))
    assert any("call_id" in loc for loc in locs(api.get(f"/hotline/calls/{10**20}")))
    future = api.post(
        "/hotline/calls", {"kind": "fault", "said": "x", "started_at": "2099-01-01T00:00:00Z"}
    )
    assert any("started_at" in loc for loc in locs(future))
    elsewhere = api.post("/hotline/calls", {"kind": "fault", "said": "x", "device_id": 10**6})
    assert any("device_id" in loc for loc in locs(elsewhere))
    assert not Call.objects.exists()


def test_api_a_hospital_reads_only_its_own_calls(client, agent, world):
    own = services.call_log(user=agent, kind="fault", said="x", hospital=world["hospital"])
    theirs = services.call_log(user=agent, kind="fault", said="y", hospital=world["other"])
    api = Api(client, hospital_user(world["hospital"], username="h-admin"))
    assert [c["id"] for c in api.get("/hotline/calls").json()["items"]] == [own.pk]
    assert api.get(f"/hotline/calls/{theirs.pk}").status_code == 404
    assert api.post("/hotline/calls", {"kind": "fault", "said": "x"}).status_code == 403
    assert api.post(f"/hotline/calls/{own.pk}/solved-by-phone", {}).status_code == 403
    assert api.get("/hotline/caller", phone="13800138000").status_code == 403


# --- the call's page ----------------------------------------------------------------------
def test_the_call_page_solves_by_phone_only_for_those_who_may_record_it(client, agent, world):
    call = services.call_log(user=agent, kind="fault", said="黑屏", device=world["devices"][0])
    request = services.call_open_request(call=call, user=agent)
    url = reverse("service:hotline_call_action", args=[call.pk])
    client.force_login(agent)
    page = client.get(reverse("service:hotline_call", args=[call.pk])).content.decode()
    assert 'data-action="solved"' in page
    # The hotline may not record the request's fix by phone: refused, nothing changes.
    refused = client.post(url, {"action": "solved", "guidance": "重启"}, follow=True)
    assert "may not record this step" in refused.content.decode()
    call.refresh_from_db()
    assert call.outcome == CallOutcome.REQUEST_OPENED
    manager = vendor_user(VendorRole.MANAGER, username="manager")
    client.force_login(manager)
    client.post(url, {"action": "solved", "guidance": "重启后恢复"})
    call.refresh_from_db()
    request.refresh_from_db()
    assert (call.outcome, call.guidance) == (CallOutcome.SOLVED_BY_PHONE, "重启后恢复")
    assert request.events.filter(type="remote_resolved").count() == 1


def test_the_call_page_closes_a_consultation_and_a_closed_call_offers_nothing(client, agent, world):
    call = services.call_log(user=agent, kind="consultation", said="如何校准？")
    client.force_login(agent)
    client.post(reverse("service:hotline_call_action", args=[call.pk]), {"action": "close"})
    call.refresh_from_db()
    assert call.outcome == CallOutcome.CLOSED
    page = client.get(reverse("service:hotline_call", args=[call.pk])).content.decode()
    assert 'id="call-actions"' not in page


def test_choosing_a_hospital_offers_its_departments(client, agent, world):
    client.force_login(agent)
    html = client.get(
        reverse("service:hotline_departments"), {"hospital": world["hospital"].pk}
    ).content.decode()
    assert f'value="{world["icu"].pk}"' in html
    assert "急诊科" not in html  # the other hospital's


def test_the_hotline_agents_menu_leads_to_the_desk(client, agent):
    client.force_login(agent)
    html = client.get(reverse("service:request_list")).content.decode()
    assert f'href="{reverse("service:hotline")}" data-nav="hotline"' in html

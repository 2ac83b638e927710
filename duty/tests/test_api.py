"""The roster's API: shifts, swaps, gaps and who is on duty now, with their refusals."""

from __future__ import annotations

import pytest
import time_machine

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from core.tests.apiclient import Api, locs
from customers.tests.factories import HospitalFactory, hospital_user
from duty.models import Shift, ShiftSwap

from .factories import ServiceRegionFactory, at, engineer, manager, shift

pytestmark = pytest.mark.django_db
NOW = "2026-03-02 04:00 +0000"  # 12:00 in Shanghai


@pytest.fixture
def region():
    return ServiceRegionFactory(name="东区")


@pytest.fixture
def boss():
    return manager(username="boss", phone="13800000001")


@pytest.fixture
def boss_api(client, boss):
    return Api(client, boss)


def _body(region, user, start, end, role="engineer"):
    return {
        "region_id": region.pk,
        "role": role,
        "user_id": user.pk,
        "starts_at": at(start).isoformat(),
        "ends_at": at(end).isoformat(),
    }


def test_a_manager_creates_and_patches_shifts(boss_api, region):
    zhang = engineer()
    response = boss_api.post(
        "/duty/shifts", _body(region, zhang, "2026-03-02 08:00", "2026-03-02 20:00")
    )
    assert response.status_code == 201, response.content
    shift_id = response.json()["id"]
    response = boss_api.patch(f"/duty/shifts/{shift_id}", {"ends_at": "2026-03-02T21:00:00+08:00"})
    assert response.status_code == 200
    assert Shift.objects.get().ends_at == at("2026-03-02 21:00")


def test_ends_before_start_and_overlaps_are_422_with_the_field(boss_api, region):
    zhang = engineer()
    response = boss_api.post(
        "/duty/shifts", _body(region, zhang, "2026-03-02 08:00", "2026-03-02 07:00")
    )
    assert locs(response) == [["body", "ends_at"]]
    boss_api.post("/duty/shifts", _body(region, zhang, "2026-03-02 08:00", "2026-03-02 20:00"))
    response = boss_api.post(
        "/duty/shifts", _body(region, zhang, "2026-03-02 12:00", "2026-03-02 22:00")
    )
    assert locs(response) == [["body", "user_id"]]
    assert (
        "已" in response.json()["errors"][0]["msg"]
        or "already" in response.json()["errors"][0]["msg"]
    )
    assert Shift.objects.count() == 1


def test_an_engineer_may_not_plan_shifts(client, region):
    zhang = engineer()
    response = Api(client, zhang).post(
        "/duty/shifts", _body(region, zhang, "2026-03-02 08:00", "2026-03-02 20:00")
    )
    assert response.status_code == 403
    assert not Shift.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_swap_endpoints_and_a_swap_with_oneself(client, region, boss):
    a, b = engineer(username="a"), engineer(username="b")
    mine = shift(region, "engineer", a, "2026-03-03 08:00", "2026-03-03 20:00")
    a_api = Api(client, a)
    response = a_api.post(f"/duty/shifts/{mine.pk}/swaps", {"to_user_id": a.pk})
    assert locs(response) == [["body", "to_user_id"]]
    response = a_api.post(f"/duty/shifts/{mine.pk}/swaps", {"to_user_id": b.pk})
    assert response.status_code == 201
    swap_id = response.json()["id"]
    assert Api(client, a).post(f"/duty/swaps/{swap_id}/accept", {}).status_code == 403
    assert Api(client, b).post(f"/duty/swaps/{swap_id}/accept", {}).status_code == 200
    assert Api(client, b).post(f"/duty/swaps/{swap_id}/approve", {}).status_code == 403
    response = Api(client, boss).post(f"/duty/swaps/{swap_id}/approve", {})
    assert response.status_code == 200 and response.json()["state"] == "approved"
    mine.refresh_from_db()
    assert mine.user == b
    assert ShiftSwap.objects.get().state == "approved"


@time_machine.travel(NOW, tick=False)
def test_duty_now_for_a_hospital(client, region, boss):
    hospital = HospitalFactory(region=region)
    zhang = engineer(username="zhang", phone="13900000002")
    shift(region, "engineer", zhang, "2026-03-02 08:00", "2026-03-02 20:00")
    shift(region, "manager", boss, "2026-03-02 08:00", "2026-03-03 08:00")
    shift(region, "engineer", engineer(), "2026-03-02 20:00", "2026-03-03 08:00")  # later
    response = Api(client, vendor_user(VendorRole.DISPATCHER)).get(
        "/duty/now", hospital_id=hospital.pk
    )
    assert response.status_code == 200
    body = response.json()
    assert [e["id"] for e in body["engineers"]] == [zhang.pk]
    assert body["engineers"][0]["phone"] == "13900000002"
    assert body["manager"]["id"] == boss.pk
    assert body["region_id"] == region.pk


def test_duty_now_is_scoped_and_checks_its_id(client, region):
    mine, other = HospitalFactory(region=region), HospitalFactory()
    member = Api(client, hospital_user(mine))
    assert member.get("/duty/now").json()["hospital_id"] == mine.pk  # their own by default
    assert member.get("/duty/now", hospital_id=mine.pk).status_code == 200
    assert member.get("/duty/now", hospital_id=other.pk).status_code == 404
    assert member.get("/duty/now", hospital_id=10**9).status_code == 404
    assert locs(member.get("/duty/now", hospital_id="abc")) == [["query", "hospital_id"]]
    staff = Api(client, vendor_user(VendorRole.DISPATCHER))
    assert locs(staff.get("/duty/now")) == [["query", "hospital_id"]]
    # Nothing else of the roster for a hospital's user.
    assert member.get("/duty/shifts").status_code == 403
    assert member.get("/duty/gaps").status_code == 403
    assert member.get("/duty/swaps").status_code == 403


@time_machine.travel(NOW, tick=False)
def test_gaps_in_the_api(boss_api, region, boss):
    HospitalFactory(region=region)
    shift(region, "engineer", engineer(), "2026-03-02 00:00", "2026-05-10 00:00")
    shift(region, "manager", boss, "2026-03-02 00:00", "2026-03-05 08:00")
    shift(region, "manager", manager(), "2026-03-05 20:00", "2026-05-10 00:00")
    response = boss_api.get("/duty/gaps", region_id=region.pk)
    assert response.status_code == 200
    assert [(g["role"], g["minutes"]) for g in response.json()] == [("manager", 720)]

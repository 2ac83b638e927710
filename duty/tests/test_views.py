"""The roster's pages: the grid with gaps in red, the office's forms, my shifts, swaps and
the two fragments other pages load."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from customers.tests.factories import HospitalFactory, hospital_user
from duty.models import Shift, ShiftSwap

from .factories import ServiceRegionFactory, at, day_night_rotation, engineer, manager, shift

pytestmark = pytest.mark.django_db
NOW = "2026-03-02 04:00 +0000"  # Monday 12:00 in Shanghai


@pytest.fixture
def region():
    region = ServiceRegionFactory(name="东区")
    HospitalFactory(region=region, name="东海医院")
    return region


@time_machine.travel(NOW, tick=False)
def test_the_roster_shows_a_night_without_manager_in_red(client, region):
    boss = manager(username="boss")
    shift(region, "engineer", engineer(), "2026-03-02 00:00", "2026-03-09 00:00")
    shift(region, "manager", boss, "2026-03-02 00:00", "2026-03-04 20:00")
    shift(region, "manager", manager(), "2026-03-05 08:00", "2026-03-09 00:00")
    client.force_login(boss)
    page = client.get(reverse("duty:roster"), {"region": region.pk, "day": "2026-03-04"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-gap-count="1"' in html
    assert 'data-day="2026-03-04" class="table-danger" data-gap' in html
    assert 'data-day="2026-03-05" class="table-danger" data-gap' in html
    assert 'data-day="2026-03-03" class="table-danger"' not in html
    assert "20:00\N{EN DASH}24:00" in html and "00:00\N{EN DASH}08:00" in html
    month = client.get(reverse("duty:roster"), {"region": region.pk, "span": "month"})
    assert month.content.decode().count("data-day=") == 31


def test_a_manager_adds_a_shift_and_an_overlap_is_shown_on_the_field(client, region):
    boss = manager(username="boss")
    zhang = engineer()
    client.force_login(boss)
    url = reverse("duty:shift_create")
    form = {
        "region": region.pk,
        "role": "engineer",
        "user": zhang.pk,
        "starts_at": "2026-03-02T08:00",
        "ends_at": "2026-03-02T20:00",
    }
    assert client.post(url, form).status_code == 302
    created = Shift.objects.get()
    assert created.starts_at == at("2026-03-02 08:00")  # typed in the region's zone
    response = client.post(
        url, {**form, "starts_at": "2026-03-02T19:00", "ends_at": "2026-03-02T23:00"}
    )
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert Shift.objects.count() == 1
    response = client.post(url, {**form, "ends_at": "2026-03-02T07:00"})
    assert Shift.objects.count() == 1
    edit = reverse("duty:shift_edit", args=[created.pk])
    assert client.post(edit, {**form, "ends_at": "2026-03-02T21:00"}).status_code == 302
    created.refresh_from_db()
    assert created.ends_at == at("2026-03-02 21:00")


def test_engineers_and_dispatchers_may_not_plan(client, region):
    for role in (VendorRole.ENGINEER, VendorRole.DISPATCHER):
        client.force_login(vendor_user(role))
        assert client.get(reverse("duty:shift_create")).status_code == 403
        assert client.get(reverse("duty:roster")).status_code == 200


@time_machine.travel(NOW, tick=False)
def test_generate_from_the_roster_page_twice_creates_nothing_new(client, region):
    boss = manager(username="boss")
    rotation = day_night_rotation(
        region, engineers=[engineer(), engineer()], managers=[boss], starts_on=date(2026, 3, 2)
    )
    client.force_login(boss)
    client.post(reverse("duty:generate"), {"rotation": rotation.pk})
    assert Shift.objects.count() == 180
    client.post(reverse("duty:generate"), {"rotation": rotation.pk})
    assert Shift.objects.count() == 180


@time_machine.travel(NOW, tick=False)
def test_my_shifts_and_a_swap_through_the_pages(client, region):
    boss = manager(username="boss")
    a, b = engineer(username="a"), engineer(username="b")
    mine = shift(region, "engineer", a, "2026-03-03 08:00", "2026-03-03 20:00")
    client.force_login(a)
    page = client.get(reverse("duty:my_shifts")).content.decode()
    assert f'data-shift="{mine.pk}"' in page
    propose = reverse("duty:swap_propose", args=[mine.pk])
    response = client.post(propose, {"to_user": a.pk})
    assert response.status_code == 200 and not ShiftSwap.objects.exists()  # not oneself
    assert client.post(propose, {"to_user": b.pk}).status_code == 302
    swap = ShiftSwap.objects.get()
    client.force_login(b)
    assert f'data-swap-row="{swap.pk}"' in client.get(reverse("duty:swaps")).content.decode()
    client.post(reverse("duty:swap_action", args=[swap.pk, "accept"]))
    client.force_login(boss)
    client.post(reverse("duty:swap_action", args=[swap.pk, "approve"]))
    mine.refresh_from_db()
    assert mine.user == b


@time_machine.travel(NOW, tick=False)
def test_the_fragments(client, region):
    hospital = region.hospitals.get()
    zhang = engineer(username="zhang", first_name="伟", last_name="张")
    shift(region, "engineer", zhang, "2026-03-02 08:00", "2026-03-02 20:00")
    client.force_login(manager())
    panel = client.get(reverse("duty:gaps_panel")).content.decode()
    assert "东区" in panel and "text-danger" in panel  # no manager at all
    now = client.get(reverse("duty:on_duty_panel"), {"hospital": hospital.pk}).content.decode()
    assert "张伟" in now
    member = hospital_user(hospital)
    client.force_login(member)
    assert client.get(reverse("duty:on_duty_panel"), {"hospital": hospital.pk}).status_code == 200
    assert (
        client.get(reverse("duty:on_duty_panel"), {"hospital": HospitalFactory().pk}).status_code
        == 404
    )
    assert client.get(reverse("duty:gaps_panel")).status_code == 403
    assert client.get(reverse("duty:roster")).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_the_request_page_loads_who_is_on_duty_now(client, region):
    from assets.tests.factories import DeviceFactory
    from customers.tests.factories import DepartmentFactory
    from service.services import service_request_open

    hospital = region.hospitals.get()
    device = DeviceFactory(department=DepartmentFactory(hospital=hospital))
    hotline = vendor_user(VendorRole.DISPATCHER)
    request = service_request_open(
        device=device,
        severity="normal",
        channel="hotline",
        description="黑屏",
        reporter_name="王护士",
        recorded_by=hotline,
    )
    client.force_login(hotline)
    page = client.get(reverse("service:request_detail", args=[request.pk])).content.decode()
    assert f'hx-get="{reverse("duty:on_duty_panel")}?hospital={hospital.pk}"' in page

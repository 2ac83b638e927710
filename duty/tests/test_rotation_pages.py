"""The manager's rotation templates page (R-6.2): the list per region, the form (name,
region, first day, turn, slots, the people of each role in order, active), generating
ahead from the list, every refusal shown in the form (422, in the user's language, never a
500), and nobody but the office let in."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from customers.tests.factories import HospitalFactory, hospital_user
from duty.models import Rotation, Shift

from .factories import ServiceRegionFactory, day_night_rotation, engineer, manager

pytestmark = pytest.mark.django_db


@pytest.fixture
def region():
    region = ServiceRegionFactory(name="东区")
    HospitalFactory(region=region, name="东海医院")
    return region


def _management(prefix: str, total: int, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "50",
    }


def _body(region, *, engineers, managers, **over) -> dict[str, str]:
    body = {
        "name": "东区 24/7",
        "region": str(region.pk),
        "starts_on": "2026-03-02",
        "period": "7",
        "active": "on",
        **_management("slots", 3),
        "slots-0-role": "engineer",
        "slots-0-weekday": "",
        "slots-0-start_time": "08:00",
        "slots-0-hours": "12",
        "slots-0-offset": "0",
        "slots-1-role": "engineer",
        "slots-1-weekday": "",
        "slots-1-start_time": "20:00",
        "slots-1-hours": "12",
        "slots-1-offset": "1",
        "slots-2-role": "manager",
        "slots-2-weekday": "",
        "slots-2-start_time": "08:00",
        "slots-2-hours": "24",
        "slots-2-offset": "0",
        **_management("engineer", len(engineers)),
        **_management("manager", len(managers)),
    }
    for index, person in enumerate(engineers):
        body[f"engineer-{index}-user"] = str(person.pk)
    for index, person in enumerate(managers):
        body[f"manager-{index}-user"] = str(person.pk)
    body.update(over)
    return body


def test_a_manager_creates_a_rotation_and_generates_it_from_the_list(client, region):
    boss = manager(username="boss")
    wang, li = engineer(username="wang"), engineer(username="li")
    client.force_login(boss)
    assert client.get(reverse("duty:rotation_create")).status_code == 200
    response = client.post(
        reverse("duty:rotation_create"), _body(region, engineers=[li, wang], managers=[boss])
    )
    rotation = Rotation.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("duty:rotation_list"))
    assert (rotation.name, rotation.period, rotation.active) == ("东区 24/7", 7, True)
    assert rotation.starts_on == date(2026, 3, 2)
    slots = list(rotation.slots.order_by("start_time", "role"))
    assert [(s.role, s.start_time, s.duration, s.offset) for s in slots] == [
        ("engineer", time(8), timedelta(hours=12), 0),
        ("manager", time(8), timedelta(hours=24), 0),
        ("engineer", time(20), timedelta(hours=12), 1),
    ]
    order = rotation.members.filter(role="engineer").order_by("position")
    assert [m.user for m in order] == [li, wang]

    listing = client.get(reverse("duty:rotation_list")).content.decode()
    assert f'data-rotation="{rotation.pk}"' in listing and f"1. {li}" in listing
    generated = client.post(
        reverse("duty:generate"),
        {"rotation": rotation.pk, "next": reverse("duty:rotation_list")},
    )
    assert generated["Location"] == reverse("duty:rotation_list")
    assert Shift.objects.filter(slot__rotation=rotation).count() == 3 * 60


def test_editing_keeps_the_slots_it_keeps_and_the_new_order(client, region):
    boss = manager(username="boss")
    wang, li = engineer(username="wang"), engineer(username="li")
    rotation = day_night_rotation(
        region, engineers=[wang, li], managers=[boss], starts_on=date(2026, 3, 2)
    )
    day, night, boss_slot = rotation.slots.order_by("pk")
    client.force_login(boss)
    page = client.get(reverse("duty:rotation_edit", args=[rotation.pk])).content.decode()
    assert f'name="slots-0-id" value="{day.pk}"' in page
    assert 'name="slots-0-hours" value="12"' in page
    body = _body(
        region,
        engineers=[li, wang],
        managers=[boss],
        name="东区 白班",
        period="1",
        **_management("slots", 3, 3),
        **_management("engineer", 2, 2),
        **_management("manager", 1, 1),
        **{"slots-0-id": str(day.pk), "slots-1-id": str(night.pk), "slots-2-id": str(boss_slot.pk)},
        **{"slots-1-DELETE": "on", "slots-0-hours": "10"},
    )
    body.pop("active")
    response = client.post(reverse("duty:rotation_edit", args=[rotation.pk]), body)
    assert response.status_code == 302
    rotation.refresh_from_db()
    assert (rotation.name, rotation.period, rotation.active) == ("东区 白班", 1, False)
    assert set(rotation.slots.values_list("pk", flat=True)) == {day.pk, boss_slot.pk}
    day.refresh_from_db()
    assert day.duration == timedelta(hours=10)
    order = rotation.members.filter(role="engineer").order_by("position")
    assert [m.user for m in order] == [li, wang]


@pytest.mark.parametrize(
    ("change", "where", "text"),
    [
        ({"name": " "}, "name", "必填"),
        ({"slots-0-hours": "500"}, "slots", "168"),
        ({"slots-0-start_time": "25:99"}, "slots", "有效的时间"),
        ({"slots-0-weekday": "9"}, "slots", "选择一个有效的选项"),
        ({"engineer-0-user": "99999999999999999999"}, "engineer", "选择一个有效的选项"),
        # An engineer is not offered for the manager's role.
        ({"manager-0-user": "{engineer}"}, "manager", "选择一个有效的选项"),
        ({"slots-TOTAL_FORMS": "x"}, "slots", "ManagementForm"),
        ({"starts_on": "1900-01-01"}, "starts_on", "2000"),
    ],
)
def test_bad_input_is_a_localized_form_error_and_changes_nothing(
    client, region, change, where, text
):
    boss = manager(username="boss")
    client.force_login(boss)
    wang = engineer(username="wang")
    change = {key: value.format(engineer=wang.pk) for key, value in change.items()}
    body = _body(region, engineers=[wang], managers=[boss], **change)
    response = client.post(
        reverse("duty:rotation_create"), body, headers={"accept-language": "zh-hans"}
    )
    assert response.status_code == 422
    assert text in response.content.decode()
    assert not Rotation.objects.exists()


def test_the_service_refusals_show_above_their_lists(client, region):
    boss = manager(username="boss")
    wang = engineer(username="wang")
    client.force_login(boss)
    # The same engineer twice in the order; no manager for the manager's slot; no slot.
    body = _body(region, engineers=[wang, wang], managers=[])
    response = client.post(
        reverse("duty:rotation_create"), body, headers={"accept-language": "zh-hans"}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'data-errors="members_engineer"' in html and 'data-errors="members_manager"' in html
    assert "排班顺序中出现了两次" in html
    body = _body(region, engineers=[wang], managers=[boss], **_management("slots", 0))
    response = client.post(reverse("duty:rotation_create"), body)
    assert response.status_code == 422
    assert 'data-errors="slots"' in response.content.decode()
    assert not Rotation.objects.exists()


def test_only_the_office_edits_rotations(client, region):
    rotation = day_night_rotation(
        region, engineers=[engineer()], managers=[manager()], starts_on=date(2026, 3, 2)
    )
    urls = [
        reverse("duty:rotation_list"),
        reverse("duty:rotation_create"),
        reverse("duty:rotation_edit", args=[rotation.pk]),
    ]
    for user in (
        engineer(username="eng"),
        vendor_user(VendorRole.DISPATCHER, username="desk"),
        hospital_user(HospitalFactory(region=region), username="nurse"),
    ):
        client.force_login(user)
        # A hospital's user does not learn that a rotation exists: its page is a 404.
        refused = {403, 404} if user.vendor_role == "" else {403}
        for url in urls:
            assert client.get(url).status_code in refused, (user, url)
        assert client.post(urls[2], {"name": "x"}).status_code in refused
        assert client.get(urls[0]).status_code == 403
    rotation.refresh_from_db()
    assert rotation.name != "x"
    client.force_login(vendor_user(VendorRole.ADMIN, username="admin"))
    assert all(client.get(url).status_code == 200 for url in urls)
    # The roster links the page for those who may use it.
    assert reverse("duty:rotation_list") in client.get(reverse("duty:roster")).content.decode()

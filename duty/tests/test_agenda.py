"""My shifts in my calendar feed and on the calendar pages (duty/agenda.py)."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from agenda.services import calendar_feed_create
from customers.tests.factories import HospitalFactory, hospital_user

from .factories import ServiceRegionFactory, engineer, shift

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():
    region = ServiceRegionFactory(name="北区")
    zhang = engineer(username="zhang")
    li = engineer(username="li")
    shift(region, "engineer", zhang, "2026-03-02 20:00", "2026-03-03 08:00")
    shift(region, "engineer", li, "2026-03-03 08:00", "2026-03-03 20:00")
    return region, zhang, li


@time_machine.travel("2026-03-01 02:00 +0000", tick=False)
def test_my_shifts_are_in_my_feed_and_not_a_colleagues(client, setting):
    _region, zhang, _li = setting
    _feed, raw = calendar_feed_create(owner=zhang, scope="engineer", engineer=zhang)
    response = client.get(reverse("agenda:feed_ics", args=[raw]))
    assert response.status_code == 200
    events = list(Calendar.from_ical(response.content).walk("VEVENT"))
    duty = [e for e in events if str(e["UID"]).startswith("duty-")]
    assert len(duty) == 1
    assert duty[0].decoded("DTSTART").isoformat() == "2026-03-02T12:00:00+00:00"
    assert "北区" in str(duty[0]["SUMMARY"])


@time_machine.travel("2026-03-01 02:00 +0000", tick=False)
def test_my_shifts_on_the_calendar_page_and_none_for_a_hospital(client, setting):
    _region, zhang, _li = setting
    client.force_login(zhang)
    page = client.get(reverse("agenda:week") + "?day=2026-03-02")
    assert page.status_code == 200
    assert "北区" in page.content.decode()
    hospital = HospitalFactory()
    client.force_login(hospital_user(hospital))
    page = client.get(reverse("agenda:week") + "?day=2026-03-02")
    assert "北区" not in page.content.decode()

"""Repair jobs in the calendar (issue 12 §5): an open service request assigned to an
engineer is an entry of his feed and of the calendar pages, at its nearest promise deadline,
with the request number, the hospital and the device (``service/agenda.py``)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.urls import reverse
from icalendar import Calendar

from agenda.services import calendar_feed_create
from agenda.sources import collect
from assets.tests.factories import DeviceFactory
from service.models import ServiceRequest
from service.services import service_request_open

from .conftest import NOW


def open_job(department, *engineers, serial: str, recorded_by=None) -> ServiceRequest:
    device = DeviceFactory(department=department, serial_number=serial)
    request = service_request_open(
        device=device,
        severity="normal",
        channel="hotline",
        description="呼吸机报警，无法启动",
        recorded_by=recorded_by or engineers[0],
        reported_at=NOW - dt.timedelta(hours=1),
    )
    request.engineers.add(*engineers)
    request.refresh_from_db()
    assert request.next_due_at is not None and request.next_due_at > NOW
    return request


def feed_events(client, owner, **target) -> dict:
    _, raw = calendar_feed_create(owner=owner, **target)
    client.logout()
    response = client.get(reverse("agenda:feed_ics", args=[raw]))
    assert response.status_code == 200
    return {str(e["UID"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")}


def test_my_repair_jobs_are_in_my_feed_at_their_nearest_deadline(client, two):
    mine = open_job(two.a_icu, two.engineer, serial="SN-JOB-MINE")
    theirs = open_job(two.a_ward, two.other_engineer, serial="SN-JOB-THEIRS")
    unassigned = open_job(two.b_icu, serial="SN-JOB-NOBODY", recorded_by=two.dispatcher)
    closed = open_job(two.b_icu, two.engineer, serial="SN-JOB-CLOSED")
    ServiceRequest.objects.filter(pk=closed.pk).update(is_open=False)

    found = feed_events(client, two.engineer, scope="engineer", engineer=two.engineer)

    assert f"visit-{two.a_visit.pk}@medservice" in found  # the visits as well
    job = found[f"repair-{mine.pk}@medservice"]
    assert f"repair-{theirs.pk}@medservice" not in found
    assert f"repair-{unassigned.pk}@medservice" not in found
    assert f"repair-{closed.pk}@medservice" not in found
    assert mine.number in str(job["SUMMARY"]) and "Hospital Alpha" in str(job["SUMMARY"])
    assert "SN-JOB-MINE" in str(job["SUMMARY"])
    assert job.decoded("DTSTART") == mine.next_due_at
    local = mine.next_due_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert f"最近期限：{local}（到场）" in str(job["DESCRIPTION"])  # the feed speaks Chinese
    assert str(job["URL"]).endswith(reverse("service:request_detail", args=[mine.pk]))
    assert list(job["CATEGORIES"].cats) == ["repair"]


def test_repair_jobs_are_on_the_calendar_pages_and_kept_to_the_viewers_scope(client, two):
    mine = open_job(two.a_icu, two.engineer, serial="SN-JOB-PAGE")
    client.force_login(two.engineer)
    assert mine.next_due_at is not None
    day = mine.next_due_at.astimezone(ZoneInfo("Asia/Shanghai")).date()
    page = client.get(
        reverse("agenda:week"), {"day": day.isoformat()}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert mine.number in page and "Repair job" in page

    start, end = day - dt.timedelta(days=1), day + dt.timedelta(days=1)
    seen_by_b = collect(start=start, end=end, visible_to=two.b_admin)
    seen_by_a = collect(start=start, end=end, visible_to=two.a_admin)
    assert all(entry.uid != f"repair-{mine.pk}@medservice" for entry in seen_by_b)
    assert any(entry.uid == f"repair-{mine.pk}@medservice" for entry in seen_by_a)

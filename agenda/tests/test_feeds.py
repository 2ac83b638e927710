"""Calendar feeds (issue 4 §5): secret-token ICS addresses per engineer or hospital,
shown once, stored hashed, revocable; the feed parses back with icalendar."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.urls import reverse
from django.utils import translation
from icalendar import Calendar

from agenda import sources
from agenda.models import CalendarFeed
from agenda.services import calendar_feed_by_token, calendar_feed_create, calendar_feed_revoke
from customers.models import HospitalRole

from .conftest import NOW
from .factories import make_visit

CREATE = reverse("agenda:feed_create")
FEED_URL = re.compile(r"http://testserver/calendar/feed/(cal_[A-Za-z0-9_-]+)\.ics")


def create_page(client, user, **data):
    client.force_login(user)
    form = client.get(CREATE)
    assert form.status_code == 200
    match = re.search(r'name="submission_key" value="(\w+)"', form.content.decode())
    assert match is not None
    key = match.group(1)
    return client.post(CREATE, {"submission_key": key, **data}), key


def events(body: bytes) -> dict:
    calendar = Calendar.from_ical(body)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def fetch(client, raw: str | None):
    assert raw is not None  # a feed created without a submission key always has its token
    client.logout()
    return client.get(reverse("agenda:feed_ics", args=[raw]))


def test_an_engineer_creates_his_feed_and_sees_its_address_once(client, two):
    response, _ = create_page(client, two.engineer, scope="engineer", engineer=two.engineer.pk)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    address = FEED_URL.search(body)
    assert address is not None
    raw = address.group(1)
    assert f"webcal://testserver/calendar/feed/{raw}.ics" in body
    feed = CalendarFeed.objects.get()
    assert feed.owner == two.engineer and feed.engineer == two.engineer
    assert feed.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = " ".join(str(v) for v in CalendarFeed.objects.values().get().values())
    assert raw not in stored and raw[10:] not in stored  # only a 10-character prefix is kept
    listing = client.get(reverse("agenda:feed_list")).content.decode()
    assert feed.name in listing and raw not in listing


def test_the_feed_parses_back_with_the_visits_of_the_engineer(client, two, settings):
    feed, raw = calendar_feed_create(owner=two.engineer, scope="engineer", engineer=two.engineer)
    response = fetch(client, raw)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["X-WR-CALNAME"]) == feed.name
    assert str(calendar["X-WR-TIMEZONE"]) == settings.DEFAULT_HOSPITAL_TIME_ZONE
    found = events(response.content)
    a_uid, b_uid = (f"visit-{v.pk}@medservice" for v in (two.a_visit, two.b_visit))
    assert set(found) == {a_uid, b_uid}  # his two visits, not the other engineer's
    event = found[a_uid]
    # Due "on 1 March" in Asia/Shanghai: an all-day event on that date, whatever the zone.
    assert event["DTSTART"].dt == dt.date(2026, 3, 1)
    assert event["DTSTART"].params.get("VALUE") == "DATE"
    assert event["DTEND"].dt == dt.date(2026, 3, 2)
    assert event["DTSTAMP"].dt.tzinfo is not None
    assert str(event["URL"]).startswith("http://testserver/")
    assert "ICU A" in str(event["LOCATION"])
    assert "2026-02-22" in str(event["DESCRIPTION"])
    assert str(event["STATUS"]) == "CONFIRMED"
    with translation.override(settings.LANGUAGE_CODE):  # zh-hans, whatever the request asked
        assert str(event["SUMMARY"]).startswith(str(two.a_visit.get_main_kind_display()))


def test_feed_titles_are_in_the_site_language(client, two, settings, monkeypatch):
    seen = []

    def spy(**kwargs):
        seen.append(translation.get_language())
        return []

    monkeypatch.setattr(sources, "SOURCES", ("agenda.tests.test_feeds.spy_source",))
    monkeypatch.setattr(f"{__name__}.spy_source", spy, raising=False)
    _, raw = calendar_feed_create(owner=two.engineer, scope="engineer", engineer=two.engineer)
    client.get(reverse("agenda:feed_ics", args=[raw]), HTTP_ACCEPT_LANGUAGE="en")
    assert seen == [settings.LANGUAGE_CODE]


def spy_source(**kwargs):  # replaced by the test above
    return []


def test_cancelled_and_timed_entries(client, two, monkeypatch):
    timed = sources.CalendarEntry(
        uid="t@x", kind="training", title="Training", hospital_id=two.a.pk,
        starts=dt.datetime(2026, 3, 11, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        ends=dt.datetime(2026, 3, 11, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        state="cancelled", engineer_ids=(two.engineer.pk,),
    )  # fmt: skip
    monkeypatch.setattr(sources, "SOURCES", ("agenda.tests.test_feeds.fixed_source",))
    monkeypatch.setattr(f"{__name__}.FIXED", [timed])
    _, raw = calendar_feed_create(owner=two.manager, scope="hospital", hospital=two.a)
    event = events(fetch(client, raw).content)["t@x"]
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["DTSTART"].dt == dt.datetime(2026, 3, 11, 1, 0, tzinfo=dt.UTC)
    assert event["DTEND"].dt == dt.datetime(2026, 3, 11, 3, 0, tzinfo=dt.UTC)
    assert b"DTSTART:20260311T010000Z" in fetch(client, raw).content


FIXED: list = []


def fixed_source(**kwargs):
    return list(FIXED)


def test_revoked_and_unknown_tokens_get_the_same_404(client, two):
    feed, raw = calendar_feed_create(owner=two.engineer, scope="engineer", engineer=two.engineer)
    assert fetch(client, raw).status_code == 200
    calendar_feed_revoke(feed=feed)
    revoked = fetch(client, raw)
    unknown_token = "cal_" + "x" * 43
    unknown = fetch(client, unknown_token)
    other = fetch(client, "nothing")
    assert revoked.status_code == unknown.status_code == other.status_code == 404
    # The same page (the site's 404 page), but for the address it names (in its language
    # switch) and its form's CSRF token, masked afresh on every page.
    assert same_page(revoked.content, raw) == same_page(unknown.content, unknown_token)


def same_page(page: bytes, token: str | None) -> bytes:
    assert token is not None
    page = page.replace(token.encode(), b"TOKEN")
    return re.sub(rb'(X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]*', rb"\1", page)


def test_revoking_from_the_list(client, two):
    feed, raw = calendar_feed_create(owner=two.a_admin, scope="hospital", hospital=two.a)
    client.force_login(two.b_admin)  # not his feed
    assert client.post(reverse("agenda:feed_revoke", args=[feed.pk])).status_code == 404
    client.force_login(two.a_admin)
    assert client.get(reverse("agenda:feed_revoke", args=[feed.pk])).status_code == 405
    response = client.post(reverse("agenda:feed_revoke", args=[feed.pk]))
    assert response.status_code == 302
    feed.refresh_from_db()
    assert feed.revoked_at == NOW
    assert fetch(client, raw).status_code == 404


def test_a_hospital_feed_never_shows_another_hospital(client, two):
    make_visit(due_on=dt.date(2026, 3, 20), department=two.b_icu, serial_number="SN-BETA-2")
    for owner in (two.a_admin, two.manager):
        _, raw = calendar_feed_create(owner=owner, scope="hospital", hospital=two.a)
        body = fetch(client, raw).content
        assert set(events(body)) == {
            f"visit-{two.a_visit.pk}@medservice",
            f"visit-{two.a_ward_visit.pk}@medservice",
        }
        assert b"Beta" not in body and b"BETA" not in body


def test_the_feed_covers_30_days_back_and_180_ahead(client, two):
    today = dt.date(2026, 3, 10)
    inside = [make_visit(due_on=today - dt.timedelta(days=30), department=two.a_icu),
              make_visit(due_on=today + dt.timedelta(days=180), department=two.a_icu)]  # fmt: skip
    outside = [make_visit(due_on=today - dt.timedelta(days=31), department=two.a_icu),
               make_visit(due_on=today + dt.timedelta(days=181), department=two.a_icu)]  # fmt: skip
    _, raw = calendar_feed_create(owner=two.a_admin, scope="hospital", hospital=two.a)
    found = set(events(fetch(client, raw).content))
    assert {f"visit-{v.pk}@medservice" for v in inside} <= found
    assert not {f"visit-{v.pk}@medservice" for v in outside} & found


def test_an_owner_who_lost_access_gets_an_empty_feed(client, two):
    _feed, raw = calendar_feed_create(owner=two.a_admin, scope="hospital", hospital=two.a)
    assert events(fetch(client, raw).content)
    membership = two.a_admin.hospital_membership
    membership.role = HospitalRole.DEPARTMENT_USER
    membership.save()
    response = fetch(client, raw)
    assert response.status_code == 200 and events(response.content) == {}
    membership.role = HospitalRole.EQUIPMENT_ADMIN
    membership.save()
    two.a_admin.is_active = False
    two.a_admin.save()
    assert events(fetch(client, raw).content) == {}


def test_use_is_noted_at_most_once_a_minute(two):
    feed, raw = calendar_feed_create(owner=two.engineer, scope="engineer", engineer=two.engineer)
    assert raw is not None
    assert calendar_feed_by_token(raw_token=raw) == feed
    feed.refresh_from_db()
    assert feed.last_used_at == NOW
    later = NOW + dt.timedelta(seconds=30)
    calendar_feed_by_token(raw_token=raw, now=later)
    feed.refresh_from_db()
    assert feed.last_used_at == NOW


def test_a_duplicate_submission_creates_one_feed(client, two):
    first, key = create_page(client, two.a_admin, scope="hospital", hospital=two.a.pk)
    assert first.status_code == 200 and FEED_URL.search(first.content.decode())
    again = client.post(CREATE, {"submission_key": key, "scope": "hospital", "hospital": two.a.pk})
    assert again.status_code == 302 and again["Location"] == reverse("agenda:feed_list")
    assert CalendarFeed.objects.count() == 1
    assert "already sent" in client.get(again["Location"]).content.decode()
    _feed, raw = calendar_feed_create(
        owner=two.a_admin, scope="hospital", hospital=two.a, submission_key=key
    )
    assert raw is None and CalendarFeed.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "data", "field"),
    [
        ("engineer", {"scope": "engineer", "engineer": "other_engineer"}, "engineer"),
        ("engineer", {"scope": "hospital", "hospital": "a"}, "scope"),
        ("a_admin", {"scope": "hospital", "hospital": "b"}, "hospital"),
        ("a_admin", {"scope": "engineer", "engineer": "engineer"}, "scope"),
        ("manager", {"scope": "hospital"}, "hospital"),
    ],
)
def test_what_one_may_not_subscribe_to_is_refused(client, two, who, data, field):
    data = {k: getattr(two, v).pk if k in ("engineer", "hospital") else v for k, v in data.items()}
    response, _ = create_page(client, getattr(two, who), **data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not CalendarFeed.objects.exists()
    if who != "manager":
        assert "Beta" not in response.content.decode()


def test_the_service_refuses_a_target_outside_the_owners_reach(two):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        calendar_feed_create(owner=two.a_admin, scope="hospital", hospital=two.b)
    assert "hospital" in caught.value.error_dict
    with pytest.raises(ValidationError):
        calendar_feed_create(owner=two.engineer, scope="engineer", engineer=two.other_engineer)
    assert not CalendarFeed.objects.exists()


@pytest.mark.parametrize("who", ["dispatcher", "a_dept"])
def test_who_may_not_make_feeds_is_refused(client, two, who):
    client.force_login(getattr(two, who))
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, {"scope": "hospital"}).status_code == 403
    assert client.get(reverse("agenda:feed_list")).status_code == 200


def test_the_create_form_offers_what_each_role_may_subscribe_to(client, two):
    client.force_login(two.manager)
    body = client.get(CREATE, {"hospital": two.b.pk}).content.decode()
    assert "Hospital Alpha" in body and "Hospital Beta" in body
    assert re.search(rf'<option value="{two.b.pk}" selected>', body)
    client.force_login(two.a_admin)
    body = client.get(CREATE, {"hospital": two.b.pk}).content.decode()
    assert "Hospital Alpha" in body and "Beta" not in body
    client.force_login(two.engineer)
    body = client.get(CREATE).content.decode()
    assert '<input type="hidden" name="scope" value="engineer"' in body
    assert re.search(rf'<option value="{two.engineer.pk}" selected>', body)
    assert f'value="{two.other_engineer.pk}"' not in body and 'name="hospital"' not in body

"""The calendar pages per role and scope (issue 4 §5): hospital users see their own
hospital only, an engineer sees himself by default, today is highlighted, crowded days
say "+N more", and the month folds into a list on a phone."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from .factories import make_visit

MONTH = reverse("agenda:month")
WEEK = reverse("agenda:week")


def page(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    for url in (MONTH, WEEK, reverse("agenda:feed_list"), reverse("agenda:feed_create")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_manager_sees_every_hospital_and_may_filter_by_one(client, two):
    body = page(client, two.manager, MONTH, month="2026-03")
    assert "SN-ALPHA-ICU" in body and "SN-BETA-ICU" in body and "SN-ALPHA-WARD" in body
    body = page(client, two.manager, MONTH, month="2026-03", hospital=two.b.pk)
    assert "SN-BETA-ICU" in body and "SN-ALPHA" not in body


@pytest.mark.parametrize("url", [MONTH, WEEK])
def test_a_hospital_user_never_sees_another_hospital(client, two, url):
    params = {"month": "2026-03"} if url == MONTH else {"day": "2026-03-01"}
    for query in ({}, {"hospital": two.b.pk}, {"engineer": two.engineer.pk}):
        body = page(client, two.a_admin, url, **params, **query)
        assert "SN-ALPHA-ICU" in body
        assert "Beta" not in body and "SN-BETA" not in body, query


def test_a_department_user_sees_his_departments_only(client, two):
    body = page(client, two.a_dept, MONTH, month="2026-03")
    assert "SN-ALPHA-ICU" in body and "SN-ALPHA-WARD" not in body and "SN-BETA" not in body


def test_an_engineer_sees_his_own_calendar_unless_he_picks_everyone(client, two):
    body = page(client, two.engineer, MONTH, month="2026-03")
    assert "SN-ALPHA-ICU" in body and "SN-BETA-ICU" in body
    assert "SN-ALPHA-WARD" not in body  # the other engineer's visit
    assert re.search(rf'<option value="{two.engineer.pk}" selected>', body)
    body = page(client, two.engineer, MONTH, month="2026-03", engineer="all")
    assert "SN-ALPHA-WARD" in body
    body = page(client, two.manager, MONTH, month="2026-03", engineer=two.other_engineer.pk)
    assert "SN-ALPHA-WARD" in body and "SN-ALPHA-ICU" not in body


def test_month_page_highlights_today_and_navigates(client, two):
    body = page(client, two.manager, MONTH)  # today: 10 March 2026
    assert re.search(r'class=" agenda-today"\s+aria-current="date" data-day="2026-03-10"', body)
    assert body.count('aria-current="date"') == 1
    assert "month=2026-02" in body and "month=2026-04" in body
    assert 'data-day="2026-02-23"' in body and 'data-day="2026-04-05"' in body  # 6×7 grid


def test_navigation_keeps_the_filters(client, two):
    body = page(client, two.manager, MONTH, month="2026-03", hospital=two.a.pk)
    assert f"engineer=all&amp;hospital={two.a.pk}&amp;month=2026-04" in body


def test_a_crowded_day_says_how_many_more(client, two):
    for _ in range(4):
        make_visit(due_on=dt.date(2026, 3, 20), department=two.a_icu)
    body = page(client, two.manager, MONTH, month="2026-03")
    cell = body.split('data-day="2026-03-20">', 1)[1].split("</td>", 1)[0]
    assert cell.count('class="agenda-badge') == 2 and "+2 more" in cell
    assert "day=2026-03-20" in cell  # to the week, where the day shows everything


def test_on_a_phone_the_month_is_a_list_of_the_days_with_something(client, two):
    body = page(client, two.a_admin, MONTH, month="2026-03")
    listing = body.split('class="d-md-none agenda-list"', 1)[1]
    assert '<section class="mb-3" data-day="2026-03-01">' in listing
    assert 'data-day="2026-03-12"' in listing
    assert 'data-day="2026-03-02"' not in listing  # an empty day is left out


def test_week_view_puts_all_day_entries_in_their_day_column(client, two):
    body = page(client, two.manager, WEEK, day="2026-03-12")  # Thursday
    assert 'data-day="2026-03-09" data-row="all-day"' in body  # Monday first
    assert 'data-day="2026-03-15" data-row="all-day"' in body
    cell = body.split('data-day="2026-03-12" data-row="all-day">', 1)[1].split("</td>", 1)[0]
    assert "SN-ALPHA-WARD" in cell
    assert "day=2026-03-05" in body and "day=2026-03-19" in body  # previous / next week
    assert "Week 11" in body


def test_week_view_across_a_year_end(client, two):
    make_visit(due_on=dt.date(2027, 1, 2), department=two.a_icu, serial_number="SN-NEW-YEAR")
    body = page(client, two.manager, WEEK, day="2026-12-31")
    assert 'data-day="2026-12-28"' in body and 'data-day="2027-01-03"' in body
    assert "SN-NEW-YEAR" in body and "Week 53" in body


def test_bad_parameters_fall_back_to_today(client, two):
    body = page(client, two.manager, MONTH, month="2026-99", hospital="nope", engineer="x")
    assert 'data-day="2026-03-10"' in body and "SN-BETA-ICU" in body
    body = page(client, two.manager, WEEK, day="soon")
    assert 'data-day="2026-03-10"' in body


def test_the_menu_links_the_calendar(client, two):
    body = page(client, two.a_dept, reverse("home"))
    assert f'href="{MONTH}"' in body

"""Each role starts where its work is (issue 13 §4): the engineer's, the hotline's, the
manager's and the hospital user's home, each panel's count read through the list's own
filters, so the number on the home is the number of rows of the list it links to."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from customers.models import HospitalRole
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user
from duty import services as duty_services
from duty.tests.factories import ServiceRegionFactory
from tests.homes_world import NOON, home_world, open_request

pytestmark = pytest.mark.django_db

# The panels each home shows, in order.
PANELS = {
    "engineer": ["my_jobs", "my_visits"],
    "dispatcher": ["unassigned", "calls_today", "reported_today"],
    "manager": [
        "breached",
        "at_risk",
        "unassigned",
        "disputed",
        "to_review",
        "to_send",
        "overdue_visits",
        "overdue_return_visits",
    ],
    "hospital": [
        "open_requests",
        "records_to_sign",
        "visits_to_sign",
        "return_visits_to_sign",
        "to_accept",
    ],
}
# A home reads two queries a panel and their prefetches, whatever the number of rows.
MAX_QUERIES = 45
# What the small world puts in each panel.
COUNTS = {
    "engineer": {"my_jobs": 7, "my_visits": 2},
    "dispatcher": {"unassigned": 1, "calls_today": 2, "reported_today": 8},
    "manager": {
        "breached": 1,
        "at_risk": 1,
        "unassigned": 1,
        "disputed": 1,
        "to_review": 1,
        "to_send": 1,
        "overdue_visits": 1,
        "overdue_return_visits": 1,
    },
    "hospital": {
        "open_requests": 8,
        "records_to_sign": 1,
        "visits_to_sign": 1,
        "return_visits_to_sign": 1,
        "to_accept": 1,
    },
}


def _counts(html: str) -> dict[str, tuple[int, str]]:
    """{panel: (count, link)} of the home's count tiles."""
    found = re.findall(
        r'href="([^"]+)" data-panel-count="(\w+)".*?data-count-value>(\d+)<', html, re.S
    )
    return {key: (int(count), url.replace("&amp;", "&")) for url, key, count in found}


def _rows_of_list(client, url: str) -> int:
    """How many rows the list at ``url`` shows (all on one page here)."""
    context = client.get(url).context
    page = context.get("page") or context.get("page_obj")
    return page.paginator.count


@pytest.fixture
def world():
    with time_machine.travel(NOON, tick=True):
        yield home_world()


@pytest.mark.parametrize("role", list(PANELS))
def test_each_role_lands_on_its_home_with_its_panels_and_counts(role, client, world):
    client.force_login(world[role])
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    counts = _counts(html)
    assert list(counts) == PANELS[role]
    assert {key: count for key, (count, _url) in counts.items()} == COUNTS[role]
    # Every panel with something in it shows its first rows.
    for key in PANELS[role]:
        assert f'data-panel="{key}"' in html, key


@pytest.mark.parametrize("role", list(PANELS))
def test_every_count_is_the_number_of_rows_of_the_list_it_links_to(role, client, world):
    client.force_login(world[role])
    counts = _counts(client.get(reverse("home")).content.decode())
    for key, (count, url) in counts.items():
        if key == "my_jobs":  # the my-jobs page: one card per job
            jobs = client.get(url).context["jobs"]
            assert len(jobs) == count
            continue
        assert _rows_of_list(client, url) == count, (key, url)


def test_the_manager_sees_which_request_is_where(client, world):
    client.force_login(world["manager"])
    html = client.get(reverse("home")).content.decode()
    panel = html.split('data-panel="breached"')[1].split("</section>")[0]
    assert f'data-request="{world["breached"].pk}"' in panel
    assert f'data-request="{world["at_risk"].pk}"' not in panel
    panel = html.split('data-panel="unassigned"')[1].split("</section>")[0]
    assert f'data-request="{world["unassigned"].pk}"' in panel
    assert "data-countdown" in panel  # the live promise


def test_a_superuser_sees_the_manager_home(client, world, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    html = client.get(reverse("home")).content.decode()
    assert 'data-home="manager"' in html
    assert list(_counts(html)) == PANELS["manager"]


def test_the_primary_actions(client, world):
    client.force_login(world["hospital"])
    html = client.get(reverse("home")).content.decode()
    report = reverse("service:request_create")
    assert re.search(rf'href="{report}" data-primary-action>.*Report a fault', html)
    client.force_login(world["dispatcher"])
    html = client.get(reverse("home")).content.decode()
    desk = reverse("service:hotline")
    assert re.search(rf'href="{desk}" data-primary-action>.*Log a call', html)
    client.force_login(world["engineer"])
    html = client.get(reverse("home")).content.decode()
    # The engineer's jobs carry their step buttons, which come back to the home.
    panel = html.split('data-panel="my_jobs"')[1].split("</section>")[0]
    assert 'data-step="arrived"' in panel
    assert f'name="next" value="{reverse("home")}"' in panel


def test_a_department_user_counts_only_their_departments(client, world):
    other_department = DepartmentFactory(hospital=world["hospital_obj"], name="放射科")
    user = hospital_user(
        world["hospital_obj"],
        username="radiology",
        role=HospitalRole.DEPARTMENT_USER,
        departments=[other_department],
    )
    client.force_login(user)
    counts = _counts(client.get(reverse("home")).content.decode())
    assert {key: count for key, (count, _url) in counts.items()} == dict.fromkeys(
        PANELS["hospital"], 0
    )


def test_another_hospital_counts_nothing_of_ours(client, world):
    client.force_login(hospital_user(HospitalFactory(name="其他医院"), username="other"))
    counts = _counts(client.get(reverse("home")).content.decode())
    assert {count for count, _url in counts.values()} == {0}


@pytest.mark.parametrize("role", list(PANELS))
def test_a_home_takes_a_bounded_number_of_queries(
    role, client, world, django_assert_max_num_queries
):
    client.force_login(world[role])
    client.get(reverse("home"))  # warm the per-process caches (policies, translations)
    with django_assert_max_num_queries(MAX_QUERIES) as before:
        client.get(reverse("home"))
    # More rows in every request panel do not cost more queries.
    dispatcher = vendor_user(VendorRole.DISPATCHER, username="dispatcher-2")
    for minutes in (20, 30, 40):
        engineer = world["engineer"] if minutes == 40 else None
        open_request(
            world["uncovered"],
            ago=dt.timedelta(minutes=minutes),
            recorded_by=dispatcher,
            engineer=engineer,
        )
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(reverse("home"))


def test_the_engineer_sees_the_next_shift_and_the_manager_the_roster_gaps(client, world):
    """The duty roster on the homes: the engineer's shift going on now or next, the
    manager's gaps of the next 60 days (loaded from the roster's own fragment)."""
    region = ServiceRegionFactory(name="青岛市区")
    starts = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    client.force_login(world["engineer"])
    assert "data-next-shift" not in client.get(reverse("home")).content.decode()
    shift = duty_services.shift_create(
        region=region,
        role="engineer",
        user=world["engineer"],
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=12),
        by=world["manager"],
    )
    html = client.get(reverse("home")).content.decode()
    assert f'data-next-shift="{shift.pk}"' in html and "青岛市区" in html
    assert reverse("duty:gaps_panel") not in html
    client.force_login(world["manager"])
    assert reverse("duty:gaps_panel") in client.get(reverse("home")).content.decode()
    client.force_login(world["hospital"])
    assert reverse("duty:gaps_panel") not in client.get(reverse("home")).content.decode()


def test_the_hotline_sees_todays_calls_and_the_requests_without_an_engineer(client, world):
    """The hotline's home: today's calls (the vendor's day) with the open one on top of its
    panel, linking to the calls page filtered to that day; and the open requests nobody
    has been sent to."""
    client.force_login(world["dispatcher"])
    html = client.get(reverse("home")).content.decode()
    counts = _counts(html)
    count, url = counts["calls_today"]
    assert url.startswith(reverse("service:hotline_calls")) and "day=2026-03-10" in url
    panel = html.split('data-panel="calls_today"')[1].split("</section>")[0]
    assert f'data-call="{world["fault_call"].pk}"' in panel
    assert 'data-outcome="open"' in panel and 'data-outcome="closed"' in panel
    # The calls page lists the same two rows; every day of the log has the third.
    listed = client.get(url).context["page"]
    assert {call.pk for call in listed} == {call.pk for call in listed.paginator.object_list}
    assert listed.paginator.count == count == 2
    assert (
        client.get(reverse("service:hotline_calls"), {"day": ""}).context["page"].paginator.count
        == 3
    )
    panel = html.split('data-panel="unassigned"')[1].split("</section>")[0]
    assert f'data-request="{world["unassigned"].pk}"' in panel
    assert f'data-request="{world["breached"].pk}"' not in panel

"""The archive per hospital and per contract (issue 14 §1, R-7.6: "a service archive per
project"): every device's entries merged newest first, filtered by kind, days, device and
(for a hospital) department, paged; a hospital's users only their own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from archive.filters import archive_query, contract_subject, hospital_subject
from archive.selectors import timeline
from core.archive import sort_key
from customers.models import HospitalRole
from customers.tests.factories import HospitalFactory, hospital_user

pytestmark = pytest.mark.django_db


def entries(subject, user, **kwargs):
    return timeline(archive_query(subject=subject, visible_to=user, limit=500, **kwargs)).entries


def test_a_hospitals_archive_merges_all_its_devices_newest_first(group):
    manager = group["manager"]
    found = entries(hospital_subject(group["hospital"], visible_to=manager), manager)
    assert found == sorted(found, key=sort_key)
    records = [e for e in found if e.kind == "repair_record"]
    assert {e.device_id for e in records} == {
        group["ventilator"].pk,
        group["scanner"].pk,
        group["outside"].pk,
    }  # not the other hospital's
    assert {e.device_id for e in found if e.kind == "installation"} >= {
        group["ventilator"].pk, group["scanner"].pk
    }  # fmt: skip


def test_a_contracts_archive_holds_its_devices_only(group):
    manager = group["manager"]
    found = entries(contract_subject(group["contract"], visible_to=manager), manager)
    devices = {e.device_id for e in found if e.device_id is not None}
    assert devices == {group["ventilator"].pk, group["scanner"].pk}


def test_filters_by_device_department_kind_and_days(group):
    manager = group["manager"]
    subject = hospital_subject(group["hospital"], visible_to=manager)
    by_device = entries(subject, manager, only_device=group["scanner"].pk)
    assert {e.device_id for e in by_device if e.device_id} == {group["scanner"].pk}
    by_department = entries(subject, manager, only_department=group["icu"].pk)
    assert {e.device_id for e in by_department if e.device_id} == {
        group["ventilator"].pk, group["outside"].pk
    }  # fmt: skip
    march = entries(subject, manager, kinds=["repair_record"], first_day=dt.date(2026, 3, 1),
                    last_day=dt.date(2026, 3, 31))  # fmt: skip
    assert [e.device_id for e in march] == [group["scanner"].pk, group["ventilator"].pk]


def test_a_device_or_department_outside_the_archive_is_refused_on_its_field(group):
    manager = group["manager"]
    contract = contract_subject(group["contract"], visible_to=manager)
    with pytest.raises(ValidationError) as refused:
        archive_query(subject=contract, visible_to=manager, only_device=group["outside"].pk)
    assert set(refused.value.message_dict) == {"device"}
    with pytest.raises(ValidationError) as refused:
        archive_query(subject=contract, visible_to=manager, only_department=group["icu"].pk)
    assert set(refused.value.message_dict) == {"department"}


def test_pages_and_api_page_the_hospitals_archive_once(client, group):
    client.force_login(group["manager"])
    url = f"/api/v1/hospitals/{group['hospital'].pk}/archive"
    whole = client.get(url, {"limit": 500}).json()
    assert whole["count"] == len(whole["items"]) > 6
    pages, offset = [], 0
    while offset < whole["count"]:
        pages += client.get(url, {"limit": 4, "offset": offset}).json()["items"]
        offset += 4
    assert pages == whole["items"]
    only = client.get(url, {"device": group["scanner"].pk, "kind": "repair_record"}).json()
    assert [i["device_id"] for i in only["items"]] == [group["scanner"].pk]
    refused = client.get(url, {"department": 10**20})
    assert refused.status_code == 422
    refused = client.get(url, {"device": group["elsewhere"].pk})
    assert refused.status_code == 422 and "device" in str(refused.json())
    contract_url = f"/api/v1/contracts/{group['contract'].pk}/archive"
    items = client.get(contract_url, {"limit": 500}).json()["items"]
    assert {i["device_id"] for i in items if i["device_id"]} == {
        group["ventilator"].pk, group["scanner"].pk
    }  # fmt: skip


def test_the_pages_show_each_entrys_device_and_filter(client, group):
    client.force_login(group["manager"])
    url = reverse("archive:hospital_archive", args=[group["hospital"].pk])
    page = client.get(url).content.decode()
    assert "CT-002" in page and "VT-001" in page and "MON-003" in page
    assert reverse("archive:hospital_dossier", args=[group["hospital"].pk]) in page
    fragment = client.get(
        url, {"department": group["radiology"].pk}, HTTP_HX_REQUEST="true"
    ).content.decode()
    shown = fragment.partition("list-unstyled archive-timeline")[2]  # the entries alone
    assert "<html" not in fragment and "CT-002" in shown and "VT-001" not in shown
    refused = client.get(url, {"device": "999999999"})
    assert refused.status_code == 200 and "invalid-feedback" in refused.content.decode()
    contract_page = client.get(reverse("archive:contract_archive", args=[group["contract"].pk]))
    assert contract_page.status_code == 200 and "MON-003" not in contract_page.content.decode()
    hospital_page = client.get(reverse("customers:hospital_detail", args=[group["hospital"].pk]))
    assert url in hospital_page.content.decode()
    contract_detail = client.get(reverse("contracts:contract_detail", args=[group["contract"].pk]))
    assert reverse("archive:contract_archive", args=[group["contract"].pk]) in (
        contract_detail.content.decode()
    )


def test_a_hospitals_users_see_their_own_hospital_only(client, group):
    hospital = group["hospital"]
    own = hospital_user(hospital, username="own-admin")
    icu_only = hospital_user(
        hospital, HospitalRole.DEPARTMENT_USER, departments=[group["icu"]], username="icu"
    )
    other = hospital_user(HospitalFactory(), username="other-admin")
    urls = [
        reverse("archive:hospital_archive", args=[hospital.pk]),
        reverse("archive:contract_archive", args=[group["contract"].pk]),
        f"/api/v1/hospitals/{hospital.pk}/archive",
        f"/api/v1/contracts/{group['contract'].pk}/archive",
    ]
    client.force_login(other)
    assert [client.get(url).status_code for url in urls] == [404, 404, 404, 404]
    client.force_login(own)
    assert [client.get(url).status_code for url in urls] == [200, 200, 200, 200]
    # A department's user: the hospital's archive of their department's devices only.
    client.force_login(icu_only)
    items = client.get(urls[2], {"limit": 500}).json()["items"]
    assert {i["device_id"] for i in items if i["device_id"]} <= {
        group["ventilator"].pk, group["outside"].pk
    }  # fmt: skip


@pytest.mark.parametrize(
    "params",
    [
        {"device": 10**20},
        {"department": -1},
        {"kind": "nonsense"},
        {"from": "0001-01-01", "to": "9999-12-31"},
        {"from": "2026-03-09", "to": "2026-03-01"},
        {"offset": 10**20},
        {"device": "abc"},
    ],
)
def test_absurd_filters_are_a_422_or_a_page_never_a_500(client, group, params):
    client.force_login(group["manager"])
    for url in (
        f"/api/v1/hospitals/{group['hospital'].pk}/archive",
        f"/api/v1/contracts/{group['contract'].pk}/archive",
    ):
        assert client.get(url, params).status_code in {200, 422}, (url, params)
    for url in (
        reverse("archive:hospital_archive", args=[group["hospital"].pk]),
        reverse("archive:contract_archive", args=[group["contract"].pk]),
    ):
        assert client.get(url, params).status_code == 200, (url, params)
    dossier = reverse("archive:hospital_dossier", args=[group["hospital"].pk])
    assert client.get(dossier, {**params, "format": "zip"}).status_code in {200, 422}
    assert client.get(f"/api/v1/hospitals/{10**20}/archive").status_code in {404, 422}

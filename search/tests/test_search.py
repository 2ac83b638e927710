"""The search box (issue 14 §4): every kind found by what people type or scan, Chinese
substrings, only what the viewer may see, groups with "all N" links, an exact identifier
opening its record, bad input answered in words, the API."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory, ProductModelFactory
from core.search import COUNT_CAP, SearchQuery, SearchTextError, clean_text
from customers.models import HospitalRole
from customers.tests.factories import (
    ContactFactory,
    DepartmentFactory,
    HospitalFactory,
    hospital_user,
)
from search.selectors import search
from service.services import service_request_open

pytestmark = pytest.mark.django_db

GTIN = "06971234567895"  # valid check digit


def _open_request(device, description: str):
    return service_request_open(
        device=device,
        severity="normal",
        channel="hotline",
        description=description,
        reporter_name="Reporter",
        recorded_by=vendor_user(VendorRole.DISPATCHER),
        reported_at=timezone.now() - dt.timedelta(hours=1),
    )


class World:
    def __init__(self) -> None:
        model = ProductModelFactory(manufacturer="迈瑞", name="BeneVision N15 监护仪")
        self.east = HospitalFactory(name="东海市人民医院", code="DH01")
        self.west = HospitalFactory(name="西山县中医院", code="XS02")
        self.icu = DepartmentFactory(hospital=self.east, name="重症医学科")
        self.ward = DepartmentFactory(hospital=self.east, name="心内科")
        self.west_icu = DepartmentFactory(hospital=self.west, name="重症医学科")
        self.contact = ContactFactory(
            hospital=self.east, department=self.icu, name="王丽", phone="0532-8286 1234"
        )
        self.west_contact = ContactFactory(
            hospital=self.west, department=self.west_icu, name="王强", phone="138 0013 8000"
        )
        self.device = DeviceFactory(
            product_model=model,
            department=self.icu,
            serial_number="MR-2024-0001",
            asset_tag="DH-ZC-0099",
            location="3楼 5床",
            udi_di=GTIN,
            udi_serial="MR-2024-0001",
        )
        self.ward_device = DeviceFactory(
            product_model=model, department=self.ward, serial_number="MR-2024-0002"
        )
        self.west_device = DeviceFactory(
            product_model=model, department=self.west_icu, serial_number="MR-2024-0003"
        )
        self.request = _open_request(self.device, "监护仪黑屏，无法开机")
        self.west_request = _open_request(self.west_device, "监护仪黑屏，报警不停")
        self.engineer = vendor_user(VendorRole.ENGINEER)
        self.dispatcher = vendor_user(VendorRole.DISPATCHER)
        self.east_admin = hospital_user(self.east)
        self.ward_user = hospital_user(
            self.east, HospitalRole.DEPARTMENT_USER, departments=[self.ward]
        )


@pytest.fixture
def world() -> World:
    return World()


def _groups(user, text: str, **kwargs) -> dict[str, list[str]]:
    found = search(SearchQuery(text=clean_text(text), visible_to=user, **kwargs))
    return {group.kind: [hit.title for hit in group.hits] for group in found.groups}


# --- each kind ----------------------------------------------------------------------------
def test_a_request_by_its_number_a_word_of_its_symptom_and_its_devices_serial(world):
    number = world.request.number
    assert _groups(world.engineer, number.lower())["request"] == [number]
    assert set(_groups(world.engineer, "黑屏")["request"]) == {
        number,
        world.west_request.number,
    }
    assert _groups(world.engineer, "无法开机")["request"] == [number]
    assert _groups(world.engineer, number[-6:])["request"] == [number]
    assert _groups(world.engineer, "MR-2024-0001")["request"] == [number]


def test_a_device_by_serial_asset_tag_udi_label_and_words_of_its_place(world):
    title = str(world.device)
    assert _groups(world.engineer, "mr-2024-0001")["device"] == [title]
    assert _groups(world.engineer, "DH-ZC-0099")["device"] == [title]
    assert _groups(world.engineer, f"(01){GTIN}(21)MR-2024-0001")["device"] == [title]
    assert _groups(world.engineer, f"01{GTIN}21MR-2024-0001")["device"] == [title]
    label = f"https://service.example.com/d/{world.device.public_id}/"
    assert _groups(world.engineer, label)["device"] == [title]
    assert _groups(world.engineer, str(world.device.public_id))["device"] == [title]
    assert _groups(world.engineer, "ZC-00")["device"] == [title]
    assert _groups(world.engineer, "东海市 重症医学科 监护仪")["device"] == [title]


def test_hospitals_departments_and_contacts_by_part_of_their_chinese_names(world):
    found = _groups(world.engineer, "东海")
    assert found["hospital"] == ["东海市人民医院"]
    found = _groups(world.engineer, "重症")
    assert found["department"] == ["重症医学科", "重症医学科"]
    assert set(_groups(world.engineer, "王丽")["contact"]) == {"王丽"}
    assert _groups(world.engineer, "dh01")["hospital"] == ["东海市人民医院"]


def test_a_contact_by_phone_in_any_written_form(world):
    for typed in ("053282861234", "+86 532 8286 1234", "(0532) 8286-1234", "8286 1234"):
        assert _groups(world.engineer, typed)["contact"] == ["王丽"], typed
    assert _groups(world.engineer, "+86 138-0013-8000")["contact"] == ["王强"]


def test_two_chinese_characters_find_a_symptom_a_place_and_a_name(world):
    # Two characters have no trigram: PostgreSQL finds them by their bigram index.
    assert set(_groups(world.engineer, "黑屏")["request"]) == {
        world.request.number,
        world.west_request.number,
    }
    assert _groups(world.engineer, "5床")["device"] == [str(world.device)]
    assert _groups(world.engineer, "东海")["hospital"] == ["东海市人民医院"]
    # Two characters of a number are in every number: not a search by number.
    assert "request" not in _groups(world.engineer, world.request.number[:2])


# --- who sees what ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    ["西山", "XS02", "MR-2024-0003", "报警不停", "138 0013 8000", "王强", "重症医学科", "监护仪"],
)
def test_a_hospital_user_never_finds_another_hospitals_records(client, world, text):
    west_pages = {
        reverse("customers:hospital_detail", args=[world.west.pk]),
        reverse("customers:department_detail", args=[world.west_icu.pk]),
        reverse("assets:device_detail", args=[world.west_device.pk]),
        reverse("service:request_detail", args=[world.west_request.pk]),
    }
    for user in (world.east_admin, world.ward_user):
        found = search(SearchQuery(text=clean_text(text), visible_to=user))
        for group in found.groups:
            for hit in group.hits:
                assert "西山" not in hit.title + hit.detail, (user, text, hit)
                assert hit.url not in west_pages, (user, text, hit)
        # The API and the page answer the same: probe them too (they repeat what was
        # typed, "西山", but never the hospital's full name nor a link to its records).
        client.force_login(user)
        answer = client.get("/api/v1/search", {"q": text}).content.decode()
        page = client.get(reverse("search:results"), {"q": text})
        for body in (answer, page.content.decode()):
            assert "西山县" not in body
            assert not any(url in body for url in west_pages)
        assert page.status_code == 200 or page["Location"] not in west_pages


def test_a_department_user_finds_only_their_departments_devices_and_requests(world):
    found = _groups(world.ward_user, "MR-2024")
    assert found["device"] == [str(world.ward_device)]
    assert "request" not in found  # the ICU's request is not theirs
    # The hospital and its contacts are visible to every member of the hospital.
    assert _groups(world.ward_user, "东海")["hospital"] == ["东海市人民医院"]
    assert _groups(world.ward_user, "王丽")["contact"] == ["王丽"]


def test_vendor_staff_find_every_hospital(world):
    assert set(_groups(world.dispatcher, "医院")["hospital"]) == {"东海市人民医院", "西山县中医院"}


# --- the page -----------------------------------------------------------------------------
def test_the_page_groups_by_kind_with_all_n_links_to_each_kinds_list(client, world):
    for n in range(7):
        DeviceFactory(department=world.icu, serial_number=f"ICU-{n:03d}")
    client.force_login(world.engineer)
    response = client.get(reverse("search:results"), {"q": "ICU-0"})
    assert response.status_code == 200
    groups = response.context["results"].groups
    assert [g.kind for g in groups] == ["device"]
    (devices,) = groups
    assert devices.count == 7 and len(devices.hits) == 5
    link = urlparse(devices.all_url)
    assert link.path == reverse("assets:device_list")
    assert parse_qs(link.query) == {"q": ["ICU-0"]}
    body = response.content.decode()
    assert "All 7 results" in body
    # The list behind the link shows the same seven.
    listed = client.get(devices.all_url)
    assert listed.status_code == 200
    assert all(f"ICU-{n:03d}" in listed.content.decode() for n in range(7))


def test_the_requests_all_link_is_the_request_lists_own_search(client, world):
    client.force_login(world.engineer)
    response = client.get(reverse("search:results"), {"q": "监护仪黑屏"})
    (requests,) = [g for g in response.context["results"].groups if g.kind == "request"]
    assert requests.count == 2
    listed = client.get(requests.all_url).content.decode()
    assert world.request.number in listed and world.west_request.number in listed


def test_departments_and_contacts_list_on_the_search_page_itself(client, world):
    for n in range(6):
        DepartmentFactory(hospital=world.west, name=f"重症病区{n}")
    client.force_login(world.engineer)
    response = client.get(reverse("search:results"), {"q": "重症"})
    (departments,) = [g for g in response.context["results"].groups if g.kind == "department"]
    assert departments.count == 8
    assert parse_qs(urlparse(departments.all_url).query) == {"q": ["重症"], "kind": ["department"]}
    alone = client.get(departments.all_url)
    assert [g.kind for g in alone.context["results"].groups] == ["department"]
    assert len(alone.context["results"].groups[0].hits) == 8


def test_an_exact_identifier_opens_its_record(client, world):
    client.force_login(world.engineer)
    response = client.get(reverse("search:results"), {"q": world.request.number})
    assert response.status_code == 302
    assert response["Location"] == reverse("service:request_detail", args=[world.request.pk])
    for typed in ("MR-2024-0001", "dh-zc-0099", f"(01){GTIN}(21)MR-2024-0001"):
        response = client.get(reverse("search:results"), {"q": typed})
        assert response["Location"] == reverse("assets:device_detail", args=[world.device.pk])
    # A part of a serial is a list, not a record.
    assert client.get(reverse("search:results"), {"q": "MR-2024"}).status_code == 200


def test_a_serial_two_devices_share_is_a_choice(client, world):
    DeviceFactory(department=world.west_icu, serial_number="MR-2024-0001")
    client.force_login(world.engineer)
    response = client.get(reverse("search:results"), {"q": "MR-2024-0001"})
    assert response.status_code == 200
    (devices,) = [g for g in response.context["results"].groups if g.kind == "device"]
    assert devices.count == 2 and not devices.exact


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("x", "Type at least 2 characters."),
        ("   ", ""),
        ("a" * 500, "Use at most 100 characters."),
    ],
)
def test_bad_input_on_the_page_is_a_sentence(client, world, typed, message):
    client.force_login(world.engineer)
    response = client.get(reverse("search:results"), {"q": typed})
    assert response.status_code == 200
    assert response.context["error"] == message
    if message:
        assert message in response.content.decode()


def test_a_nul_is_refused_at_the_door(client, world):
    client.force_login(world.engineer)
    assert client.get(reverse("search:results"), {"q": "MR\x00"}).status_code == 422
    response = client.get("/api/v1/search", {"q": "MR\x00"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "q"]


def test_clean_text_collapses_spaces_and_refuses_what_cannot_be_searched():
    assert clean_text("  东海   重症 ") == "东海 重症"
    for bad in ("", "  ", "x", "a" * 101, "ab\x00"):
        with pytest.raises(SearchTextError):
            clean_text(bad)


def test_an_unknown_kind_on_the_page_is_every_kind(client, world):
    client.force_login(world.engineer)
    response = client.get(reverse("search:results"), {"q": "东海", "kind": "nonsense"})
    assert response.status_code == 200
    assert "hospital" in [g.kind for g in response.context["results"].groups]


def test_nothing_found_says_so(client, world):
    client.force_login(world.engineer)
    response = client.get(reverse("search:results"), {"q": "不存在的东西"})
    assert response.status_code == 200
    assert "Nothing found" in response.content.decode()


def test_the_suggestions_show_a_few_of_each_kind_and_nothing_for_bad_input(client, world):
    client.force_login(world.engineer)
    response = client.get(reverse("search:suggest"), {"q": "东海"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "东海市人民医院" in body
    assert client.get(reverse("search:suggest"), {"q": "x"}).content.decode().strip() == ""


def test_the_navbar_box_asks_the_search_page(client, world):
    client.force_login(world.ward_user)
    body = client.get("/").content.decode()
    assert f'action="{reverse("search:results")}"' in body
    assert f'hx-get="{reverse("search:suggest")}"' in body


def test_a_count_beyond_the_cap_is_more_than_the_cap(world, monkeypatch):
    monkeypatch.setattr("core.search.COUNT_CAP", 3)
    for n in range(5):
        DeviceFactory(department=world.icu, serial_number=f"CAP-{n}")
    (group,) = search(
        SearchQuery(text="CAP-", visible_to=world.engineer, kinds=frozenset({"device"}), limit=2)
    ).groups
    assert group.count == 4 and group.capped and group.shown_count == 3
    assert COUNT_CAP == 1000


# --- the API ------------------------------------------------------------------------------
def test_the_api_answers_the_groups(client, world):
    client.force_login(world.east_admin)
    response = client.get("/api/v1/search", {"q": "东海"})
    assert response.status_code == 200
    data = response.json()
    assert data["q"] == "东海"
    (hospitals,) = [g for g in data["groups"] if g["kind"] == "hospital"]
    assert hospitals["count"] == 1 and not hospitals["exact"]
    assert hospitals["items"][0]["title"] == "东海市人民医院"
    assert hospitals["items"][0]["url"] == reverse(
        "customers:hospital_detail", args=[world.east.pk]
    )
    exact = client.get("/api/v1/search", {"q": "MR-2024-0001", "kind": "device"}).json()
    assert exact["groups"][0]["exact"] is True
    assert client.get("/api/v1/search", {"q": "西山"}).json()["groups"] == []


@pytest.mark.parametrize(
    "params",
    [{}, {"q": ""}, {"q": "x"}, {"q": "   "}, {"q": "a" * 500}, {"q": "东海", "kind": "x"}],
)
def test_the_api_refuses_bad_input_with_422_on_the_field(client, world, params):
    client.force_login(world.engineer)
    response = client.get("/api/v1/search", params)
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["loc"][0] == "query" and error["loc"][-1] in {"q", "kind"}
    assert error["msg"]


def test_beyond_the_cap_a_hospital_user_still_finds_their_own_devices(world, monkeypatch):
    """The devices found first are capped; they are found within the viewer's scope, so
    another hospital's many matches never crowd out the viewer's own."""
    monkeypatch.setattr("assets.search.COUNT_CAP", 3)
    for n in range(8):
        DeviceFactory(department=world.west_icu, serial_number=f"CROWD-W{n}")
    DeviceFactory(department=world.icu, serial_number="CROWD-E1")
    found = _groups(world.east_admin, "CROWD", kinds=frozenset({"device"}))
    assert [title.split(" · ")[-1] for title in found["device"]] == ["CROWD-E1"]


def test_a_word_of_one_character_beside_others_is_left_out(world):
    assert _groups(world.engineer, "MR-2024-0001 x")["device"] == [str(world.device)]

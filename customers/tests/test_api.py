"""REST API: the service organisation, hospitals, departments, contacts (issue 2 §6)."""

from __future__ import annotations

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from core.tests.apiclient import Api, locs
from customers.models import Contact, Department, Hospital, HospitalRole

from .factories import ContactFactory, DepartmentFactory, HospitalFactory, hospital_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_api(client):
    return Api(client, vendor_user(VendorRole.MANAGER))


@pytest.fixture
def hospital_a():
    return HospitalFactory(name="Hospital A")


@pytest.fixture
def hospital_b():
    return HospitalFactory(name="Hospital B")


@pytest.fixture
def admin_a_api(client, hospital_a):
    return Api(client, hospital_user(hospital_a, role=HospitalRole.EQUIPMENT_ADMIN))


# --- hospitals --------------------------------------------------------------------------
def test_post_hospital_with_name_only(manager_api):
    """Issue 2 §6: POST /api/v1/hospitals {"name"} → 201 with the object and its id."""
    response = manager_api.post("/hospitals", {"name": "青岛市立医院"})
    assert response.status_code == 201, response.content
    body = response.json()
    hospital = Hospital.objects.get(pk=body["id"])
    assert body["name"] == hospital.name == "青岛市立医院"
    assert body["time_zone"] == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ["body", "name"]),
        ({"name": ""}, ["body", "name"]),
        ({"name": "X", "time_zone": "Mars/Olympus"}, ["body", "time_zone"]),
    ],
    ids=["missing-name", "empty-name", "bad-time-zone"],
)
def test_post_hospital_bad_input(manager_api, body, loc):
    response = manager_api.post("/hospitals", body)
    assert loc in locs(response)
    assert not Hospital.objects.exists()


def test_hospital_read_patch_list(manager_api):
    hospitals = [HospitalFactory(name=f"Hospital {n:02d}") for n in range(5)]
    HospitalFactory(name="Clinic Z")
    page = manager_api.get("/hospitals", limit=2, offset=2).json()
    assert page["count"] == 6
    assert (page["limit"], page["offset"]) == (2, 2)
    # Ordered by name: Clinic Z, Hospital 00, Hospital 01, …
    assert [h["name"] for h in page["items"]] == ["Hospital 01", "Hospital 02"]
    assert manager_api.get("/hospitals", q="clinic").json()["count"] == 1

    target = hospitals[0]
    assert manager_api.get(f"/hospitals/{target.pk}").json()["name"] == "Hospital 00"
    response = manager_api.patch(f"/hospitals/{target.pk}", {"phone": "0532-1"})
    assert response.status_code == 200
    target.refresh_from_db()
    assert (target.name, target.phone) == ("Hospital 00", "0532-1")


def test_hospital_patch_null_clears_optional_text(manager_api):
    hospital = HospitalFactory(code="QD01")
    response = manager_api.patch(f"/hospitals/{hospital.pk}", {"code": None, "phone": None})
    assert response.status_code == 200, response.content
    assert response.json()["code"] == ""
    assert locs(manager_api.patch(f"/hospitals/{hospital.pk}", {"name": None})) == [
        ["body", "name"]
    ]


def test_hospital_patch_bad_time_zone_changes_nothing(manager_api, hospital_a):
    response = manager_api.patch(f"/hospitals/{hospital_a.pk}", {"time_zone": "Nowhere"})
    assert locs(response) == [["body", "time_zone"]]
    hospital_a.refresh_from_db()
    assert hospital_a.time_zone == "Asia/Shanghai"


def test_engineer_cannot_create_hospitals(client):
    api = Api(client, vendor_user(VendorRole.ENGINEER))
    response = api.post("/hospitals", {"name": "X"})
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "errors"}
    assert not Hospital.objects.exists()


# --- departments ------------------------------------------------------------------------
def test_post_department(manager_api, hospital_a):
    """Issue 2 §6: POST /api/v1/departments {"hospital_id","name"} → 201."""
    response = manager_api.post("/departments", {"hospital_id": hospital_a.pk, "name": "放射科"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert Department.objects.get(pk=body["id"]).hospital == hospital_a
    assert body["hospital_id"] == hospital_a.pk


def test_department_duplicate_name_is_422(manager_api, hospital_a):
    DepartmentFactory(hospital=hospital_a, name="ICU")
    response = manager_api.post("/departments", {"hospital_id": hospital_a.pk, "name": "ICU"})
    assert locs(response) == [["body", "name"]]
    assert Department.objects.count() == 1


def test_department_responsible_contact_of_other_hospital(manager_api, hospital_a, hospital_b):
    """R-2.3: the responsible person is of the department's hospital; the error names the
    request's field."""
    contact = ContactFactory(hospital=hospital_b)
    response = manager_api.post(
        "/departments",
        {"hospital_id": hospital_a.pk, "name": "ICU", "responsible_contact_id": contact.pk},
    )
    assert locs(response) == [["body", "responsible_contact_id"]]
    assert not Department.objects.exists()


def test_department_list_filters_and_patch(manager_api, hospital_a, hospital_b):
    icu = DepartmentFactory(hospital=hospital_a, name="ICU")
    DepartmentFactory(hospital=hospital_a, name="CT")
    DepartmentFactory(hospital=hospital_b, name="ICU")
    assert manager_api.get("/departments", hospital_id=hospital_a.pk).json()["count"] == 2
    assert manager_api.get("/departments", q="icu").json()["count"] == 2
    contact = ContactFactory(hospital=hospital_a)
    response = manager_api.patch(f"/departments/{icu.pk}", {"responsible_contact_id": contact.pk})
    assert response.status_code == 200
    assert response.json()["responsible_contact_id"] == contact.pk


# --- contacts ---------------------------------------------------------------------------
def test_contact_create_and_department_of_other_hospital(manager_api, hospital_a, hospital_b):
    department = DepartmentFactory(hospital=hospital_a)
    response = manager_api.post(
        "/contacts",
        {"hospital_id": hospital_a.pk, "department_id": department.pk, "name": "张三"},
    )
    assert response.status_code == 201
    foreign = DepartmentFactory(hospital=hospital_b)
    response = manager_api.post(
        "/contacts", {"hospital_id": hospital_a.pk, "department_id": foreign.pk, "name": "李四"}
    )
    assert locs(response) == [["body", "department_id"]]
    assert Contact.objects.count() == 1


def test_contact_bad_email(manager_api, hospital_a):
    response = manager_api.post(
        "/contacts", {"hospital_id": hospital_a.pk, "name": "王", "email": "nope"}
    )
    assert locs(response) == [["body", "email"]]


# --- service organisation (R-1.1) -------------------------------------------------------
def test_service_organisation_read_and_admin_patch(client):
    admin = Api(client, vendor_user(VendorRole.ADMIN))
    response = admin.patch("/service-organisation", {"name": "青岛青盾医疗科技有限公司"})
    assert response.status_code == 200
    assert admin.get("/service-organisation").json()["name"] == "青岛青盾医疗科技有限公司"
    manager = Api(client, vendor_user(VendorRole.MANAGER))
    assert manager.patch("/service-organisation", {"name": "X"}).status_code == 403


# --- hospital A never sees hospital B ---------------------------------------------------
def test_equipment_admin_gets_404_for_other_hospitals_objects(admin_a_api, hospital_a, hospital_b):
    department_b = DepartmentFactory(hospital=hospital_b)
    contact_b = ContactFactory(hospital=hospital_b)
    for url in (
        f"/hospitals/{hospital_b.pk}",
        f"/departments/{department_b.pk}",
        f"/contacts/{contact_b.pk}",
    ):
        response = admin_a_api.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": response.json()["detail"], "errors": []}
        assert admin_a_api.patch(url, {"name": "hacked"}).status_code == 404
    department_b.refresh_from_db()
    assert department_b.name != "hacked"
    assert admin_a_api.get(f"/hospitals/{hospital_a.pk}").status_code == 200


def test_equipment_admin_lists_only_own_hospital(admin_a_api, hospital_a, hospital_b):
    DepartmentFactory(hospital=hospital_a)
    DepartmentFactory(hospital=hospital_b)
    hospitals = admin_a_api.get("/hospitals").json()
    assert [h["id"] for h in hospitals["items"]] == [hospital_a.pk]
    departments = admin_a_api.get("/departments", hospital_id=hospital_b.pk).json()
    assert departments["count"] == 0


def test_equipment_admin_cannot_create_department_in_other_hospital(
    admin_a_api, hospital_a, hospital_b
):
    """Permission matrix: 422 on hospital_id, worded as for an id that does not exist."""
    response = admin_a_api.post("/departments", {"hospital_id": hospital_b.pk, "name": "X"})
    assert locs(response) == [["body", "hospital_id"]]
    missing = admin_a_api.post("/departments", {"hospital_id": 999_999, "name": "X"})
    assert locs(missing) == [["body", "hospital_id"]]
    msg_b = response.json()["errors"][0]["msg"].replace(str(hospital_b.pk), "N")
    msg_missing = missing.json()["errors"][0]["msg"].replace("999999", "N")
    assert msg_b == msg_missing  # no leak of existence
    assert not Department.objects.exists()
    ok = admin_a_api.post("/departments", {"hospital_id": hospital_a.pk, "name": "X"})
    assert ok.status_code == 201


def test_department_user_sees_own_department_and_hospital_name(client, hospital_a):
    mine = DepartmentFactory(hospital=hospital_a)
    sibling = DepartmentFactory(hospital=hospital_a)
    api = Api(
        client, hospital_user(hospital_a, role=HospitalRole.DEPARTMENT_USER, departments=[mine])
    )
    assert [d["id"] for d in api.get("/departments").json()["items"]] == [mine.pk]
    assert api.get(f"/departments/{sibling.pk}").status_code == 404
    assert api.get(f"/hospitals/{hospital_a.pk}").status_code == 200
    response = api.post("/departments", {"hospital_id": hospital_a.pk, "name": "New"})
    assert response.status_code == 403

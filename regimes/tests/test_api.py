"""API of the management regime: documents, versions (file as base64), receipts; bad input
answers 422 on the field and changes nothing."""

import base64
import datetime as dt

import pytest
import time_machine

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from core.tests.apiclient import Api, locs
from customers.models import HospitalRole
from customers.tests.factories import ContactFactory, DepartmentFactory, hospital_user
from regimes.models import RegimeDocument, RegimeReceipt, RegimeVersion

from .factories import PDF_BYTES, RegimeDocumentFactory, add_version, signature_data_url

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def department():
    return DepartmentFactory(name="ICU")


@pytest.fixture
def hospital(department):
    return department.hospital


@pytest.fixture
def engineer_api(client):
    return Api(client, vendor_user(VendorRole.ENGINEER))


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def test_document_version_receipt_round_trip(engineer_api, hospital, department):
    head = ContactFactory(hospital=hospital, department=department, name="Head")
    department.responsible_contact = head
    department.save()
    response = engineer_api.post(
        "/regime-documents",
        {"hospital_id": hospital.pk, "kind": "inspection", "title": "巡检制度"},
    )
    assert response.status_code == 201, response.content
    document_id = response.json()["id"]
    response = engineer_api.post(
        f"/regime-documents/{document_id}/versions",
        {
            "effective_from": "2026-01-01",
            "file": {"name": "巡检制度.pdf", "content_base64": b64(PDF_BYTES)},
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["number"] == 1 and response.json()["file_name"] == "巡检制度.pdf"
    response = engineer_api.post(
        f"/regime-documents/{document_id}/receipts",
        {"recipient_contact_id": head.pk, "signature_data_url": signature_data_url()},
    )
    assert response.status_code == 201, response.content
    receipt = response.json()
    assert (receipt["recipient_name"], receipt["department_id"], receipt["signed"]) == (
        "Head",
        department.pk,
        True,
    )
    engineer_api.post(
        f"/regime-documents/{document_id}/versions",
        {"effective_from": "2026-06-01", "text": "Now monthly", "summary": "monthly"},
    )
    detail = engineer_api.get(f"/regime-documents/{document_id}").json()
    assert detail["current_version"] == 2
    assert [r["needs_current_version"] for r in detail["receipts"]] == [True]
    assert detail["departments_without_current"] == [
        {"id": department.pk, "name": "ICU", "state": "outdated"}
    ]
    assert detail["contacts_without_current"][0]["name"] == "Head"


def test_the_list_filters_by_hospital_and_kind(engineer_api, hospital):
    mine = RegimeDocumentFactory(hospital=hospital, kind="emergency")
    RegimeDocumentFactory(kind="emergency")
    RegimeDocumentFactory(hospital=hospital, kind="inspection")
    body = engineer_api.get("/regime-documents", hospital_id=hospital.pk, kind="emergency").json()
    assert [item["id"] for item in body["items"]] == [mine.pk]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"effective_from": "2026-06-01"}, "text"),
        (
            {"effective_from": "2026-06-01", "file": {"name": "a.exe", "content_base64": "TVo="}},
            "file",
        ),
        (
            {"effective_from": "2026-06-01", "file": {"name": "a.pdf", "content_base64": "bad!"}},
            "file",
        ),
        (
            {"effective_from": "2026-06-01", "file": {"name": "a.pdf", "content_base64": "aGk="}},
            "file",
        ),
        ({"effective_from": "2025-12-31", "text": "earlier than version 1"}, "effective_from"),
        ({"text": "no date"}, "effective_from"),
    ],
)
def test_bad_versions_answer_422_on_the_field(engineer_api, hospital, body, field):
    document = RegimeDocumentFactory(hospital=hospital)
    add_version(document, dt.date(2026, 1, 1))
    response = engineer_api.post(f"/regime-documents/{document.pk}/versions", body)
    assert ["body", field] in locs(response)
    assert RegimeVersion.objects.count() == 1


def test_a_receipt_of_another_hospitals_version_answers_422(client, hospital):
    document = RegimeDocumentFactory(hospital=hospital)
    add_version(document, dt.date(2026, 1, 1))
    foreign = add_version(RegimeDocumentFactory(), dt.date(2026, 1, 1))
    body = {"version_id": foreign.pk, "recipient_name": "X"}
    # Vendor staff see both hospitals: the service explains.
    response = Api(client, vendor_user(VendorRole.MANAGER)).post(
        f"/regime-documents/{document.pk}/receipts", body
    )
    assert locs(response) == [["body", "version_id"]]
    assert "another hospital" in response.json()["errors"][0]["msg"]
    # The hospital's administrator does not see the other version at all.
    response = Api(client, hospital_user(hospital)).post(
        f"/regime-documents/{document.pk}/receipts", body
    )
    assert locs(response) == [["body", "version_id"]]
    assert "no such record" in response.json()["errors"][0]["msg"]
    assert not RegimeReceipt.objects.exists()


def test_a_receipt_with_bad_people_or_time_answers_422_on_each_field(engineer_api, hospital):
    document = RegimeDocumentFactory(hospital=hospital)
    add_version(document, dt.date(2026, 1, 1))
    other_contact = ContactFactory()  # another hospital's
    response = engineer_api.post(
        f"/regime-documents/{document.pk}/receipts",
        {
            "recipient_contact_id": other_contact.pk,
            "received_at": "2026-06-16T10:00:00+08:00",
            "signature_data_url": "data:image/png;base64,AAAA",
        },
    )
    assert sorted(locs(response)) == [
        ["body", "received_at"],
        ["body", "recipient_contact_id"],
        ["body", "recipient_name"],
        ["body", "signature_data_url"],
    ]
    assert not RegimeReceipt.objects.exists()


def test_who_may_write(client, hospital):
    document = RegimeDocumentFactory(hospital=hospital)
    add_version(document, dt.date(2026, 1, 1))
    department_user = hospital_user(hospital, HospitalRole.DEPARTMENT_USER)
    dispatcher = vendor_user(VendorRole.DISPATCHER)
    for user in (department_user, dispatcher):
        api = Api(client, user)
        assert api.get(f"/regime-documents/{document.pk}").status_code == 200
        url = f"/regime-documents/{document.pk}/receipts"
        assert api.post(url, {"recipient_name": "X"}).status_code == 403
        url = f"/regime-documents/{document.pk}/versions"
        assert api.post(url, {"effective_from": "2026-06-01", "text": "x"}).status_code == 403
    admin_api = Api(client, hospital_user(hospital))
    response = admin_api.post(f"/regime-documents/{document.pk}/receipts", {"recipient_name": "X"})
    assert response.status_code == 201
    response = admin_api.post(
        "/regime-documents", {"hospital_id": hospital.pk, "kind": "other", "title": "x"}
    )
    assert response.status_code == 403
    assert RegimeDocument.objects.count() == 1

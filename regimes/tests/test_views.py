"""The regime pages per role: the hospital's regime with its responsibility gaps, document
history, the forms (document, version upload, receipt on a phone) and the scoped files."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from customers.models import HospitalRole
from customers.tests.factories import (
    ContactFactory,
    DepartmentFactory,
    HospitalFactory,
    hospital_user,
)
from regimes import services
from regimes.models import RegimeDocument, RegimeReceipt

from .factories import PDF_BYTES, RegimeDocumentFactory, add_version, pdf_file, signature_data_url

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


class Place:
    """One hospital with a covered and a bare department, a document with two versions."""

    def __init__(self, tag: str) -> None:
        self.hospital = HospitalFactory(name=f"Hospital {tag}")
        self.head = ContactFactory(hospital=self.hospital, name=f"Head {tag}")
        self.icu = DepartmentFactory(
            hospital=self.hospital, name=f"ICU {tag}", responsible_contact=self.head
        )
        self.er = DepartmentFactory(hospital=self.hospital, name=f"ER {tag}")
        self.orphan = DeviceFactory(department=self.er, serial_number=f"ORPHAN-{tag}")
        self.document = RegimeDocumentFactory(hospital=self.hospital, title=f"巡检制度 {tag}")
        self.v1 = add_version(self.document, dt.date(2026, 1, 1), file=pdf_file())
        services.regime_receipt_record(
            document=self.document,
            version=self.v1,
            department=self.icu,
            recipient_name=f"Old reader {tag}",
            recorded_by=None,
        )
        self.v2 = add_version(self.document, dt.date(2026, 6, 1), summary="Monthly now")
        self.receipt = services.regime_receipt_record(
            document=self.document,
            recipient_contact=self.head,
            department=self.icu,
            signature_data_url=signature_data_url(),
            recorded_by=None,
        )
        self.admin = hospital_user(self.hospital, username=f"admin-{tag}")
        self.dept_user = hospital_user(
            self.hospital,
            HospitalRole.DEPARTMENT_USER,
            departments=[self.icu],
            username=f"dept-{tag}",
        )


@pytest.fixture
def a():
    return Place("A")


@pytest.fixture
def b():
    return Place("B")


def regime_url(place) -> str:
    return reverse("regimes:hospital_regime", args=[place.hospital.pk])


# --- the hospital's regime page -------------------------------------------------------
def test_the_regime_page_shows_responsible_persons_gaps_and_who_lacks_the_current_version(
    client, a
):
    client.force_login(vendor_user(VendorRole.ENGINEER))
    response = client.get(regime_url(a))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Head A" in body
    assert "1 department without a responsible person" in body
    assert "1 device without a responsible person" in body
    assert "ORPHAN-A" in body
    assert "Current: version 2" in body
    # ER never received it; the ICU has it (Head A signed for version 2).
    missing = response.context["regime"].documents[0].departments_without_current
    assert [s.recipient.name for s in missing] == ["ER A"]
    assert "Maintenance-responsibility rules" in body  # not yet established
    assert reverse("regimes:document_create", args=[a.hospital.pk]) in body


def test_hospital_users_read_their_own_regime_and_not_anothers(client, a, b):
    for user in (a.admin, a.dept_user):
        client.force_login(user)
        assert client.get(regime_url(a)).status_code == 200
        assert client.get(regime_url(b)).status_code == 404
        detail = reverse("regimes:document_detail", args=[b.document.pk])
        assert client.get(detail).status_code == 404


def test_the_department_user_reads_but_may_not_write(client, a):
    client.force_login(a.dept_user)
    body = client.get(regime_url(a)).content.decode()
    assert "Record receipt" not in body and "New version" not in body
    for name, arg in (
        ("regimes:document_create", a.hospital.pk),
        ("regimes:version_create", a.document.pk),
        ("regimes:receipt_create", a.document.pk),
    ):
        assert client.get(reverse(name, args=[arg])).status_code == 403, name
    assert client.get(reverse("regimes:document_detail", args=[a.document.pk])).status_code == 200


def test_the_hospital_page_links_to_its_regime(client, a):
    client.force_login(a.admin)
    body = client.get(reverse("customers:hospital_detail", args=[a.hospital.pk])).content
    assert regime_url(a).encode() in body


def test_the_overview_lists_hospitals_for_the_vendor_and_sends_a_hospital_user_home(client, a, b):
    client.force_login(vendor_user(VendorRole.DISPATCHER))
    body = client.get(reverse("regimes:overview")).content.decode()
    assert "Hospital A" in body and "Hospital B" in body
    client.force_login(a.admin)
    response = client.get(reverse("regimes:overview"))
    assert response.status_code == 302 and response.url == regime_url(a)


# --- the document page ----------------------------------------------------------------
def test_the_document_page_shows_history_and_receipts_needing_the_current_version(client, a):
    client.force_login(a.admin)
    response = client.get(reverse("regimes:document_detail", args=[a.document.pk]))
    body = response.content.decode()
    assert "Monthly now" in body and "superseded" in body
    assert "Old reader A" in body and "needs the current version" in body
    assert reverse("regimes:receipt_signature", args=[a.receipt.pk]) in body
    assert reverse("regimes:version_file", args=[a.v1.pk]) in body


# --- writing --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (VendorRole.ADMIN, True),
        (VendorRole.MANAGER, True),
        (VendorRole.ENGINEER, True),
        (VendorRole.DISPATCHER, False),
    ],
)
def test_vendor_roles_that_may_write_documents_and_versions(client, a, role, allowed):
    client.force_login(vendor_user(role))
    for url in (
        reverse("regimes:document_create", args=[a.hospital.pk]),
        reverse("regimes:version_create", args=[a.document.pk]),
        reverse("regimes:receipt_create", args=[a.document.pk]),
    ):
        assert client.get(url).status_code == (200 if allowed else 403), url


def test_an_engineer_creates_a_document_and_uploads_its_first_version(client, a):
    client.force_login(vendor_user(VendorRole.ENGINEER))
    response = client.post(
        reverse("regimes:document_create", args=[a.hospital.pk]),
        {"kind": "maintenance_responsibility", "title": "维修保养责任制度", "department": ""},
    )
    document = RegimeDocument.objects.get(title="维修保养责任制度")
    assert response.url == reverse("regimes:version_create", args=[document.pk])
    response = client.post(
        response.url,
        {
            "file": SimpleUploadedFile("制度.pdf", PDF_BYTES, content_type="application/pdf"),
            "effective_from": "2026-06-15",
            "summary": "First issue",
        },
    )
    assert response.status_code == 302
    version = document.versions.get()
    assert (version.number, version.file_name, version.summary) == (1, "制度.pdf", "First issue")


def test_the_new_document_form_offers_a_missing_standard_kind(client, a):
    client.force_login(vendor_user(VendorRole.MANAGER))
    url = reverse("regimes:document_create", args=[a.hospital.pk]) + "?kind=emergency"
    form = client.get(url).context["form"]
    assert form.initial["kind"] == "emergency"


def test_a_wrong_file_or_an_earlier_date_is_shown_on_the_form_and_nothing_is_saved(client, a):
    client.force_login(vendor_user(VendorRole.ENGINEER))
    url = reverse("regimes:version_create", args=[a.document.pk])
    response = client.post(
        url,
        {
            "file": SimpleUploadedFile("virus.exe", b"MZ\x90", content_type="application/x-exe"),
            "effective_from": "2026-06-20",
        },
    )
    assert response.status_code == 200
    assert "This file type is not accepted" in response.content.decode()
    response = client.post(url, {"text": "Corrected", "effective_from": "2026-05-01"})
    assert "cannot take effect before it" in str(response.context["form"].errors["effective_from"])
    assert a.document.versions.count() == 2


def test_the_equipment_admin_records_a_signed_receipt_on_a_phone(client, a):
    client.force_login(a.admin)
    url = reverse("regimes:receipt_create", args=[a.document.pk])
    form = client.get(url + f"?department={a.er.pk}").context["form"]
    assert form.initial["version"] == a.v2
    assert form.initial["received_at"].strftime("%Y-%m-%dT%H:%M") == "2026-06-15T12:00"
    response = client.post(
        url,
        {
            "version": a.v2.pk,
            "recipient_name": "Zhao Lei",
            "department": a.er.pk,
            "received_at": "2026-06-15T09:30",  # the hospital's local time
            "signature": signature_data_url(),
        },
    )
    assert response.status_code == 302
    receipt = RegimeReceipt.objects.get(recipient_name="Zhao Lei")
    assert receipt.recorded_by == a.admin
    assert receipt.received_at == dt.datetime(2026, 6, 15, 1, 30, tzinfo=dt.UTC)
    assert services.receipt_signature_matches(receipt)


def test_a_receipt_of_another_hospitals_version_is_refused_on_the_form(client, a, b):
    client.force_login(vendor_user(VendorRole.ENGINEER))
    url = reverse("regimes:receipt_create", args=[a.document.pk])
    before = RegimeReceipt.objects.count()
    response = client.post(
        url,
        {"version": b.v2.pk, "recipient_name": "X", "received_at": "2026-06-15T09:30"},
    )
    assert response.status_code == 200
    assert "another hospital" in str(response.context["form"].errors["version"])
    # The hospital's own administrator cannot even name B's version.
    client.force_login(a.admin)
    response = client.post(
        url,
        {"version": b.v2.pk, "recipient_name": "X", "received_at": "2026-06-15T09:30"},
    )
    assert "version" in response.context["form"].errors
    assert RegimeReceipt.objects.count() == before


def test_the_equipment_admin_may_not_record_for_another_hospital(client, a, b):
    client.force_login(a.admin)
    url = reverse("regimes:receipt_create", args=[b.document.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"recipient_name": "X"}).status_code == 404
    assert client.get(reverse("regimes:version_create", args=[a.document.pk])).status_code == 403


# --- files ----------------------------------------------------------------------------
def test_a_version_file_is_served_only_inside_the_scope_and_sandboxed(client, a, b):
    url = reverse("regimes:version_file", args=[a.v1.pk])
    client.force_login(a.dept_user)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Cache-Control"] == "private, no-store"
    client.force_login(b.admin)
    assert client.get(url).status_code == 404
    # A version without a file has nothing to serve.
    client.force_login(a.admin)
    assert client.get(reverse("regimes:version_file", args=[a.v2.pk])).status_code == 404


def test_a_signature_image_is_served_only_inside_the_scope(client, a, b):
    url = reverse("regimes:receipt_signature", args=[a.receipt.pk])
    client.force_login(a.admin)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    client.force_login(b.dept_user)
    assert client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login(client, a):
    response = client.get(regime_url(a))
    assert response.status_code == 302 and "login" in response.url


def test_the_pages_cost_the_same_number_of_queries_however_much_they_show(client, a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(vendor_user(VendorRole.MANAGER))
    pages = (regime_url(a), reverse("regimes:document_detail", args=[a.document.pk]))

    def counts() -> list[int]:
        result = []
        for url in pages:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            result.append(len(queries))
        return result

    counts()  # the first view of a session fills caches
    before = counts()
    for i in range(3):
        head = ContactFactory(hospital=a.hospital, name=f"Head {i}")
        department = DepartmentFactory(hospital=a.hospital, responsible_contact=head)
        head.department = department
        head.save()
        DeviceFactory(
            department=department, responsible_contact=ContactFactory(hospital=a.hospital)
        )
        services.regime_receipt_record(
            document=a.document, department=department, recipient_contact=head, recorded_by=None
        )
    assert counts() == before

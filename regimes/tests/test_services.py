"""Writes of the management regime (R-2.3, R-7.5): documents, append-only versions numbered
without gaps, receipts with an optional signature; bad input changes nothing."""

import datetime as dt
import hashlib
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, connections

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from customers.models import HospitalRole
from customers.tests.factories import (
    ContactFactory,
    DepartmentFactory,
    HospitalFactory,
    hospital_user,
)
from regimes import services
from regimes.models import RegimeDocument, RegimeKind, RegimeReceipt, RegimeVersion

from .factories import (
    PDF_BYTES,
    RegimeDocumentFactory,
    add_version,
    blank_signature_data_url,
    pdf_file,
    signature_data_url,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER)


@pytest.fixture
def document():
    return RegimeDocumentFactory()


def media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- documents ------------------------------------------------------------------------
def test_a_document_belongs_to_a_hospital_and_optionally_one_of_its_departments(engineer):
    department = DepartmentFactory()
    document = services.regime_document_create(
        hospital=department.hospital,
        kind=RegimeKind.MAINTENANCE_RESPONSIBILITY,
        title="  维修保养责任制度  ",
        department=department,
        created_by=engineer,
    )
    assert (document.title, document.department, document.created_by) == (
        "维修保养责任制度",
        department,
        engineer,
    )


def test_a_department_of_another_hospital_or_a_duplicate_title_is_refused(engineer, document):
    with pytest.raises(ValidationError) as caught:
        services.regime_document_create(
            hospital=document.hospital,
            kind="nonsense",
            title=document.title,
            department=DepartmentFactory(),
            created_by=engineer,
        )
    assert set(caught.value.error_dict) == {"kind", "title", "department"}
    assert RegimeDocument.objects.count() == 1


# --- versions -------------------------------------------------------------------------
def test_versions_are_numbered_from_one_without_gaps_per_document(document):
    other = RegimeDocumentFactory(hospital=document.hospital)
    numbers = [add_version(document, TODAY).number for _ in range(3)]
    assert numbers == [1, 2, 3]
    assert add_version(other, TODAY).number == 1


def test_a_refused_version_takes_no_number(document):
    add_version(document, TODAY)
    with pytest.raises(ValidationError):
        add_version(document, TODAY, text="")
    assert add_version(document, TODAY).number == 2


def test_a_version_cannot_take_effect_before_the_one_it_follows(document, settings):
    add_version(document, dt.date(2026, 7, 1))
    with pytest.raises(ValidationError) as caught:
        add_version(document, dt.date(2026, 6, 30), file=pdf_file())
    assert set(caught.value.error_dict) == {"effective_from"}
    assert "2026-07-01" in caught.value.error_dict["effective_from"][0].message
    assert document.versions.count() == 1
    assert media_files(settings) == []  # the refused upload left no file behind


def test_a_same_day_correction_and_a_backdated_first_version_are_fine(document):
    first = add_version(document, dt.date(2020, 1, 1))
    correction = add_version(document, dt.date(2020, 1, 1), summary="typo in §3")
    assert (first.number, correction.number) == (1, 2)


def test_a_version_needs_a_file_or_a_text_and_a_date(document):
    with pytest.raises(ValidationError) as caught:
        services.regime_version_add(
            document=document, effective_from=None, text="  ", created_by=None
        )
    assert set(caught.value.error_dict) == {"text", "effective_from"}
    assert not RegimeVersion.objects.exists()


def test_an_uploaded_file_is_kept_with_its_name_and_hash(document):
    version = add_version(document, TODAY, text="", file=pdf_file("巡检制度 v1.pdf"))
    assert version.file_name == "巡检制度_v1.pdf"  # the storage's safe name
    assert version.file.read() == PDF_BYTES
    assert version.file_sha256 == hashlib.sha256(PDF_BYTES).hexdigest()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.exe", b"MZ", "not accepted"),
        ("rules.pdf", b"hello", "does not match"),
        ("rules.pdf", b"", "empty"),
        ("rules.pdf", PDF_BYTES + b"x" * 200, "too large"),
    ],
)
def test_a_wrong_or_too_large_file_is_refused_and_nothing_is_saved(
    document, settings, name, content, message
):
    settings.REGIME_DOCUMENT_MAX_BYTES = 100
    with pytest.raises(ValidationError) as caught:
        add_version(document, TODAY, file=pdf_file(name, content))
    assert set(caught.value.error_dict) == {"file"}
    assert message in caught.value.error_dict["file"][0].message
    assert not RegimeVersion.objects.exists()
    assert media_files(settings) == []


# Skipped before any fixture runs on SQLite: a transactional test's flush would otherwise
# still happen, and wipe what later tests rely on.
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks under concurrency: PostgreSQL only"
)


@pytest.mark.postgres_only
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_get_consecutive_numbers(transactional_db):
    """Six engineers upload a version of one document at the same instant: 1..6."""
    document = RegimeDocumentFactory()
    barrier = Barrier(6)

    def upload(i: int) -> int:
        try:
            barrier.wait(timeout=10)
            return add_version(document, TODAY, text=f"version from engineer {i}").number
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=6) as pool:
        numbers = list(pool.map(upload, range(6)))
    assert sorted(numbers) == [1, 2, 3, 4, 5, 6]


# --- receipts -------------------------------------------------------------------------
def record(document, **kwargs) -> RegimeReceipt:
    kwargs.setdefault("recipient_name", "Wang Fang")
    return services.regime_receipt_record(document=document, recorded_by=None, **kwargs)


def test_a_receipt_is_of_the_current_version_by_default(document):
    add_version(document, dt.date(2026, 1, 1))
    current = add_version(document, dt.date(2026, 6, 1))
    add_version(document, dt.date(2026, 9, 1))  # announced, not in effect yet
    receipt = record(document)
    assert receipt.version == current
    assert receipt.received_at == NOW


def test_a_version_announced_ahead_can_be_received_when_none_is_in_effect(document):
    upcoming = add_version(document, dt.date(2026, 9, 1))
    assert record(document).version == upcoming


def test_a_document_without_versions_cannot_be_received(document):
    with pytest.raises(ValidationError) as caught:
        record(document)
    assert set(caught.value.error_dict) == {"version"}


def test_the_name_and_department_come_from_the_contact_when_not_given(document):
    department = DepartmentFactory(hospital=document.hospital, name="ICU")
    contact = ContactFactory(hospital=document.hospital, department=department, name="Li Na")
    add_version(document, TODAY)
    receipt = record(document, recipient_name="", recipient_contact=contact)
    assert (receipt.recipient_name, receipt.department) == ("Li Na", department)


def test_a_receipt_of_another_hospitals_version_is_refused(document):
    add_version(document, TODAY)
    foreign = add_version(RegimeDocumentFactory(), TODAY)
    sibling = add_version(RegimeDocumentFactory(hospital=document.hospital), TODAY)
    with pytest.raises(ValidationError) as caught:
        record(document, version=foreign)
    assert "another hospital" in caught.value.error_dict["version"][0].message
    with pytest.raises(ValidationError) as caught:
        record(document, version=sibling)
    assert "another document" in caught.value.error_dict["version"][0].message
    assert not RegimeReceipt.objects.exists()


def test_people_and_places_of_another_hospital_are_refused(document):
    add_version(document, TODAY)
    elsewhere = HospitalFactory()
    with pytest.raises(ValidationError) as caught:
        record(
            document,
            department=DepartmentFactory(hospital=elsewhere),
            recipient_contact=ContactFactory(hospital=elsewhere),
            recipient_user=hospital_user(elsewhere, HospitalRole.DEPARTMENT_USER),
            received_at=NOW + dt.timedelta(minutes=5),
        )
    assert set(caught.value.error_dict) == {
        "department",
        "recipient_contact",
        "recipient_user",
        "received_at",
    }
    assert not RegimeReceipt.objects.exists()


def test_a_receipt_needs_a_name(document):
    add_version(document, TODAY)
    with pytest.raises(ValidationError) as caught:
        record(document, recipient_name="  ")
    assert set(caught.value.error_dict) == {"recipient_name"}


def test_a_signed_receipt_stores_the_image_and_a_hash_of_what_was_received(document):
    add_version(document, TODAY, file=pdf_file())
    receipt = record(document, signature_data_url=signature_data_url())
    assert receipt.signature and len(receipt.signature_hash) == 64
    assert services.receipt_signature_matches(receipt)
    receipt.recipient_name = "Somebody else"
    assert not services.receipt_signature_matches(receipt)


def test_a_blank_signature_is_refused_and_nothing_is_saved(document, settings):
    add_version(document, TODAY)
    with pytest.raises(ValidationError) as caught:
        record(document, signature_data_url=blank_signature_data_url())
    assert set(caught.value.error_dict) == {"signature"}
    assert not RegimeReceipt.objects.exists()
    assert not [p for p in media_files(settings) if "receipts" in str(p)]

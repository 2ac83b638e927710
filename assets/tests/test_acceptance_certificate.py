"""The acceptance certificate as an uploaded document (issue 14 §1, R-3.1): uploaded by the
vendor's staff through the one upload checker, kept for ever, shown on the device page and
as the acceptance entry's document in the archive, downloaded only by those who see the
device."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from archive.filters import archive_query
from archive.selectors import timeline
from assets.acceptance.services import acceptance_certificate_upload
from assets.models import AcceptanceCertificate
from assets.tests.factories import DeviceFactory
from core.retention import RecordRetained
from customers.tests.factories import HospitalFactory, hospital_user

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def device():
    return DeviceFactory(acceptance_certificate_no="YS-2026-001")


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng")


def upload(client, device, name, content):
    url = reverse("assets:acceptance_certificate_upload", args=[device.pk])
    return client.post(url, {"document": SimpleUploadedFile(name, content)})


def test_the_engineer_uploads_a_pdf_and_the_device_page_and_archive_link_it(
    client, device, engineer
):
    client.force_login(engineer)
    response = upload(client, device, "验收证.pdf", PDF)
    assert response.status_code == 302
    certificate = AcceptanceCertificate.objects.get(device=device)
    assert certificate.size == len(PDF) and len(certificate.sha256) == 64
    assert certificate.uploaded_by == engineer
    file_url = reverse("assets:acceptance_certificate_file", args=[certificate.pk])
    page = client.get(reverse("assets:device_detail", args=[device.pk])).content.decode()
    assert file_url in page
    (accepted,) = [
        e
        for e in timeline(archive_query(device=device, visible_to=engineer)).entries
        if e.title == "Accepted"
    ]
    assert accepted.pdf_url == file_url
    downloaded = client.get(file_url)
    assert downloaded.status_code == 200 and b"".join(downloaded.streaming_content) == PDF
    assert downloaded["Content-Security-Policy"] == "sandbox"


def test_a_new_upload_supersedes_and_both_are_kept(device, engineer):
    first = acceptance_certificate_upload(
        device=device, document=SimpleUploadedFile("a.pdf", PDF), uploaded_by=engineer
    )
    second = acceptance_certificate_upload(
        device=device, document=SimpleUploadedFile("b.png", PNG), uploaded_by=engineer
    )
    assert device.acceptance_certificates.first() == second
    with pytest.raises(RecordRetained), transaction.atomic():
        first.delete()
    assert AcceptanceCertificate.objects.count() == 2


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("certificate.pdf", b"MZ\x90\x00 not a pdf"),  # a program named .pdf
        ("certificate.html", b"<script>alert(1)</script>"),  # not an accepted type
        ("certificate.docx", b"PK\x03\x04 a word file"),  # a document, but not a certificate
        ("certificate.pdf", b""),
    ],
)
def test_hostile_or_wrong_files_are_refused_and_nothing_is_stored(
    client, device, engineer, name, content
):
    client.force_login(engineer)
    response = upload(client, device, name, content)
    assert response.status_code == 422
    assert "is-invalid" in response.content.decode() or "invalid-feedback" in (
        response.content.decode()
    )
    assert not AcceptanceCertificate.objects.exists()
    with pytest.raises(ValidationError) as refused:
        acceptance_certificate_upload(
            device=device, document=SimpleUploadedFile(name, content), uploaded_by=engineer
        )
    assert set(refused.value.message_dict) == {"document"}


def test_only_the_vendors_office_and_engineers_upload(client, device):
    dispatcher = vendor_user(VendorRole.DISPATCHER, username="dispatch")
    admin = hospital_user(device.hospital, username="h-admin")
    for user in (dispatcher, admin):
        client.force_login(user)
        assert upload(client, device, "c.pdf", PDF).status_code == 403
        with pytest.raises(PermissionDenied):
            acceptance_certificate_upload(
                device=device, document=SimpleUploadedFile("c.pdf", PDF), uploaded_by=user
            )
    assert not AcceptanceCertificate.objects.exists()


def test_the_hospitals_users_download_their_own_and_another_hospital_gets_404(
    client, device, engineer
):
    certificate = acceptance_certificate_upload(
        device=device, document=SimpleUploadedFile("c.pdf", PDF), uploaded_by=engineer
    )
    url = reverse("assets:acceptance_certificate_file", args=[certificate.pk])
    client.force_login(hospital_user(device.hospital, username="own-admin"))
    assert client.get(url).status_code == 200
    client.force_login(hospital_user(HospitalFactory(), username="other-admin"))
    assert client.get(url).status_code == 404
    assert (
        client.get(reverse("assets:acceptance_certificate_file", args=[10**20])).status_code == 404
    )

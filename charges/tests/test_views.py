"""The statement page and the statements list (issue 5 §5): lines with why, totals, accept
and dispute for the hospital, the PDF link once accepted, scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from charges import services
from charges.models import ChargeStatement
from charges.tests.factories import covered_device, resolved_request
from customers.tests.factories import HospitalFactory, hospital_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_a():
    return resolved_request(covered_device(accepted_on=dt.date(2024, 1, 1)))


def test_statement_page_shows_lines_why_and_buttons_for_the_hospital(client, request_a):
    client.force_login(hospital_user(request_a.hospital))
    response = client.get(reverse("charges:statement", args=[request_a.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Out of warranty since 2025-01-01" in body
    assert "570.00" in body
    assert reverse("charges:statement_accept", args=[request_a.pk]) in body
    assert reverse("charges:statement_dispute", args=[request_a.pk]) in body


def test_vendor_sees_the_statement_without_the_hospitals_buttons(client, request_a):
    client.force_login(vendor_user(VendorRole.ENGINEER))
    body = client.get(reverse("charges:statement", args=[request_a.pk])).content.decode()
    assert "570.00" in body
    assert reverse("charges:statement_accept", args=[request_a.pk]) not in body


def test_accept_then_pdf(client, request_a, django_capture_on_commit_callbacks):
    client.force_login(hospital_user(request_a.hospital))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("charges:statement_accept", args=[request_a.pk]))
    assert response.status_code == 302
    assert ChargeStatement.objects.get().state == "accepted"
    page = client.get(reverse("charges:statement", args=[request_a.pk])).content.decode()
    assert reverse("charges:statement_pdf", args=[request_a.pk]) in page
    pdf = client.get(reverse("charges:statement_pdf", args=[request_a.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_empty_dispute_shows_the_field_error_and_changes_nothing(client, request_a):
    client.force_login(hospital_user(request_a.hospital))
    response = client.post(
        reverse("charges:statement_dispute", args=[request_a.pk]), {"comment": ""}
    )
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert ChargeStatement.objects.get().state == "draft"
    client.post(reverse("charges:statement_dispute", args=[request_a.pk]), {"comment": "太贵"})
    assert ChargeStatement.objects.get().dispute_comment == "太贵"


def test_unresolved_request_page_says_no_statement_yet(client):
    request = resolved_request(covered_device(accepted_on=dt.date(2024, 1, 1)), resolve=False)
    client.force_login(vendor_user(VendorRole.ADMIN))
    response = client.get(reverse("charges:statement", args=[request.pk]))
    assert response.status_code == 200
    assert "No charge statement yet" in response.content.decode()
    assert client.get(reverse("charges:statement_pdf", args=[request.pk])).status_code == 404


def test_list_is_scoped(client, request_a):
    services.charge_statement_draft(request=request_a)
    other_hospital = HospitalFactory(name="SECRET-OTHER")
    other = resolved_request(
        covered_device(accepted_on=dt.date(2024, 1, 1), hospital=other_hospital)
    )
    services.charge_statement_draft(request=other)
    client.force_login(hospital_user(request_a.hospital))
    body = client.get(reverse("charges:statement_list")).content.decode()
    assert request_a.number in body and other.number not in body
    client.force_login(vendor_user(VendorRole.DISPATCHER))
    body = client.get(reverse("charges:statement_list")).content.decode()
    assert request_a.number in body and other.number in body


def test_hospital_b_gets_404_on_every_page(client, request_a):
    services.charge_statement_draft(request=request_a)
    client.force_login(hospital_user(HospitalFactory(name="乙医院")))
    for name in ("statement", "statement_pdf"):
        assert client.get(reverse(f"charges:{name}", args=[request_a.pk])).status_code == 404
    for name in ("statement_accept", "statement_dispute"):
        response = client.post(reverse(f"charges:{name}", args=[request_a.pk]), {"comment": "x"})
        assert response.status_code == 404
    assert ChargeStatement.objects.get().state == "draft"


def test_credit_note_page_for_the_vendor_office(client, request_a):
    statement = services.charge_statement_draft(request=request_a)
    url = reverse("charges:credit_note_create", args=[request_a.pk])
    manager = vendor_user(VendorRole.MANAGER)
    client.force_login(manager)
    assert client.get(url).status_code == 302  # a draft is re-priced, not credited
    services.charge_statement_accept(statement=statement, user=hospital_user(request_a.hospital))
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 200  # the error, nothing saved
    assert not statement.credit_notes.exists()
    response = client.post(url, {"reason": "same prices"})
    assert response.status_code == 200 and b"Nothing changed" in response.content
    from service.repair_records.services import repair_record_save

    repair_record_save(request=request_a, author=request_a.repair_record.author, labor_hours=1)
    assert client.post(url, {"reason": "工时更正"}).status_code == 302
    note = statement.credit_notes.get()
    assert note.total == -90  # half an hour less at 180.00
    page = client.get(reverse("charges:statement", args=[request_a.pk])).content.decode()
    assert note.number in page
    client.force_login(vendor_user(VendorRole.ENGINEER))
    assert client.get(url).status_code == 403

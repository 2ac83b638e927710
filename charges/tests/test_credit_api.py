"""The credit-note API (issue 5 §5): list a request's credit notes with lines and decimal
totals; the vendor's office issues one on an accepted statement (201), a draft is a 409, an
empty reason a 422, another hospital's request a 404, a user without the right a 403."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from charges import services, workflow
from charges.models import CreditNote
from charges.tests.factories import covered_device, resolved_request, sent_statement
from customers.tests.factories import HospitalFactory, hospital_user
from service.repair_records.services import repair_record_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_a():
    return resolved_request(covered_device(accepted_on=dt.date(2024, 1, 1)))


@pytest.fixture
def office():
    return vendor_user(VendorRole.MANAGER, username="office")


def url(request) -> str:
    return f"/api/v1/service-requests/{request.pk}/credit-notes"


def _post(client, request, body):
    return client.post(url(request), body, content_type="application/json")


def accept(request):
    statement = sent_statement(request)
    workflow.charge_statement_accept(statement=statement, user=hospital_user(request.hospital))
    return statement


def test_office_issues_a_credit_note_and_everyone_in_scope_lists_it(client, request_a, office):
    accept(request_a)
    repair_record_save(request=request_a, author=request_a.repair_record.author, labor_hours=1)
    client.force_login(office)
    response = _post(client, request_a, {"reason": "工时更正"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("CN-") and body["reason"] == "工时更正"
    assert (body["total_before"], body["total_after"], body["total"]) == (
        "570.00",
        "480.00",
        "-90.00",
    )
    assert sum(Decimal(line["amount"]) for line in body["lines"]) == Decimal("-90.00")
    assert all(isinstance(line["amount"], str) and line["reason"] for line in body["lines"])

    listed = client.get(url(request_a))
    assert listed.status_code == 200
    assert [note["number"] for note in listed.json()] == [body["number"]]
    assert listed.json()[0]["total"] == "-90.00"
    # The hospital reads its credit notes too (they are on its statement).
    client.force_login(hospital_user(request_a.hospital, username="h-read"))
    assert client.get(url(request_a)).json()[0]["number"] == body["number"]


def test_list_is_empty_without_a_statement_or_notes(client, request_a, office):
    client.force_login(office)
    assert client.get(url(request_a)).json() == []
    accept(request_a)
    assert client.get(url(request_a)).json() == []


def test_a_draft_or_missing_statement_is_409(client, request_a, office):
    client.force_login(office)
    response = _post(client, request_a, {"reason": "x"})
    assert response.status_code == 409  # no statement yet
    services.charge_statement_draft(request=request_a)
    response = _post(client, request_a, {"reason": "x"})
    assert response.status_code == 409
    assert response.json()["errors"][0]["type"] == "not_accepted"
    assert not CreditNote.objects.exists()


def test_bad_input_is_422_and_writes_nothing(client, request_a, office):
    accept(request_a)
    client.force_login(office)
    empty = _post(client, request_a, {"reason": "  "})
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["loc"] == ["body", "reason"]
    assert _post(client, request_a, {}).status_code == 422
    same = _post(client, request_a, {"reason": "same prices"})
    assert same.status_code == 422 and same.json()["errors"][0]["type"] == "no_change"
    assert not CreditNote.objects.exists()


@pytest.mark.parametrize("role", [VendorRole.ENGINEER, VendorRole.DISPATCHER])
def test_users_without_the_right_get_403(client, request_a, role):
    accept(request_a)
    repair_record_save(request=request_a, author=request_a.repair_record.author, labor_hours=1)
    client.force_login(vendor_user(role, username=f"r-{role}"))
    assert _post(client, request_a, {"reason": "x"}).status_code == 403
    client.force_login(hospital_user(request_a.hospital, username="h-admin"))
    assert _post(client, request_a, {"reason": "x"}).status_code == 403
    assert not CreditNote.objects.exists()


def test_outside_scope_is_404(client, request_a, office):
    accept(request_a)
    client.force_login(hospital_user(HospitalFactory(name="乙医院")))
    assert client.get(url(request_a)).status_code == 404
    assert _post(client, request_a, {"reason": "x"}).status_code == 404
    client.force_login(office)
    assert client.get("/api/v1/service-requests/999999/credit-notes").status_code == 404
    assert not CreditNote.objects.exists()

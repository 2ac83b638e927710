"""The charges API (issue 5 §5): read the statement with its reasons, accept it, dispute it;
hospital B never sees A's (404), bad input is a 422, a frozen statement a 409."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from charges.models import ChargeStatement
from charges.tests.factories import covered_device, resolved_request
from customers.models import HospitalRole
from customers.tests.factories import HospitalFactory, hospital_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_a():
    return resolved_request(covered_device(accepted_on=dt.date(2024, 1, 1)))


def url(request, action=""):
    return f"/api/v1/service-requests/{request.pk}/charges" + (f"/{action}" if action else "")


def test_read_drafts_the_statement_with_lines_and_reasons(client, request_a):
    client.force_login(vendor_user(VendorRole.DISPATCHER))
    response = client.get(url(request_a))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "draft" and body["request_id"] == request_a.pk
    assert Decimal(body["total"]) == Decimal("570.00")
    assert [(line["kind"], line["pricing"]) for line in body["lines"]] == [
        ("labor", "list"),
        ("travel", "list"),
    ]
    labor = body["lines"][0]
    assert labor["reason_code"] == "out_of_cover"
    assert "Out of warranty since 2025-01-01" in labor["reason"]
    assert "labor at list price" in labor["reason"]
    assert ChargeStatement.objects.count() == 1
    assert client.get(url(request_a)).json()["number"] == body["number"]  # once


def test_unresolved_request_answers_404(client):
    request = resolved_request(covered_device(accepted_on=dt.date(2024, 1, 1)), resolve=False)
    client.force_login(vendor_user(VendorRole.ADMIN))
    assert client.get(url(request)).status_code == 404
    assert not ChargeStatement.objects.exists()


def test_hospital_accepts_then_accepting_again_is_409(client, request_a):
    client.force_login(hospital_user(request_a.hospital))
    response = client.post(url(request_a, "accept"), content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "accepted" and len(body["content_hash"]) == 64
    again = client.post(url(request_a, "accept"), content_type="application/json")
    assert again.status_code == 409
    assert again.json()["errors"][0]["type"] == "already_accepted"
    dispute = client.post(
        url(request_a, "dispute"), {"comment": "x"}, content_type="application/json"
    )
    assert dispute.status_code == 409


def test_department_user_of_the_department_may_accept(client, request_a):
    user = hospital_user(
        request_a.hospital, HospitalRole.DEPARTMENT_USER, departments=[request_a.department]
    )
    client.force_login(user)
    assert client.post(url(request_a, "accept")).status_code == 200


def test_dispute_needs_a_comment_then_accepting_the_disputed_is_409(client, request_a):
    client.force_login(hospital_user(request_a.hospital))
    empty = client.post(
        url(request_a, "dispute"), {"comment": " "}, content_type="application/json"
    )
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["loc"] == ["body", "comment"]
    missing = client.post(url(request_a, "dispute"), {}, content_type="application/json")
    assert missing.status_code == 422
    assert ChargeStatement.objects.get().state == "draft"
    ok = client.post(
        url(request_a, "dispute"), {"comment": "工时太多"}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["dispute_comment"] == "工时太多"
    refused = client.post(url(request_a, "accept"))
    assert refused.status_code == 409 and refused.json()["errors"][0]["type"] == "disputed"


def test_vendor_staff_cannot_accept_for_the_hospital(client, request_a):
    client.force_login(vendor_user(VendorRole.ADMIN))
    assert client.post(url(request_a, "accept")).status_code == 403
    assert ChargeStatement.objects.get().state == "draft"


@pytest.mark.parametrize("action", ["", "accept", "dispute"])
def test_hospital_b_gets_404(client, request_a, action):
    client.force_login(hospital_user(HospitalFactory(name="乙医院")))
    if action:
        response = client.post(
            url(request_a, action), {"comment": "x"}, content_type="application/json"
        )
    else:
        response = client.get(url(request_a))
    assert response.status_code == 404
    assert not ChargeStatement.objects.filter(state__in=["accepted", "disputed"]).exists()


def test_other_department_user_gets_404(client, request_a):
    from customers.tests.factories import DepartmentFactory

    other = DepartmentFactory(hospital=request_a.hospital)
    client.force_login(
        hospital_user(request_a.hospital, HospitalRole.DEPARTMENT_USER, departments=[other])
    )
    assert client.get(url(request_a)).status_code == 404

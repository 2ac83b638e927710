"""One filter definition per list (GUIDE 14): the statements page and GET
/charge-statements share one FilterSet, scoped like the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from charges import services, workflow
from charges.filters import StatementFilterSet
from charges.tests.factories import covered_device, resolved_request, sent_statement
from core.tests.apiclient import Api, locs
from core.tests.filtering import assert_one_definition
from customers.tests.factories import HospitalFactory, hospital_user

pytestmark = pytest.mark.django_db


def test_statements_have_one_filter_definition(client):
    sent = sent_statement(resolved_request(covered_device(accepted_on=dt.date(2024, 1, 1))))
    draft = services.charge_statement_draft(request=resolved_request(sent.request.device))
    other_hospital = HospitalFactory(name="乙医院")
    disputed = sent_statement(
        resolved_request(covered_device(accepted_on=dt.date(2024, 1, 1), hospital=other_hospital))
    )
    workflow.charge_statement_dispute(
        statement=disputed, user=hospital_user(other_hospital), comment="Too dear"
    )
    office = vendor_user(VendorRole.MANAGER)
    client.force_login(office)
    page = client.get(reverse("charges:statement_list"))
    assert_one_definition(
        client, StatementFilterSet, api_path="/charge-statements", page_response=page
    )
    api = Api(client, office)
    page = client.get(reverse("charges:statement_list"), {"state": "disputed"})
    assert list(page.context["page_obj"]) == [disputed]
    listed = api.get("/charge-statements", state="disputed").json()
    assert [s["id"] for s in listed["items"]] == [disputed.pk]
    assert listed["items"][0]["request_number"] == disputed.request.number
    assert locs(api.get("/charge-statements", state="paid")) == [["query", "state"]]
    # Scoped like the page: a hospital sees its own statements only, once sent.
    hospital = hospital_user(draft.request.hospital)
    assert [s["id"] for s in Api(client, hospital).get("/charge-statements").json()["items"]] == [
        sent.pk
    ]

"""API: /me tells an integration who its token belongs to."""

from __future__ import annotations

import pytest

from accounts.models import VendorRole
from core.tests.apiclient import Api
from customers.models import HospitalRole
from customers.tests.factories import HospitalFactory, hospital_user

from .factories import UserFactory, vendor_user

pytestmark = pytest.mark.django_db


def test_me_for_vendor_staff(client):
    user = vendor_user(VendorRole.DISPATCHER, first_name="Li")
    body = Api(client, user).get("/me").json()
    assert body == {
        "id": user.pk,
        "username": user.username,
        "name": str(user),
        "vendor_role": "dispatcher",
        "hospital_id": None,
    }


def test_me_for_hospital_user(client):
    hospital = HospitalFactory()
    body = Api(client, hospital_user(hospital, role=HospitalRole.EQUIPMENT_ADMIN)).get("/me")
    assert body.json()["hospital_id"] == hospital.pk
    assert body.json()["vendor_role"] == ""


def test_me_for_superuser(client):
    body = Api(client, UserFactory(is_superuser=True)).get("/me").json()
    assert body["vendor_role"] == "admin"


def test_me_without_credentials(client):
    assert client.get("/api/v1/me").status_code == 401

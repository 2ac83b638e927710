"""Web pages of the user's own account: login and API tokens."""

import pytest
from django.urls import reverse

from accounts.models import ApiToken, VendorRole
from accounts.services import api_token_authenticate, api_token_create
from accounts.tests.factories import UserFactory, vendor_user
from assets.tests.factories import DeviceFactory
from contracts.tests.factories import ContractFactory
from customers.models import HospitalRole
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(client):
    user = vendor_user(VendorRole.ENGINEER)
    client.force_login(user)
    return user


def test_login_page_and_login(client):
    UserFactory(username="alice")
    assert client.get(reverse("accounts:login")).status_code == 200
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": "pw"})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_token_page_renders(client, user):
    response = client.get(reverse("accounts:token_list"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_new_token_secret_is_shown_once(client, user):
    response = client.post(reverse("accounts:token_list"), {"name": "HIS integration"})
    assert response.status_code == 200
    secret = response.context["new_secret"]
    assert secret in response.content.decode()
    token = ApiToken.objects.get(user=user)
    assert token.name == "HIS integration"
    assert api_token_authenticate(raw_token=secret) == user
    assert secret not in token.key_hash  # stored hashed
    # Never again: the list shows the name and prefix only.
    page = client.get(reverse("accounts:token_list")).content.decode()
    assert "HIS integration" in page
    assert token.prefix in page
    assert secret not in page


def test_token_name_is_required(client, user):
    response = client.post(reverse("accounts:token_list"), {"name": ""})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert response.context["new_secret"] is None
    assert not ApiToken.objects.exists()


def test_revoke_own_token(client, user):
    token, secret = api_token_create(user=user, name="old")
    url = reverse("accounts:token_revoke", args=[token.pk])
    assert client.get(url).status_code == 405  # a change needs a POST
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:token_list")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_token_authenticate(raw_token=secret) is None


def test_another_users_token_is_not_found(client, user):
    token, _secret = api_token_create(user=vendor_user(VendorRole.ADMIN), name="theirs")
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "theirs" not in client.get(reverse("accounts:token_list")).content.decode()


def test_token_pages_need_a_login(client):
    response = client.get(reverse("accounts:token_list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_home_counts_what_the_user_sees(client):
    hospital = HospitalFactory()
    department = DepartmentFactory(hospital=hospital)
    DeviceFactory(department=department)
    DeviceFactory(department=DepartmentFactory(hospital=hospital))
    ContractFactory(hospital=hospital)
    DeviceFactory()  # another hospital's
    ContractFactory()

    client.force_login(vendor_user(VendorRole.MANAGER))
    context = client.get(reverse("home")).context
    assert (context["hospital_count"], context["device_count"], context["contract_count"]) == (
        3,
        3,
        2,
    )

    client.force_login(hospital_user(hospital))
    context = client.get(reverse("home")).context
    assert (context["hospital_count"], context["device_count"], context["contract_count"]) == (
        1,
        2,
        1,
    )

    client.force_login(
        hospital_user(hospital, role=HospitalRole.DEPARTMENT_USER, departments=[department])
    )
    response = client.get(reverse("home"))
    assert response.context["device_count"] == 1
    assert not response.context["sees_contracts"]
    assert hospital.name in response.content.decode()

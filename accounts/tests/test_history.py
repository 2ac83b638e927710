"""Who gave whom which role: a user's roles and access have a history with the changing
user; password hashes and login times stay out of it."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User, VendorRole
from accounts.tests.factories import UserFactory, vendor_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    return root


def _admin_change_form(user: User, **changes) -> dict:
    joined = timezone.localtime(user.date_joined)  # the admin shows the local time
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "vendor_role": user.vendor_role,
        "phone": user.phone,
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S.%f"),
        "is_active": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not False}


def test_role_change_in_the_admin_is_recorded_with_who_made_it(client, root):
    engineer = vendor_user(VendorRole.ENGINEER, username="wang")
    url = reverse("admin:accounts_user_change", args=[engineer.pk])
    response = client.post(
        url, _admin_change_form(engineer, vendor_role=VendorRole.MANAGER, is_staff="on")
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    latest = engineer.history.latest()
    assert latest.vendor_role == VendorRole.MANAGER
    assert latest.is_staff is True
    assert latest.history_user == root
    previous = latest.prev_record
    assert previous is not None and previous.vendor_role == VendorRole.ENGINEER
    changed = {change.field for change in latest.diff_against(previous).changes}
    assert changed == {"vendor_role", "is_staff"}


def test_deactivating_a_user_is_recorded(client, root):
    engineer = vendor_user(VendorRole.ENGINEER, username="li")
    url = reverse("admin:accounts_user_change", args=[engineer.pk])
    assert client.post(url, _admin_change_form(engineer, is_active=False)).status_code == 302
    latest = engineer.history.latest()
    assert latest.is_active is False
    assert latest.history_user == root


def test_history_keeps_no_password_hash_nor_login_time():
    fields = {field.name for field in User.history.model._meta.get_fields()}
    assert "vendor_role" in fields
    assert "is_superuser" in fields
    assert "password" not in fields
    assert "last_login" not in fields


def test_logging_in_adds_no_history_row(client):
    user = UserFactory(username="alice")
    before = user.history.count()
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": "pw"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.last_login is not None
    assert user.history.count() == before


def test_the_user_history_page_in_the_admin_renders(client, root):
    engineer = vendor_user(VendorRole.ENGINEER)
    response = client.get(reverse("admin:accounts_user_history", args=[engineer.pk]))
    assert response.status_code == 200

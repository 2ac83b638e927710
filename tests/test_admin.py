"""Configuration happens in the Django admin (SLA policies, charge rules, calendars): every
registered model's list and, where adding is allowed, its add form render for an admin."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_every_admin_page_renders(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        add = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
        expected = 200 if model_admin.has_add_permission(_request(client)) else 403
        assert client.get(add).status_code == expected, add


def _request(client):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = UserFactory(username="root")
    return request

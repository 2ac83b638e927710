"""The return visits in the Django admin: the numbers are editable (one row), the visits
are read and cancelled through the service, never edited by hand."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from return_visits.models import ReturnVisit, ReturnVisitSettings
from return_visits.services import return_visit_record, return_visits_generate

from .factories import department_with_devices, engineer, sheet

pytestmark = pytest.mark.django_db


def test_admin_pages_and_the_cancel_action(client):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    department, _ = department_with_devices()
    return_visits_generate(today=date(2026, 3, 10), horizon_days=40)
    visit = ReturnVisit.objects.get(department=department, month=date(2026, 3, 1))
    return_visit_record(visit=visit, user=engineer(), visited_on=date(2026, 3, 10), **sheet(visit))

    changelist = reverse("admin:return_visits_returnvisit_changelist")
    assert client.get(changelist).status_code == 200
    page = client.get(reverse("admin:return_visits_returnvisit_change", args=[visit.pk]))
    assert page.status_code == 200 and "王主任" in page.content.decode()
    assert client.get(reverse("admin:return_visits_returnvisit_add")).status_code == 403

    settings_add = reverse("admin:return_visits_returnvisitsettings_add")
    response = client.post(settings_add, {"due_day": "20", "horizon_days": "60"})
    assert response.status_code == 302
    assert ReturnVisitSettings.objects.get().pk == 1
    assert client.get(settings_add).status_code == 403  # one row

    april = ReturnVisit.objects.get(department=department, month=date(2026, 4, 1))
    client.post(
        changelist,
        {"action": "cancel", "_selected_action": [visit.pk, april.pk]},
    )
    assert set(ReturnVisit.objects.values_list("state", flat=True)) == {"cancelled"}

"""Service regions: every hospital has one (the default one unless named), shown and set in
the form and the API; the data migration put every existing hospital in the default."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from core.tests.apiclient import Api, locs
from customers.models import DEFAULT_REGION_CODE, Hospital, ServiceRegion

pytestmark = pytest.mark.django_db


def test_a_hospital_gets_the_default_region_unless_one_is_named(client):
    east = ServiceRegion.objects.create(name="东区", code="east")
    api = Api(client, vendor_user(VendorRole.MANAGER))
    plain = api.post("/hospitals", {"name": "甲医院"}).json()
    assert ServiceRegion.objects.get(pk=plain["region_id"]).code == DEFAULT_REGION_CODE
    named = api.post("/hospitals", {"name": "乙医院", "region_id": east.pk}).json()
    assert named["region_id"] == east.pk
    assert locs(api.post("/hospitals", {"name": "丙医院", "region_id": 999999})) == [
        ["body", "region_id"]
    ]
    assert locs(api.patch(f"/hospitals/{plain['id']}", {"region_id": None})) == [
        ["body", "region_id"]
    ]
    assert api.patch(f"/hospitals/{plain['id']}", {"region_id": east.pk}).status_code == 200
    assert Hospital.objects.get(pk=plain["id"]).region == east


def test_the_form_sets_and_the_page_shows_the_region(client):
    east = ServiceRegion.objects.create(name="东区", code="east")
    client.force_login(vendor_user(VendorRole.MANAGER))
    form = {"name": "东海医院", "time_zone": "Asia/Shanghai", "region": east.pk}
    response = client.post(reverse("customers:hospital_create"), form)
    assert response.status_code == 302
    hospital = Hospital.objects.get(name="东海医院")
    assert hospital.region == east
    assert (
        "东区"
        in client.get(reverse("customers:hospital_detail", args=[hospital.pk])).content.decode()
    )


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_puts_existing_hospitals_in_the_default_region():
    executor = MigrationExecutor(connection)
    executor.migrate([("customers", "0004_help_texts_without_requirement_ids")])
    old = executor.loader.project_state(
        ("customers", "0004_help_texts_without_requirement_ids")
    ).apps
    old.get_model("customers", "Hospital").objects.create(name="旧医院")
    executor = MigrationExecutor(connection)
    executor.migrate([("customers", "0005_service_regions")])
    executor.loader.build_graph()
    new = executor.loader.project_state(("customers", "0005_service_regions")).apps
    hospital = new.get_model("customers", "Hospital").objects.get(name="旧医院")
    assert hospital.region.code == DEFAULT_REGION_CODE
    # Back to the latest state for the other tests.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

"""One filter definition per list (GUIDE 14): the regime documents are filtered by one
FilterSet, in the API and its OpenAPI document (no page lists every hospital's documents)."""

from __future__ import annotations

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from core.tests.apiclient import Api, locs
from core.tests.filtering import assert_one_definition
from customers.tests.factories import hospital_user
from regimes.filters import RegimeDocumentFilterSet
from regimes.models import RegimeKind

from .factories import RegimeDocumentFactory

pytestmark = pytest.mark.django_db


def listed(api, **params) -> set[int]:
    response = api.get("/regime-documents", **params)
    assert response.status_code == 200, response.json()
    return {item["id"] for item in response.json()["items"]}


def test_regime_documents_have_one_filter_definition(client):
    inspection = RegimeDocumentFactory()
    emergency = RegimeDocumentFactory(hospital=inspection.hospital, kind=RegimeKind.EMERGENCY)
    elsewhere = RegimeDocumentFactory()
    assert_one_definition(client, RegimeDocumentFilterSet, api_path="/regime-documents")
    api = Api(client, vendor_user(VendorRole.ENGINEER))
    assert listed(api, kind="emergency") == {emergency.pk}
    assert listed(api, hospital_id=inspection.hospital_id) == {inspection.pk, emergency.pk}
    assert listed(api, hospital_id=elsewhere.hospital_id, kind="inspection") == {elsewhere.pk}
    assert locs(api.get("/regime-documents", kind="rules")) == [["query", "kind"]]
    # Another hospital's id lists nothing for a hospital's own people (no 422 to tell it exists).
    own = Api(client, hospital_user(inspection.hospital))
    assert listed(own, hospital_id=elsewhere.hospital_id) == set()
    assert listed(own) == {inspection.pk, emergency.pk}

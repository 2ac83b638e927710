"""The API as a whole: one error shape, authentication, and an OpenAPI document that
declares every status code each operation can answer (issue 2 §2, §6; GUIDE "API")."""

from __future__ import annotations

import pytest

from accounts.models import VendorRole
from accounts.services import api_token_create, api_token_revoke
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

ERROR_SHAPE = {"detail", "errors"}
WRITE_METHODS = {"post", "put", "patch", "delete"}


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_openapi_lists_the_issue_endpoints(schema):
    paths = schema["paths"]
    for path in (
        "/api/v1/hospitals",
        "/api/v1/departments",
        "/api/v1/product-models",
        "/api/v1/devices",
        "/api/v1/contracts",
        "/api/v1/maintenance-agreements",
        "/api/v1/devices/{device_id}/coverage",
    ):
        assert path in paths, path
    for path in ("/api/v1/hospitals", "/api/v1/devices", "/api/v1/contracts"):
        assert {"get", "post"} <= set(paths[path])


def test_every_operation_documents_422(schema):
    """GUIDE: declare every status code you return, 422 included."""
    missing = [
        f"{m.upper()} {p}" for p, m, op in operations(schema) if "422" not in op["responses"]
    ]
    assert not missing


def test_every_operation_documents_its_error_codes_with_the_error_shape(schema):
    """401 (no or bad credentials), 404 (not found or out of scope), 422 (bad input) on
    every operation, 403 on every write; each with the one error schema."""
    problems = []
    for path, method, op in operations(schema):
        expected = {"401", "404", "422"} | ({"403"} if method in WRITE_METHODS else set())
        missing = expected - set(op["responses"])
        if missing:
            problems.append(f"{method.upper()} {path}: {sorted(missing)}")
        for code in expected & set(op["responses"]):
            ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
            if not ref.endswith("/ErrorOut"):
                problems.append(f"{method.upper()} {path} {code}: {ref}")
        if not any(code.startswith("2") for code in op["responses"]):
            problems.append(f"{method.upper()} {path}: no success response")
    assert not problems
    error_schema = schema["components"]["schemas"]["ErrorOut"]
    assert set(error_schema["properties"]) == ERROR_SHAPE


def test_creates_answer_201(schema):
    for path in ("/api/v1/hospitals", "/api/v1/devices", "/api/v1/maintenance-agreements"):
        assert "201" in schema["paths"][path]["post"]["responses"]


def test_every_operation_requires_authentication(schema):
    unauthenticated = [
        f"{m.upper()} {p}" for p, m, op in operations(schema) if not op.get("security")
    ]
    assert not unauthenticated


def test_docs_page_renders_without_a_cdn(client):
    """GUIDE: no CDN (hospital networks are often closed): Swagger UI is served locally."""
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    assert "/api/v1/openapi.json" in html
    assert "cdn" not in html.lower()
    assert 'src="http' not in html and 'href="http' not in html


# --- authentication ---------------------------------------------------------------------
def test_no_credentials_is_401_with_the_error_shape(client):
    response = client.get("/api/v1/devices")
    assert response.status_code == 401
    assert set(response.json()) == ERROR_SHAPE
    response = client.post("/api/v1/hospitals", {"name": "X"}, content_type="application/json")
    assert response.status_code == 401


def test_bearer_token_authenticates(client):
    """Issue 2 §2: Authorization: Bearer <token>."""
    user = vendor_user(VendorRole.ENGINEER)
    _token, raw = api_token_create(user=user, name="ci")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.json()["username"] == user.username
    assert response.json()["vendor_role"] == "engineer"


@pytest.mark.parametrize(
    "header",
    ["Bearer ms_not-a-real-token", "Bearer abc", "Token {raw}", "Bearer {raw}x", "Bearer"],
    ids=["unknown-token", "no-prefix", "wrong-scheme", "altered-token", "empty"],
)
def test_bad_bearer_token_is_401(client, header):
    _token, raw = api_token_create(user=vendor_user(VendorRole.ENGINEER), name="ci")
    response = client.get("/api/v1/me", headers={"Authorization": header.format(raw=raw)})
    assert response.status_code == 401
    assert set(response.json()) == ERROR_SHAPE


def test_revoked_token_is_401(client):
    token, raw = api_token_create(user=vendor_user(VendorRole.ENGINEER), name="ci")
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    api_token_revoke(token=token)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_token_of_deactivated_user_is_401(client):
    user = vendor_user(VendorRole.ENGINEER)
    _token, raw = api_token_create(user=user, name="ci")
    user.is_active = False
    user.save()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401


def test_browser_session_authenticates(client):
    """Issue 2 §2: the API also accepts the browser session."""
    client.force_login(vendor_user(VendorRole.MANAGER))
    assert client.get("/api/v1/me").status_code == 200


# --- one error shape --------------------------------------------------------------------
def test_not_found_has_the_error_shape(client):
    client.force_login(vendor_user(VendorRole.MANAGER))
    response = client.get("/api/v1/devices/999999")
    assert response.status_code == 404
    assert response.json()["errors"] == []
    assert response.json()["detail"]


def test_unparsable_body_is_422_on_the_body(client):
    client.force_login(vendor_user(VendorRole.MANAGER))
    response = client.post("/api/v1/hospitals", "{not json", content_type="application/json")
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["body"]]


def test_missing_and_wrong_typed_fields_name_their_paths(client):
    client.force_login(vendor_user(VendorRole.MANAGER))
    response = client.post("/api/v1/devices", {"serial_number": 5}, content_type="application/json")
    assert response.status_code == 422
    locs = [e["loc"] for e in response.json()["errors"]]
    assert ["body", "serial_number"] in locs
    assert ["body", "hospital_id"] in locs
    assert ["body", "department_id"] in locs
    assert all(loc[:2] != ["body", "payload"] for loc in locs)


def test_service_errors_name_the_request_field_not_the_model_field(client):
    """A service complains about ``department``; the client sent ``department_id``."""
    client.force_login(vendor_user(VendorRole.MANAGER))
    device = DeviceFactory()
    foreign = DeviceFactory()
    response = client.post(
        "/api/v1/devices",
        {
            "product_model_id": device.product_model_id,
            "serial_number": "NEW",
            "hospital_id": device.hospital_id,
            "department_id": foreign.department_id,
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "department_id"]]

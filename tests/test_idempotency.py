"""Sent twice, done once (issue 10 §5): every create endpoint honours ``Idempotency-Key``,
keys belong to their user, a key reused for another request is 409; every form that writes
carries a one-time submission token, so the intake form sent five times opens one request.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from threading import Barrier

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from core.idempotency import forget_old
from core.models import IdempotentRequest
from core.tests.apiclient import Api
from service.models import ServiceRequest

pytestmark = pytest.mark.django_db


def keyed_post(client, headers, url, body, key=None):
    headers = headers | ({"Idempotency-Key": key} if key is not None else {})
    return client.post(f"/api/v1{url}", body, content_type="application/json", headers=headers)


class KeyedApi(Api):
    def post(self, url, body, key=None):
        return keyed_post(self.client, self.headers, url, body, key)


def intake_body(device, **extra) -> dict:
    return {"device_id": device.pk, "description": "屏幕无显示", **extra}


@pytest.fixture
def agent():
    return vendor_user(VendorRole.DISPATCHER, username="agent")


# --- the API --------------------------------------------------------------------------------
def test_the_same_key_twice_creates_one_request_and_answers_the_same(client, agent):
    device = DeviceFactory()
    api = KeyedApi(client, agent)
    first = api.post("/service-requests", intake_body(device), key="call-0815")
    second = api.post("/service-requests", intake_body(device), key="call-0815")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert ServiceRequest.objects.count() == 1


def test_a_key_reused_with_another_body_is_409_and_creates_nothing(client, agent):
    device = DeviceFactory()
    api = KeyedApi(client, agent)
    api.post("/service-requests", intake_body(device), key="k1")
    other = api.post("/service-requests", intake_body(device, description="另一个故障"), key="k1")
    assert other.status_code == 409
    assert other.json()["errors"] == [
        {
            "loc": ["header", "Idempotency-Key"],
            "msg": other.json()["detail"],
            "type": "idempotency_key_reused",
        }
    ]
    assert ServiceRequest.objects.count() == 1


def test_keys_belong_to_their_user(client, agent):
    """Another user's key never returns the first user's answer."""
    device = DeviceFactory()
    first = KeyedApi(client, agent).post("/service-requests", intake_body(device), key="k1")
    other_agent = vendor_user(VendorRole.DISPATCHER, username="agent2")
    second = KeyedApi(client, other_agent).post("/service-requests", intake_body(device), key="k1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert "Idempotent-Replayed" not in second.headers
    assert ServiceRequest.objects.count() == 2


def test_a_refused_write_is_not_kept_so_the_fixed_one_goes_through(client, agent):
    device = DeviceFactory()
    api = KeyedApi(client, agent)
    refused = api.post("/service-requests", intake_body(device, description=""), key="k1")
    assert refused.status_code == 422
    assert not IdempotentRequest.objects.exists()
    assert api.post("/service-requests", intake_body(device), key="k1").status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 101, "bad\nkey"])
def test_a_malformed_key_is_422_on_the_header(client, agent, key):
    response = KeyedApi(client, agent).post("/service-requests", intake_body(DeviceFactory()), key)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert not ServiceRequest.objects.exists()


def test_every_post_operation_documents_the_key_and_its_409(client, agent):
    schema = Api(client, agent).get("/openapi.json").json()
    posts = [(path, ops["post"]) for path, ops in schema["paths"].items() if "post" in ops]
    assert len(posts) > 20
    for path, operation in posts:
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert names.count("Idempotency-Key") == 1, path
        assert "409" in operation["responses"], path


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/hospitals", lambda d: {"name": "青岛市第三人民医院"}),
        ("/departments", lambda d: {"hospital_id": d.hospital_id, "name": "放射科"}),
        ("/stock-locations", lambda d: {"kind": "central", "name": "总库 2"}),
    ],
)
def test_other_create_endpoints_honour_the_key(client, url, body):
    admin = vendor_user(VendorRole.ADMIN, username="admin")
    api = KeyedApi(client, admin)
    device = DeviceFactory()
    first = api.post(url, body(device), key="same")
    second = api.post(url, body(device), key="same")
    assert first.status_code == 201, first.content
    assert second.json() == first.json() and second.headers["Idempotent-Replayed"] == "true"


def test_answers_are_forgotten_after_a_day(client, agent):
    KeyedApi(client, agent).post("/service-requests", intake_body(DeviceFactory()), key="k1")
    assert forget_old(now=timezone.now() + timedelta(hours=23)) == 0
    assert forget_old(now=timezone.now() + timedelta(hours=25)) == 1


# --- forms ----------------------------------------------------------------------------------
def _intake_form(client) -> dict:
    page = client.get("/service-requests/new/").content.decode()
    token = re.search(r'name="submission_token" value="([0-9a-f]{32})"', page)
    assert token, "the intake form carries its one-time token"
    return {"submission_token": token.group(1)}


def test_the_intake_form_sent_twice_opens_one_request(client, agent):
    device = DeviceFactory()
    client.force_login(agent)
    form = _intake_form(client) | {
        "device": device.pk,
        "severity": "normal",
        "description": "监护仪黑屏",
    }
    first = client.post("/service-requests/new/", form)
    second = client.post("/service-requests/new/", form)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert ServiceRequest.objects.count() == 1


def test_a_token_sent_to_another_form_is_refused(client, agent):
    device = DeviceFactory()
    client.force_login(agent)
    form = _intake_form(client) | {"device": device.pk, "severity": "normal", "description": "x"}
    client.post("/service-requests/new/", form)
    request = ServiceRequest.objects.get()
    other = client.post(
        f"/service-requests/{request.pk}/fault-cause/", form | {"fault_cause": "quality"}
    )
    assert other.status_code == 409
    request.refresh_from_db()
    assert request.fault_cause == "undetermined"


TEMPLATE_DIRS = [Path(settings.BASE_DIR)]
# Forms of people who are not logged in yet: there is nobody to keep a token for.
ANONYMOUS_FORMS = {
    "registration/login.html",
    "accounts/password_reset_form.html",
    "accounts/password_reset_confirm.html",
}


def test_every_form_that_posts_carries_a_submission_token():
    missing = []
    for path in Path(settings.BASE_DIR).rglob("templates/**/*.html"):
        if ".venv" in path.parts or any(path.as_posix().endswith(a) for a in ANONYMOUS_FORMS):
            continue
        html = path.read_text()
        for form in re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.S | re.I):
            opening = form[: form.index(">") + 1].lower()
            if ('method="post"' in opening or "hx-post" in opening) and (
                "{% submission_token %}" not in form
            ):
                missing.append(f"{path.relative_to(settings.BASE_DIR)}: {opening[:80]}")
    assert not missing, missing


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="parallel connections: PostgreSQL only"
)


@pytest.mark.postgres_only
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_five_parallel_posts_of_the_intake_form_open_one_request(transactional_db):
    agent = vendor_user(VendorRole.DISPATCHER, username="agent")
    device = DeviceFactory()
    browser = Client()
    browser.force_login(agent)
    form = _intake_form(browser) | {
        "device": device.pk,
        "severity": "normal",
        "description": "呼吸机报警",
    }
    cookies = browser.cookies
    barrier = Barrier(5)

    def post(_n: int) -> tuple[int, str]:
        try:
            tab = Client()
            tab.cookies = cookies
            barrier.wait(timeout=20)
            response = tab.post("/service-requests/new/", form)
            return response.status_code, response["Location"]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(post, range(5)))
    assert ServiceRequest.objects.count() == 1
    assert set(answers) == {(302, answers[0][1])}


@pytest.mark.postgres_only
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_five_parallel_api_posts_with_one_key_create_one(transactional_db):
    agent = vendor_user(VendorRole.DISPATCHER, username="agent")
    device = DeviceFactory()
    api = KeyedApi(Client(), agent)
    barrier = Barrier(5)

    def post(_n: int) -> int:
        try:
            barrier.wait(timeout=20)
            return keyed_post(
                Client(), api.headers, "/service-requests", intake_body(device), "same-call"
            ).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=5) as pool:
        codes = list(pool.map(post, range(5)))
    assert codes == [201] * 5
    assert ServiceRequest.objects.count() == 1

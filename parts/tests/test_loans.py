"""Loaner units (备件先行, issue 5 §3, R-7.3): install for a request (the ``loaner_installed``
step meets ``restored``), return, one place at a time (constraint + PostgreSQL race), the
API and the pages per role."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import factory
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory, ProductModelFactory
from customers.tests.factories import hospital_user
from parts.loaners import services as loans
from parts.loaners.services import LoanerUnavailable
from parts.models import Loan, LoanerState, LoanerUnit
from service.models import ServiceEvent, ServiceRequest
from service.services import service_request_open

from .factories import StockLocationFactory

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks under concurrency: PostgreSQL only"
)
H = dt.timedelta(hours=1)


class LoanerUnitFactory(factory.django.DjangoModelFactory[LoanerUnit]):
    class Meta:
        model = LoanerUnit

    product_model = factory.SubFactory(ProductModelFactory)
    serial_number = factory.Sequence(lambda n: f"LN-{n:04d}")
    location = factory.SubFactory(StockLocationFactory)


def open_request(device=None, *, hours_ago: float = 2) -> ServiceRequest:
    return service_request_open(
        device=device or DeviceFactory(),
        severity="normal",
        channel="hotline",
        description="monitor dark",
        recorded_by=vendor_user(VendorRole.DISPATCHER),
        reported_at=timezone.now() - hours_ago * H,
    )


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng")


@pytest.fixture
def loaner():
    return LoanerUnitFactory(serial_number="LN-1")


@pytest.fixture
def sr(engineer):
    """Dispatched to ``engineer``: the engineer who installs a loaner records its step."""
    request = open_request()
    request.engineers.add(engineer)
    return request


def loaner_events(request) -> int:
    return ServiceEvent.objects.filter(request=request, type="loaner_installed").count()


# --- services -----------------------------------------------------------------------------
def test_install_records_the_step_meets_restored_and_opens_a_loan(loaner, sr, engineer):
    shelf = loaner.location
    at = timezone.now() - H
    loan = loans.loaner_install(loaner=loaner, request=sr, user=engineer, installed_at=at, now=at)
    loaner.refresh_from_db()
    assert (loaner.state, loaner.location) == (LoanerState.ON_LOAN, None)
    assert loan.returned_at is None and loan.installed_at == at
    assert (loan.hospital, loan.department, loan.taken_from) == (
        sr.hospital,
        sr.department,
        shelf,
    )
    event = ServiceEvent.objects.get(request=sr, type="loaner_installed")
    assert (event.occurred_at, event.actor) == (at, engineer)
    assert "LN-1" in event.data["note"]
    assert sr.milestones.get(key="restored").met_at == at


def test_a_second_install_for_the_same_request_is_refused_and_writes_nothing(loaner, sr, engineer):
    loans.loaner_install(loaner=loaner, request=sr, user=engineer)
    with pytest.raises(LoanerUnavailable) as exc:
        loans.loaner_install(loaner=loaner, request=sr, user=engineer)
    assert f"already installed for {sr.number}" in exc.value.text
    assert exc.value.error_dict["loaner"][0].code == "loaner_unavailable"
    assert Loan.objects.count() == 1 and loaner_events(sr) == 1


def test_a_loaner_on_loan_cannot_go_to_another_request(loaner, sr, engineer):
    loans.loaner_install(loaner=loaner, request=sr, user=engineer)
    other = open_request()
    with pytest.raises(LoanerUnavailable, match=f"on loan for {sr.number}"):
        loans.loaner_install(loaner=loaner, request=other, user=engineer)
    assert loaner_events(other) == 0 and Loan.objects.count() == 1


@pytest.mark.parametrize("state", [LoanerState.IN_REPAIR, LoanerState.RETIRED])
def test_a_unit_in_repair_or_retired_is_refused(sr, engineer, state):
    unit = LoanerUnitFactory(state=state, location=None)
    with pytest.raises(LoanerUnavailable, match="not available"):
        loans.loaner_install(loaner=unit, request=sr, user=engineer)
    assert loaner_events(sr) == 0 and not Loan.objects.exists()


def test_a_closed_request_is_refused(loaner, sr, engineer):
    ServiceRequest.objects.filter(pk=sr.pk).update(is_open=False)
    with pytest.raises(ValidationError) as exc:
        loans.loaner_install(loaner=loaner, request=sr, user=engineer)
    assert set(exc.value.error_dict) == {"request"}
    loaner.refresh_from_db()
    assert loaner.state == LoanerState.AVAILABLE and not Loan.objects.exists()


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (lambda: timezone.now() + H, "future"),
        (lambda: timezone.now() - 5 * H, "before the fault was reported"),
        (lambda: dt.datetime(2026, 1, 1, 10, 0), "time zone"),
    ],
)
def test_a_bad_install_time_is_refused_on_its_field(loaner, sr, engineer, when, message):
    with pytest.raises(ValidationError) as exc:
        loans.loaner_install(loaner=loaner, request=sr, user=engineer, installed_at=when())
    assert set(exc.value.error_dict) == {"installed_at"}
    assert message in " ".join(exc.value.messages)
    assert loaner_events(sr) == 0 and not Loan.objects.exists()


def test_return_puts_the_unit_back_where_it_came_from(loaner, sr, engineer):
    shelf = loaner.location
    loan = loans.loaner_install(loaner=loaner, request=sr, user=engineer)
    loans.loaner_return(loan=loan, user=engineer)
    loan.refresh_from_db()
    loaner.refresh_from_db()
    assert loan.returned_at is not None and loan.returned_by == engineer
    assert loan.returned_to == shelf
    assert (loaner.state, loaner.location) == (LoanerState.AVAILABLE, shelf)
    # Back on the shelf, it can go out again.
    again = loans.loaner_install(
        loaner=loaner, request=open_request(), user=vendor_user(VendorRole.MANAGER)
    )
    assert again.taken_from == shelf


def test_return_to_another_location_and_a_second_return_is_refused(loaner, sr, engineer):
    loan = loans.loaner_install(loaner=loaner, request=sr, user=engineer)
    regional = StockLocationFactory(name="Regional", kind="regional")
    loans.loaner_return(loan=loan, user=engineer, location=regional)
    loaner.refresh_from_db()
    assert loaner.location == regional
    with pytest.raises(ValidationError) as exc:
        loans.loaner_return(loan=loan, user=engineer)
    assert exc.value.error_dict["loan"][0].code == "loan_closed"
    loaner.refresh_from_db()
    assert loaner.location == regional


def test_return_before_install_is_refused(loaner, sr, engineer):
    loan = loans.loaner_install(loaner=loaner, request=sr, user=engineer)
    with pytest.raises(ValidationError) as exc:
        loans.loaner_return(loan=loan, user=engineer, returned_at=timezone.now() - 3 * H)
    assert set(exc.value.error_dict) == {"returned_at"}
    assert Loan.objects.open().count() == 1


def test_create_needs_an_active_location_and_a_unique_serial():
    model = ProductModelFactory()
    with pytest.raises(ValidationError) as exc:
        loans.loaner_create(product_model=model, serial_number="X", location=None)
    assert set(exc.value.error_dict) == {"location"}
    store = StockLocationFactory()
    loans.loaner_create(product_model=model, serial_number="X", location=store)
    with pytest.raises(ValidationError) as exc:
        loans.loaner_create(product_model=model, serial_number="X", location=store)
    assert set(exc.value.error_dict) == {"serial_number"}


# --- the database backstops ---------------------------------------------------------------
def test_the_database_refuses_two_open_loans_of_one_loaner(loaner, sr, engineer):
    loans.loaner_install(loaner=loaner, request=sr, user=engineer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Loan.objects.create(
            loaner=loaner,
            request=sr,
            hospital=sr.hospital,
            department=sr.department,
            installed_at=timezone.now(),
            installed_by=engineer,
        )


def test_the_database_refuses_an_available_unit_without_a_shelf(loaner):
    with pytest.raises(IntegrityError), transaction.atomic():
        LoanerUnit.objects.filter(pk=loaner.pk).update(location=None)


@pytest.mark.postgres_only
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_installs_of_one_loaner_race_and_exactly_one_wins(transactional_db):
    engineer = vendor_user(VendorRole.ENGINEER, username="race-eng")
    unit = LoanerUnitFactory(serial_number="LN-RACE")
    requests = [open_request() for _ in range(4)]
    for request in requests:
        request.engineers.add(engineer)  # dispatched to the engineer who installs
    barrier = Barrier(len(requests))

    def install(request) -> str:
        try:
            barrier.wait(timeout=10)
            loans.loaner_install(loaner=unit, request=request, user=engineer)
            return "won"
        except LoanerUnavailable:
            return "refused"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        answers = list(pool.map(install, requests))
    assert sorted(answers) == ["refused"] * 3 + ["won"]
    assert Loan.objects.filter(loaner=unit, returned_at__isnull=True).count() == 1
    assert ServiceEvent.objects.filter(type="loaner_installed").count() == 1


# --- selectors ----------------------------------------------------------------------------
def test_loans_open_and_loans_for_request(loaner, sr, engineer):
    first = loans.loaner_install(loaner=loaner, request=sr, user=engineer)
    second_unit = LoanerUnitFactory()
    second = loans.loaner_install(
        loaner=second_unit,
        request=sr,
        user=engineer,
        installed_at=timezone.now() - H,
        late_reason="installed at night, recorded in the morning",
    )
    assert list(loans.loans_open()) == [second, first]  # the longest out first
    loans.loaner_return(loan=first, user=engineer)
    assert list(loans.loans_open()) == [second]
    assert set(loans.loans_for_request(sr)) == {first, second}
    assert list(loans.loans_for_request(open_request())) == []


# --- API ----------------------------------------------------------------------------------
def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_api_create_list_install_return(client, sr):
    manager = vendor_user(VendorRole.MANAGER, username="mgr")
    client.force_login(manager)
    store = StockLocationFactory(name="Central")
    model = ProductModelFactory()
    response = _post(
        client,
        "/api/v1/loaners",
        {"product_model_id": model.pk, "serial_number": "LN-API", "location_id": store.pk},
    )
    assert response.status_code == 201, response.content
    unit_id = response.json()["id"]
    assert response.json()["state"] == "available" and response.json()["current_loan"] is None

    response = _post(client, f"/api/v1/loaners/{unit_id}/install", {"request_id": sr.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "on_loan"
    assert body["current_loan"]["request_number"] == sr.number
    assert body["current_loan"]["hospital_id"] == sr.hospital_id

    listed = client.get("/api/v1/loaners?state=on_loan").json()
    assert [item["serial_number"] for item in listed["items"]] == ["LN-API"]
    assert listed["items"][0]["current_loan"]["request_id"] == sr.pk

    again = _post(client, f"/api/v1/loaners/{unit_id}/install", {"request_id": sr.pk})
    assert again.status_code == 409
    assert again.json()["errors"][0]["type"] == "loaner_unavailable"

    response = _post(client, f"/api/v1/loaners/{unit_id}/return", {})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "available"
    assert response.json()["location_id"] == store.pk
    assert _post(client, f"/api/v1/loaners/{unit_id}/return", {}).status_code == 409
    assert Loan.objects.count() == 1


def test_api_bad_input_answers_422_with_field_paths(client, loaner, sr):
    client.force_login(vendor_user(VendorRole.ENGINEER, username="eng2"))
    url = f"/api/v1/loaners/{loaner.pk}/install"
    future = (timezone.now() + 2 * H).isoformat()
    response = _post(client, url, {"request_id": sr.pk, "installed_at": future})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "installed_at"]
    response = _post(client, url, {"request_id": 999999})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "request_id"]
    response = _post(client, url, {})
    assert response.status_code == 422
    assert _post(client, "/api/v1/loaners/999999/install", {"request_id": sr.pk}).status_code == 404
    assert not Loan.objects.exists()


@pytest.mark.parametrize(
    ("role", "create", "install"),
    [
        (VendorRole.ADMIN, 201, 201),
        (VendorRole.ENGINEER, 403, 201),
        (VendorRole.DISPATCHER, 403, 403),
    ],
)
def test_api_roles(client, loaner, sr, role, create, install):
    user = vendor_user(role, username=f"r-{role}")
    if role == VendorRole.ENGINEER:
        sr.engineers.add(user)  # an engineer installs for a request dispatched to them
    client.force_login(user)
    assert client.get("/api/v1/loaners").status_code == 200
    body = {
        "product_model_id": loaner.product_model_id,
        "serial_number": f"NEW-{role}",
        "location_id": loaner.location_id,
    }
    assert _post(client, "/api/v1/loaners", body).status_code == create
    url = f"/api/v1/loaners/{loaner.pk}/install"
    assert _post(client, url, {"request_id": sr.pk}).status_code == install


def test_api_hospital_users_are_refused(client, loaner, sr):
    client.force_login(hospital_user(sr.hospital, username="h-admin"))
    assert client.get("/api/v1/loaners").status_code == 403
    url = f"/api/v1/loaners/{loaner.pk}/install"
    assert _post(client, url, {"request_id": sr.pk}).status_code == 404
    assert _post(client, f"/api/v1/loaners/{loaner.pk}/return", {}).status_code == 404
    assert not Loan.objects.exists()


# --- pages --------------------------------------------------------------------------------
def test_pages_install_and_return_by_an_engineer(client, loaner, sr, engineer):
    client.force_login(engineer)
    page = client.get(reverse("parts:loaner_list"))
    assert page.status_code == 200 and b'data-state="available"' in page.content
    form = client.get(reverse("parts:loan_create", args=[loaner.pk]))
    assert form.status_code == 200 and sr.number.encode() in form.content
    response = client.post(reverse("parts:loan_create", args=[loaner.pk]), {"request": sr.pk})
    assert response.status_code == 302
    detail = client.get(reverse("parts:loaner_detail", args=[loaner.pk]))
    assert sr.number.encode() in detail.content and b'data-state="on_loan"' in detail.content
    # A second submit of the same form: a clear error, nothing written.
    again = client.post(reverse("parts:loan_create", args=[loaner.pk]), {"request": sr.pk})
    assert again.status_code == 200 and b"already installed" in again.content
    assert Loan.objects.count() == 1
    board = client.get(reverse("parts:loans_board"))
    assert board.status_code == 200 and b"LN-1" in board.content
    assert client.get(reverse("parts:loans_out")).status_code == 200

    response = client.post(reverse("parts:loan_return", args=[loaner.pk]))
    assert response.status_code == 302
    loaner.refresh_from_db()
    assert loaner.state == LoanerState.AVAILABLE
    assert b"No loaner is out." in client.get(reverse("parts:loans_board")).content


def test_install_form_shows_a_bad_time_on_its_field(client, loaner, sr, engineer):
    client.force_login(engineer)
    future = timezone.localtime(timezone.now() + 2 * H).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("parts:loan_create", args=[loaner.pk]),
        {"request": sr.pk, "installed_at": future},
    )
    assert response.status_code == 200 and b"cannot be in the future" in response.content
    assert not Loan.objects.exists()


def test_office_registers_a_unit_and_a_dispatcher_may_not(client):
    store = StockLocationFactory()
    model = ProductModelFactory()
    data = {"product_model": model.pk, "serial_number": "LN-WEB", "location": store.pk}
    client.force_login(vendor_user(VendorRole.DISPATCHER, username="disp"))
    assert client.get(reverse("parts:loaner_list")).status_code == 200
    assert client.post(reverse("parts:loaner_create"), data).status_code == 403
    client.force_login(vendor_user(VendorRole.MANAGER, username="mgr2"))
    assert client.post(reverse("parts:loaner_create"), data).status_code == 302
    assert LoanerUnit.objects.get().serial_number == "LN-WEB"


def test_dispatch_board_loads_the_loans_fragment_for_vendor_staff(client, loaner, sr, engineer):
    loans.loaner_install(loaner=loaner, request=sr, user=engineer)
    client.force_login(vendor_user(VendorRole.DISPATCHER, username="disp2"))
    board = client.get(reverse("service:board"))
    assert reverse("parts:loans_board").encode() in board.content


def test_hospital_users_get_403_on_lists_and_404_on_a_unit(client, loaner, sr):
    client.force_login(hospital_user(sr.hospital, username="h2"))
    for name in ("parts:loaner_list", "parts:loans_out", "parts:loans_board"):
        assert client.get(reverse(name)).status_code == 403, name
    assert client.get(reverse("parts:loaner_detail", args=[loaner.pk])).status_code == 404
    response = client.post(reverse("parts:loan_create", args=[loaner.pk]), {"request": sr.pk})
    assert response.status_code == 404
    assert not Loan.objects.exists()

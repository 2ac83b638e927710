"""Loaner state changes (备件先行, issue 5 §3, R-7.3): to repair, back in service, retired;
a unit on loan is taken back first (409); the history says who and when; the pages, the API,
the request's loans fragment, and an install racing a retire on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from customers.tests.factories import hospital_user
from parts.loaners import services as loans
from parts.loaners.services import LoanerStateConflict, LoanerUnavailable
from parts.models import Loan, LoanerState, LoanerUnit
from service.models import ServiceEvent

from .factories import StockLocationFactory
from .test_loans import LoanerUnitFactory, open_request, postgres_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng")


@pytest.fixture
def office():
    return vendor_user(VendorRole.MANAGER, username="office")


@pytest.fixture
def loaner():
    return LoanerUnitFactory(serial_number="LN-7")


@pytest.fixture
def sr(engineer):
    """Dispatched to ``engineer``: the engineer who installs a loaner records its step."""
    request = open_request()
    request.engineers.add(engineer)
    return request


def snapshot(unit: LoanerUnit) -> tuple:
    unit.refresh_from_db()
    return (unit.state, unit.location_id, unit.notes, unit.history.count())


# --- services -----------------------------------------------------------------------------
def test_repair_then_back_in_service_then_retire_keeps_who_and_when(loaner, engineer, office):
    shelf = loaner.location
    other = StockLocationFactory(name="Workshop shelf")
    unit = loans.loaner_send_to_repair(loaner=loaner, user=engineer, note="screen flickers")
    assert (unit.state, unit.location) == (LoanerState.IN_REPAIR, None)
    assert "Sent to repair: screen flickers" in unit.notes
    unit = loans.loaner_back_in_service(loaner=unit, location=other, user=engineer)
    assert (unit.state, unit.location) == (LoanerState.AVAILABLE, other)
    unit = loans.loaner_retire(loaner=unit, user=office, note="sold")
    assert (unit.state, unit.location) == (LoanerState.RETIRED, None)

    history = loans.loaner_state_history(unit)
    assert [entry["state"] for entry in history] == [
        "retired",
        "available",
        "in_repair",
        "available",
    ]
    assert [entry["user"] for entry in history[:3]] == [office, engineer, engineer]
    assert history[0]["reason"] == "sold" and history[2]["reason"] == "screen flickers"
    assert history[3]["location"] == shelf


def test_a_unit_in_repair_may_be_retired(loaner, office, engineer):
    loans.loaner_send_to_repair(loaner=loaner, user=engineer)
    assert loans.loaner_retire(loaner=loaner, user=office).state == LoanerState.RETIRED


def test_a_unit_on_loan_is_taken_back_first_and_nothing_changes(loaner, sr, engineer, office):
    loans.loaner_install(loaner=loaner, request=sr, user=engineer)
    before = snapshot(loaner)
    for change in (
        lambda: loans.loaner_send_to_repair(loaner=loaner, user=engineer, note="x"),
        lambda: loans.loaner_retire(loaner=loaner, user=office, note="x"),
        lambda: loans.loaner_back_in_service(
            loaner=loaner, location=StockLocationFactory(), user=engineer
        ),
    ):
        with pytest.raises(LoanerStateConflict) as exc:
            change()
        assert exc.value.code == "on_loan" and "take it back first" in exc.value.message
    assert snapshot(loaner) == before


def test_wrong_states_are_refused_with_a_clear_message(loaner, engineer, office):
    with pytest.raises(LoanerStateConflict) as exc:
        loans.loaner_back_in_service(loaner=loaner, location=loaner.location, user=engineer)
    assert exc.value.code == "wrong_state" and "only a unit in repair" in exc.value.message
    loans.loaner_send_to_repair(loaner=loaner, user=engineer)
    with pytest.raises(LoanerStateConflict) as exc:
        loans.loaner_send_to_repair(loaner=loaner, user=engineer)
    assert "only an available unit" in exc.value.message
    loans.loaner_retire(loaner=loaner, user=office)
    before = snapshot(loaner)
    for change in (
        lambda: loans.loaner_retire(loaner=loaner, user=office),
        lambda: loans.loaner_send_to_repair(loaner=loaner, user=engineer),
        lambda: loans.loaner_back_in_service(
            loaner=loaner, location=StockLocationFactory(), user=engineer
        ),
    ):
        with pytest.raises(LoanerStateConflict) as exc:
            change()
        assert exc.value.code == "wrong_state"
    assert snapshot(loaner) == before
    # Retired is final: it cannot be lent either.
    with pytest.raises(LoanerUnavailable):
        loans.loaner_install(loaner=loaner, request=open_request(), user=engineer)


def test_back_in_service_needs_an_active_location(loaner, engineer):
    loans.loaner_send_to_repair(loaner=loaner, user=engineer)
    before = snapshot(loaner)
    closed = StockLocationFactory(active=False)
    for location, message in ((None, "Choose a stock location"), (closed, "closed")):
        with pytest.raises(ValidationError) as exc:
            loans.loaner_back_in_service(loaner=loaner, location=location, user=engineer)
        assert message in exc.value.message_dict["location"][0]
    assert snapshot(loaner) == before


def test_install_and_return_record_the_user_in_the_history(loaner, sr, engineer):
    loan = loans.loaner_install(loaner=loaner, request=sr, user=engineer)
    loans.loaner_return(loan=loan, user=engineer)
    history = loans.loaner_state_history(loaner)
    assert [(e["state"], e["user"]) for e in history[:2]] == [
        ("available", engineer),
        ("on_loan", engineer),
    ]


@pytest.mark.postgres_only
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_install_and_a_retire_race_and_exactly_one_wins(transactional_db):
    engineer = vendor_user(VendorRole.ENGINEER, username="race-eng")
    office = vendor_user(VendorRole.MANAGER, username="race-office")
    unit = LoanerUnitFactory(serial_number="LN-RACE-2")
    request = open_request()
    request.engineers.add(engineer)  # dispatched to the engineer who installs
    barrier = Barrier(2)

    def install() -> str:
        try:
            barrier.wait(timeout=10)
            loans.loaner_install(loaner=unit, request=request, user=engineer)
            return "installed"
        except LoanerUnavailable:
            return "refused"
        finally:
            connections.close_all()

    def retire() -> str:
        try:
            barrier.wait(timeout=10)
            loans.loaner_retire(loaner=unit, user=office)
            return "retired"
        except LoanerStateConflict:
            return "refused"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = sorted(f.result() for f in [pool.submit(install), pool.submit(retire)])
    unit.refresh_from_db()
    assert answers in (["installed", "refused"], ["refused", "retired"])
    if "installed" in answers:
        assert unit.state == LoanerState.ON_LOAN
        assert Loan.objects.filter(loaner=unit, returned_at__isnull=True).count() == 1
    else:
        assert unit.state == LoanerState.RETIRED
        assert not Loan.objects.exists()
        assert not ServiceEvent.objects.filter(type="loaner_installed").exists()


# --- pages --------------------------------------------------------------------------------
def test_pages_repair_back_in_service_and_retire(client, loaner, engineer, office):
    client.force_login(engineer)
    detail = reverse("parts:loaner_detail", args=[loaner.pk])
    page = client.get(detail).content.decode()
    assert reverse("parts:loaner_send_to_repair", args=[loaner.pk]) in page
    assert reverse("parts:loaner_retire", args=[loaner.pk]) not in page  # the office's call
    response = client.post(
        reverse("parts:loaner_send_to_repair", args=[loaner.pk]), {"note": "fan noise"}
    )
    assert response.status_code == 302
    page = client.get(detail).content.decode()
    assert 'data-state="in_repair"' in page and 'id="state-history"' in page
    assert "fan noise" in page and "eng" in page
    # Back in service without a location: an error, nothing written.
    response = client.post(reverse("parts:loaner_back_in_service", args=[loaner.pk]), {})
    assert response.status_code == 302
    loaner.refresh_from_db()
    assert loaner.state == LoanerState.IN_REPAIR
    response = client.post(
        reverse("parts:loaner_back_in_service", args=[loaner.pk]),
        {"location": loaner.history.earliest().location_id},
        follow=True,
    )
    assert b"available again" in response.content
    assert client.post(reverse("parts:loaner_retire", args=[loaner.pk])).status_code == 403
    client.force_login(office)
    response = client.post(reverse("parts:loaner_retire", args=[loaner.pk]), follow=True)
    assert b"is retired" in response.content
    again = client.post(reverse("parts:loaner_retire", args=[loaner.pk]), follow=True)
    assert b"already retired" in again.content
    loaner.refresh_from_db()
    assert loaner.state == LoanerState.RETIRED


def test_pages_refuse_a_unit_on_loan_and_other_roles(client, loaner, sr, engineer):
    loans.loaner_install(loaner=loaner, request=sr, user=engineer)
    client.force_login(engineer)
    url = reverse("parts:loaner_send_to_repair", args=[loaner.pk])
    response = client.post(url, follow=True)
    assert b"take it back first" in response.content
    assert client.get(url).status_code == 405
    client.force_login(vendor_user(VendorRole.DISPATCHER, username="disp"))
    assert client.post(url).status_code == 403
    client.force_login(hospital_user(sr.hospital, username="h1"))
    for name in ("loaner_send_to_repair", "loaner_back_in_service", "loaner_retire"):
        assert client.post(reverse(f"parts:{name}", args=[loaner.pk])).status_code == 404
    loaner.refresh_from_db()
    assert loaner.state == LoanerState.ON_LOAN


def test_request_loans_fragment(client, loaner, sr, engineer):
    loan = loans.loaner_install(loaner=loaner, request=sr, user=engineer)
    url = reverse("parts:request_loans", args=[sr.pk])
    client.force_login(engineer)
    page = client.get(url).content.decode()
    assert reverse("parts:loaner_detail", args=[loaner.pk]) in page
    assert "still there since" in page and "Take it back" in page
    install = f"state=available&amp;model={sr.device.product_model_id}&amp;request={sr.pk}"
    assert install in page
    loans.loaner_return(loan=loan, user=engineer)
    page = client.get(url).content.decode()
    assert "returned" in page and "still there since" not in page
    # The request page loads it.
    assert url.encode() in client.get(reverse("service:request_detail", args=[sr.pk])).content
    assert client.get(reverse("parts:request_loans", args=[999999])).status_code == 404
    client.force_login(hospital_user(sr.hospital, username="h2"))
    assert client.get(url).status_code == 403


def test_request_loans_fragment_in_hospital_local_time(client, loaner, sr, engineer):
    import datetime as dt

    from django.utils import timezone

    hospital = sr.hospital
    hospital.time_zone = "Asia/Urumqi"
    hospital.save(update_fields=["time_zone"])
    at = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=30)
    loans.loaner_install(loaner=loaner, request=sr, user=engineer, installed_at=at, now=at)
    client.force_login(engineer)
    page = client.get(reverse("parts:request_loans", args=[sr.pk])).content.decode()
    from zoneinfo import ZoneInfo

    assert at.astimezone(ZoneInfo("Asia/Urumqi")).strftime("%Y-%m-%d %H:%M") in page


def test_loaner_list_filters_by_model_and_offers_install_for_the_request(
    client, loaner, sr, engineer
):
    other = LoanerUnitFactory(serial_number="LN-OTHER")
    client.force_login(engineer)
    url = reverse("parts:loaner_list")
    page = client.get(
        url, {"state": "available", "model": loaner.product_model_id, "request": sr.pk}
    ).content.decode()
    assert "LN-7" in page and "LN-OTHER" not in page
    assert f"{reverse('parts:loan_create', args=[loaner.pk])}?request={sr.pk}" in page
    assert "LN-OTHER" in client.get(url).content.decode()
    assert other.pk


# --- API ----------------------------------------------------------------------------------
def _post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_api_repair_back_in_service_retire(client, loaner, office):
    client.force_login(office)
    base = f"/api/v1/loaners/{loaner.pk}"
    response = _post(client, f"{base}/send-to-repair", {"note": "battery"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "in_repair" and response.json()["location_id"] is None
    again = _post(client, f"{base}/send-to-repair")
    assert again.status_code == 409 and again.json()["errors"][0]["type"] == "wrong_state"
    bad = _post(client, f"{base}/back-in-service", {"location_id": 999999})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "location_id"]
    closed = StockLocationFactory(active=False)
    bad = _post(client, f"{base}/back-in-service", {"location_id": closed.pk})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "location_id"]
    assert _post(client, f"{base}/back-in-service").status_code == 422
    loaner.refresh_from_db()
    assert loaner.state == LoanerState.IN_REPAIR
    shelf = StockLocationFactory()
    response = _post(client, f"{base}/back-in-service", {"location_id": shelf.pk})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "available" and response.json()["location_id"] == shelf.pk
    response = _post(client, f"{base}/retire", {"note": "end of life"})
    assert response.status_code == 200 and response.json()["state"] == "retired"
    assert _post(client, f"{base}/retire").status_code == 409
    assert _post(client, "/api/v1/loaners/999999/retire").status_code == 404


def test_api_on_loan_is_409_and_roles(client, loaner, sr, engineer):
    loans.loaner_install(loaner=loaner, request=sr, user=engineer)
    base = f"/api/v1/loaners/{loaner.pk}"
    client.force_login(engineer)
    response = _post(client, f"{base}/send-to-repair")
    assert response.status_code == 409 and response.json()["errors"][0]["type"] == "on_loan"
    assert _post(client, f"{base}/retire").status_code == 403  # the office's call
    client.force_login(vendor_user(VendorRole.DISPATCHER, username="disp3"))
    assert _post(client, f"{base}/send-to-repair").status_code == 403
    client.force_login(hospital_user(sr.hospital, username="h3"))
    for action in ("send-to-repair", "retire"):
        assert _post(client, f"{base}/{action}").status_code == 404
    loaner.refresh_from_db()
    assert loaner.state == LoanerState.ON_LOAN


def test_api_list_filters_by_product_model(client, loaner, engineer):
    LoanerUnitFactory(serial_number="LN-ELSE")
    client.force_login(engineer)
    body = client.get(f"/api/v1/loaners?product_model_id={loaner.product_model_id}").json()
    assert [item["serial_number"] for item in body["items"]] == ["LN-7"]

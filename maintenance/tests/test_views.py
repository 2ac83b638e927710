"""The maintenance pages (issue 4 §1, §5; R-2.4, R-4.1, R-4.2): the visit list, the
engineer's visits of today, the visit page, the checklist form (with and without the
hospital's signature, bad input, double submit, findings), the sign page, special
inspections, photos, the device page's card, trips and the completion rate; who may see
or do what (another hospital's visit is a 404, a role's refusal a 403)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from PIL import Image, ImageDraw

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory, ProductModelFactory
from customers.models import HospitalRole
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user
from maintenance.generation import visits_generate
from maintenance.models import Visit, VisitFinding, VisitPhoto, VisitState
from maintenance.services import plan_template_create
from maintenance.visit_records import visit_complete
from service.models import ServiceRequest

pytestmark = pytest.mark.django_db

# 10:00 on 10 April 2026 in Shanghai: the monthly patrol of a device live since 10 March
# 2025 is due today (window 3 to 17 April); the March patrol is long done or overdue.
NOW = dt.datetime(2026, 4, 10, 2, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 4, 10)
LIVE_ON = dt.date(2025, 3, 10)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def signature_data_url(*, ink: bool = True) -> str:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    if ink:
        ImageDraw.Draw(image).line(
            [(10, 80), (60, 20), (120, 70), (200, 15), (280, 60)], fill="black", width=4
        )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng1", first_name="Wei", last_name="Zhang")


@pytest.fixture
def other_engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng2", first_name="Na", last_name="Li")


@pytest.fixture
def dispatcher():
    return vendor_user(VendorRole.DISPATCHER, username="agent")


@pytest.fixture
def manager():
    return vendor_user(VendorRole.MANAGER, username="manager")


@pytest.fixture
def model():
    """A model whose patrol reads the leakage current and takes a photo."""
    model = ProductModelFactory(manufacturer="Qingdun", name="QD-V900")
    plan_template_create(
        kind="patrol",
        product_model=model,
        checklist=[
            {"key": "appearance", "label": "Appearance", "type": "pass_fail"},
            {
                "key": "leakage_current",
                "label": "Leakage current",
                "type": "number",
                "unit": "µA",
                "max": 100,
            },
            {"key": "front_photo", "label": "Front panel", "type": "photo"},
            {"key": "remarks", "label": "Remarks", "type": "text"},
        ],
    )
    return model


@pytest.fixture
def hospital():
    return HospitalFactory(name="Qingdao Municipal Hospital")


@pytest.fixture
def icu(hospital):
    return DepartmentFactory(hospital=hospital, name="ICU")


def _device(model, department, serial):
    device = DeviceFactory(
        product_model=model, department=department, serial_number=serial, live_on=LIVE_ON
    )
    visits_generate(today=dt.date(2026, 3, 1), horizon_days=90, devices=[device])
    return device


@pytest.fixture
def device(model, icu):
    return _device(model, icu, "SN-0001")


@pytest.fixture
def patrol(device, engineer):
    """The patrol due today, assigned to the engineer."""
    visit = Visit.objects.get(device=device, due_on=TODAY)
    visit.engineers.add(engineer)
    return visit


@pytest.fixture
def other_device():
    """A device of another hospital, with its own patrol due today."""
    department = DepartmentFactory(hospital=HospitalFactory(name="Other Hospital"), name="OR")
    return _device(ProductModelFactory(), department, "SN-OTHER")


@pytest.fixture
def admin_user(hospital):
    return hospital_user(hospital, username="admin-a")


@pytest.fixture
def icu_user(hospital, icu):
    return hospital_user(
        hospital, HospitalRole.DEPARTMENT_USER, departments=[icu], username="icu-user"
    )


@pytest.fixture
def other_dept_user(hospital):
    ward = DepartmentFactory(hospital=hospital, name="Ward 3")
    return hospital_user(
        hospital, HospitalRole.DEPARTMENT_USER, departments=[ward], username="ward-user"
    )


def checklist_url(visit) -> str:
    return reverse("maintenance:checklist_edit", args=[visit.pk])


def detail_url(visit) -> str:
    return reverse("maintenance:visit_detail", args=[visit.pk])


def good_post(**extra) -> dict:
    data = {
        "item_appearance": "pass",
        "item_leakage_current": "35",
        "item_remarks": "All fine",
        "sign_mode": "later",
    }
    data.update(extra)
    return data


def complete(visit, user, **kwargs):
    kwargs.setdefault("signer_name", "")
    kwargs.setdefault("signature_data_url", "")
    return visit_complete(
        visit=visit,
        user=user,
        results={"appearance": "pass", "leakage_current": 20},
        **kwargs,
    )


# --- the list -----------------------------------------------------------------------------
def test_visit_list_is_scoped_and_filtered(client, manager, admin_user, patrol, other_device):
    client.force_login(manager)
    body = client.get(reverse("maintenance:visit_list")).content.decode()
    assert "Qingdao Municipal Hospital" in body and "Other Hospital" in body
    assert "SN-0001" in body and "SN-OTHER" in body

    client.force_login(admin_user)
    response = client.get(reverse("maintenance:visit_list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "SN-0001" in body and "SN-OTHER" not in body
    assert 'data-state="due"' in body  # today's patrol: its window is open
    # Another hospital as a filter is ignored, never shown.
    other = other_device.hospital
    body = client.get(reverse("maintenance:visit_list"), {"hospital": other.pk}).content.decode()
    assert "SN-OTHER" not in body and "SN-0001" in body


def test_visit_list_filters_by_state_and_due_dates(client, manager, patrol, device):
    client.force_login(manager)
    overdue = Visit.objects.get(device=device, due_on=dt.date(2026, 3, 10))
    body = client.get(reverse("maintenance:visit_list"), {"state": "overdue"}).content.decode()
    assert f'data-visit="{overdue.pk}"' in body and f'data-visit="{patrol.pk}"' not in body
    assert 'data-state="overdue"' in body
    body = client.get(
        reverse("maintenance:visit_list"), {"due_from": "2026-04-01", "due_to": "2026-04-30"}
    ).content.decode()
    assert f'data-visit="{patrol.pk}"' in body and f'data-visit="{overdue.pk}"' not in body


def test_visit_list_pages_by_25(client, manager, model, icu):
    for n in range(13):  # two or three visits each in the horizon
        _device(model, icu, f"SN-P{n:02d}")
    client.force_login(manager)
    response = client.get(reverse("maintenance:visit_list"))
    assert response.context["page_obj"].paginator.per_page == 25
    assert len(response.context["visits"]) == 25
    assert response.context["page_obj"].paginator.count > 25


def test_department_user_sees_only_the_visits_of_their_department(
    client, other_dept_user, icu_user, patrol
):
    client.force_login(other_dept_user)
    assert "SN-0001" not in client.get(reverse("maintenance:visit_list")).content.decode()
    assert client.get(detail_url(patrol)).status_code == 404
    client.force_login(icu_user)
    assert "SN-0001" in client.get(reverse("maintenance:visit_list")).content.decode()
    assert client.get(detail_url(patrol)).status_code == 200


# --- the engineer's day -------------------------------------------------------------------
def test_todays_visits_groups_mine_into_trips(client, engineer, other_engineer, patrol, device):
    overdue = Visit.objects.get(device=device, due_on=dt.date(2026, 3, 10))
    overdue.engineers.add(engineer)
    future = Visit.objects.get(device=device, due_on=dt.date(2026, 5, 10))
    future.engineers.add(engineer)
    client.force_login(engineer)
    response = client.get(reverse("maintenance:visits_today"))
    assert response.status_code == 200
    trips = response.context["trips"]
    assert [(t.day, [v.pk for v in t.visits]) for t in trips] == [
        (overdue.due_on, [overdue.pk]),
        (TODAY, [patrol.pk]),
    ]
    body = response.content.decode()
    assert checklist_url(patrol) in body
    assert f'data-visit="{future.pk}"' not in body

    client.force_login(other_engineer)
    response = client.get(reverse("maintenance:visits_today"))
    assert response.context["trips"] == []
    assert "No visit is due for you today." in response.content.decode()


def test_nav_offers_todays_visits_to_engineers_only(client, engineer, manager):
    client.force_login(engineer)
    assert reverse("maintenance:visits_today") in client.get("/").content.decode()
    client.force_login(manager)
    body = client.get("/").content.decode()
    assert reverse("maintenance:visits_today") not in body
    assert reverse("maintenance:visit_list") in body


# --- the visit page -----------------------------------------------------------------------
def test_visit_detail_shows_the_visit(client, engineer, patrol):
    client.force_login(engineer)
    response = client.get(detail_url(patrol))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Monthly patrol" in body and "SN-0001" in body and "Qingdao Municipal Hospital" in body
    assert "2026-04-03" in body and "2026-04-17" in body  # the window
    assert "Zhang" in body  # the engineer
    assert checklist_url(patrol) in body
    assert "Leakage current" in body


def test_another_hospitals_visit_is_a_404(client, admin_user, other_device):
    visit = Visit.objects.filter(device=other_device).first()
    assert visit is not None
    client.force_login(admin_user)
    assert client.get(detail_url(visit)).status_code == 404
    for name in ("checklist_edit", "visit_sign"):
        url = reverse(f"maintenance:{name}", args=[visit.pk])
        assert client.get(url).status_code == 404, name
        assert client.post(url, good_post()).status_code == 404, name
    visit.refresh_from_db()
    assert visit.state == VisitState.PLANNED


# --- the checklist ------------------------------------------------------------------------
def test_checklist_form_is_made_for_a_phone(client, engineer, patrol):
    client.force_login(engineer)
    response = client.get(checklist_url(patrol))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('class="btn-check') >= 2  # pass / fail as big buttons
    assert 'inputmode="decimal"' in body and 'data-max="100"' in body and "µA" in body
    assert 'accept="image/*"' in body and 'capture="environment"' in body
    assert 'name="raise_requests_for" value="leakage_current"' in body
    assert "signature-canvas" in body


@pytest.mark.parametrize("who", ["dispatcher", "admin_user", "icu_user"])
def test_only_technical_staff_fill_in_a_checklist(client, request, who, patrol):
    client.force_login(request.getfixturevalue(who))
    assert client.get(checklist_url(patrol)).status_code == 403
    assert client.post(checklist_url(patrol), good_post()).status_code == 403
    patrol.refresh_from_db()
    assert patrol.state == VisitState.PLANNED


def test_completing_without_signature_awaits_the_hospital(client, engineer, patrol):
    client.force_login(engineer)
    response = client.post(checklist_url(patrol), good_post())
    assert response.status_code == 302 and response.url == detail_url(patrol)
    patrol.refresh_from_db()
    assert (patrol.state, patrol.done_by, patrol.content_hash) == (VisitState.DONE, engineer, "")
    assert patrol.results["leakage_current"]["value"] == 35
    assert patrol.results["remarks"]["value"] == "All fine"
    body = client.get(detail_url(patrol)).content.decode()
    assert 'data-state="awaiting_signature"' in body
    assert 'data-signed="false"' in body


def test_completing_with_the_hospitals_signature_signs_at_once(client, engineer, patrol):
    client.force_login(engineer)
    response = client.post(
        checklist_url(patrol),
        good_post(sign_mode="now", signer_name="Director Wang", signature=signature_data_url()),
    )
    assert response.status_code == 302
    patrol.refresh_from_db()
    assert patrol.state == VisitState.DONE
    assert len(patrol.content_hash) == 64 and patrol.signer_name == "Director Wang"
    body = client.get(detail_url(patrol)).content.decode()
    assert 'data-signed="true"' in body and "Director Wang" in body
    assert "data:image/png;base64," in body


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (good_post(item_appearance=""), "item_appearance", "“Appearance” is required."),
        (good_post(item_leakage_current="abc"), "item_leakage_current", "must be a number"),
        (good_post(item_appearance="maybe"), "item_appearance", "Select a valid choice"),
        (good_post(sign_mode="now"), "signer_name", ""),
        (good_post(sign_mode="now", signer_name="Wang"), "signature", ""),
        (good_post(sign_mode=""), "sign_mode", "signs now or later"),
        (good_post(raise_requests_for="leakage_current"), "raise_requests_for", "Only a failed"),
    ],
)
def test_bad_input_shows_errors_and_changes_nothing(
    client, engineer, patrol, data, field, message, settings
):
    client.force_login(engineer)
    response = client.post(checklist_url(patrol), data)
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors.get(field), form.errors
    if message:
        assert message in " ".join(form.errors[field])
    patrol.refresh_from_db()
    assert (patrol.state, patrol.results, patrol.content_hash) == (VisitState.PLANNED, {}, "")
    assert not ServiceRequest.objects.exists()


def test_out_of_limit_reading_raises_a_service_request_shown_on_the_visit(client, engineer, patrol):
    client.force_login(engineer)
    response = client.post(
        checklist_url(patrol),
        good_post(item_leakage_current="150", raise_requests_for="leakage_current"),
    )
    assert response.status_code == 302
    (finding,) = VisitFinding.objects.filter(visit=patrol)
    request = finding.request
    assert (finding.item_key, request.channel, request.device_id) == (
        "leakage_current",
        "visit",
        patrol.device_id,
    )
    body = client.get(detail_url(patrol)).content.decode()
    assert reverse("service:request_detail", args=[request.pk]) in body
    assert request.number in body and "out of limits" in body


def test_a_double_submit_completes_once(client, engineer, patrol):
    client.force_login(engineer)
    data = good_post(item_leakage_current="150", raise_requests_for="leakage_current")
    assert client.post(checklist_url(patrol), data).status_code == 302
    patrol.refresh_from_db()
    done_at = patrol.done_at
    response = client.post(checklist_url(patrol), data, follow=True)
    assert response.redirect_chain == [(detail_url(patrol), 302)]
    assert "already completed" in response.content.decode()
    patrol.refresh_from_db()
    assert patrol.done_at == done_at
    assert ServiceRequest.objects.count() == 1
    # Opening the form again sends the engineer to the visit.
    assert client.get(checklist_url(patrol)).url == detail_url(patrol)


def test_a_completion_lost_to_a_concurrent_one_lands_on_the_visit(
    client, engineer, patrol, monkeypatch
):
    """Two phones submit at once: the one that loses finds the visit done in the service."""
    from django.core.exceptions import ValidationError

    from maintenance import visit_records

    def refuse(**kwargs):
        raise ValidationError({"state": "Only a planned visit can be completed."})

    monkeypatch.setattr(visit_records, "visit_complete", refuse)
    client.force_login(engineer)
    response = client.post(checklist_url(patrol), good_post(), follow=True)
    assert response.redirect_chain == [(detail_url(patrol), 302)]
    assert "already completed" in response.content.decode()


# --- photos -------------------------------------------------------------------------------
def test_a_photo_is_uploaded_in_place_shown_and_removed(client, engineer, patrol, icu_user):
    client.force_login(engineer)
    upload = io.BytesIO(png_bytes())
    upload.name = "front.png"
    response = client.post(
        reverse("maintenance:visit_photo_add", args=[patrol.pk]),
        {"item_key": "front_photo", "photo": upload},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    (photo,) = VisitPhoto.objects.filter(visit=patrol)
    photo_url = reverse("maintenance:visit_photo", args=[patrol.pk, photo.pk])
    assert photo_url in response.content.decode()
    assert client.get(photo_url).status_code == 200
    # The hospital's own users see it; nobody else's.
    client.force_login(icu_user)
    assert client.get(photo_url).status_code == 200
    client.force_login(engineer)
    response = client.post(
        reverse("maintenance:visit_photo_remove", args=[patrol.pk, photo.pk]),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert not VisitPhoto.objects.filter(visit=patrol).exists()


def test_a_file_that_is_not_an_image_is_refused_in_place(client, engineer, patrol):
    client.force_login(engineer)
    upload = io.BytesIO(b"not an image")
    upload.name = "front.png"
    response = client.post(
        reverse("maintenance:visit_photo_add", args=[patrol.pk]),
        {"item_key": "front_photo", "photo": upload},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not VisitPhoto.objects.exists()


def test_photos_of_another_hospital_are_a_404(client, engineer, admin_user, other_device):
    visit = Visit.objects.filter(device=other_device).first()
    assert visit is not None
    client.force_login(admin_user)
    upload = io.BytesIO(png_bytes())
    upload.name = "x.png"
    response = client.post(
        reverse("maintenance:visit_photo_add", args=[visit.pk]),
        {"item_key": "front_photo", "photo": upload},
    )
    assert response.status_code == 404
    assert not VisitPhoto.objects.exists()


# --- signing ------------------------------------------------------------------------------
def test_department_user_signs_a_completed_visit(client, engineer, icu_user, patrol):
    complete(patrol, engineer)
    client.force_login(icu_user)
    body = client.get(detail_url(patrol)).content.decode()
    sign_url = reverse("maintenance:visit_sign", args=[patrol.pk])
    assert sign_url in body
    response = client.get(sign_url)
    assert response.status_code == 200
    assert "Leakage current" in response.content.decode()  # what is signed, read-only
    response = client.post(sign_url, {"signer_name": "Nurse Li", "signature": ""})
    assert response.status_code == 422
    assert response.context["form"].errors["signature"]
    patrol.refresh_from_db()
    assert patrol.content_hash == ""
    response = client.post(sign_url, {"signer_name": "Nurse Li", "signature": signature_data_url()})
    assert response.status_code == 302 and response.url == detail_url(patrol)
    patrol.refresh_from_db()
    assert len(patrol.content_hash) == 64 and patrol.signer_name == "Nurse Li"
    # Signed is frozen: the sign page only says so.
    assert client.get(sign_url).url == detail_url(patrol)


def test_who_may_sign(client, engineer, dispatcher, other_dept_user, manager, patrol):
    complete(patrol, engineer)
    sign_url = reverse("maintenance:visit_sign", args=[patrol.pk])
    client.force_login(dispatcher)
    assert client.get(sign_url).status_code == 403
    client.force_login(other_dept_user)
    assert client.get(sign_url).status_code == 404
    client.force_login(manager)  # vendor technical staff collect it on the spot
    assert client.get(sign_url).status_code == 200


def test_a_planned_visit_cannot_be_signed_yet(client, icu_user, patrol):
    client.force_login(icu_user)
    response = client.get(reverse("maintenance:visit_sign", args=[patrol.pk]))
    assert response.status_code == 302 and response.url == detail_url(patrol)


# --- special inspections ------------------------------------------------------------------
def test_special_inspection_from_the_device_page(client, engineer, device):
    client.force_login(engineer)
    url = reverse("maintenance:special_create")
    response = client.get(url, {"device": device.pk})
    assert response.status_code == 200
    assert "SN-0001" in response.content.decode()
    response = client.post(url, {"device": device.pk, "reason": ""})
    assert response.status_code == 422
    assert response.context["form"].errors["reason"]
    assert not Visit.objects.filter(main_kind="special").exists()
    response = client.post(url, {"device": device.pk, "reason": "Alarm E12 twice a day"})
    visit = Visit.objects.get(main_kind="special")
    assert response.status_code == 302 and response.url == detail_url(visit)
    assert (visit.device, visit.reason, visit.due_on) == (device, "Alarm E12 twice a day", TODAY)
    body = client.get(detail_url(visit)).content.decode()
    assert "Special inspection" in body and "Alarm E12 twice a day" in body


def test_special_inspection_by_serial_number(client, manager, device):
    client.force_login(manager)
    url = reverse("maintenance:special_create")
    response = client.post(url, {"device_code": "SN-NOPE", "reason": "x"})
    assert response.status_code == 422 and response.context["form"].errors["device_code"]
    response = client.post(url, {"device_code": "SN-0001", "reason": "Smell of burning"})
    assert response.status_code == 302
    assert Visit.objects.get(main_kind="special").device == device


@pytest.mark.parametrize("who", ["dispatcher", "admin_user"])
def test_special_inspection_is_the_vendors_technical_staff(client, request, who, device):
    client.force_login(request.getfixturevalue(who))
    url = reverse("maintenance:special_create")
    assert client.get(url, {"device": device.pk}).status_code == 403
    assert client.post(url, {"device": device.pk, "reason": "x"}).status_code == 403
    assert not Visit.objects.filter(main_kind="special").exists()


# --- the device page ----------------------------------------------------------------------
def test_device_page_loads_the_visits_card(client, engineer, device, patrol):
    client.force_login(engineer)
    body = client.get(reverse("assets:device_detail", args=[device.pk])).content.decode()
    assert reverse("maintenance:device_visits", args=[device.pk]) in body
    complete(patrol, engineer)
    response = client.get(reverse("maintenance:device_visits", args=[device.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert [v.pk for v in response.context["past"]] == [patrol.pk]
    assert [v.due_on for v in response.context["upcoming"]] == [
        dt.date(2026, 3, 10),  # overdue, still planned
        dt.date(2026, 5, 10),
    ]
    assert detail_url(patrol) in body
    assert 'data-state="awaiting_signature"' in body and 'data-state="overdue"' in body
    assert reverse("maintenance:special_create") + f"?device={device.pk}" in body


def test_device_card_of_another_hospital_is_a_404(client, admin_user, other_device):
    client.force_login(admin_user)
    url = reverse("maintenance:device_visits", args=[other_device.pk])
    assert client.get(url).status_code == 404


# --- trips and completion -----------------------------------------------------------------
def test_trips_group_visits_per_hospital_and_day(
    client, manager, admin_user, engineer, model, icu, patrol, other_device
):
    _device(model, icu, "SN-0002")
    client.force_login(manager)
    url = reverse("maintenance:trips")
    response = client.get(url, {"due_from": "2026-04-10", "due_to": "2026-04-10"})
    assert response.status_code == 200
    trips = response.context["trips"]
    assert [(t.day, t.hospital.name) for t in trips] == [
        (TODAY, "Other Hospital"),
        (TODAY, "Qingdao Municipal Hospital"),
    ]
    assert sorted(v.device.serial_number for v in trips[1].visits) == ["SN-0001", "SN-0002"]
    assert trips[1].engineers == [engineer]
    # One engineer's trips.
    response = client.get(
        url, {"due_from": "2026-04-10", "due_to": "2026-04-10", "engineer": engineer.pk}
    )
    (trip,) = response.context["trips"]
    assert [v.pk for v in trip.visits] == [patrol.pk]
    client.force_login(admin_user)
    assert client.get(url).status_code == 403


def _rows(response) -> dict:
    rows = {row.hospital.name: row for row in response.context["rows"]}
    rows["total"] = response.context["total"]
    return {k: (r.scheduled, r.done, r.done_in_window, r.rate) for k, r in rows.items()}


def test_completion_rate_per_hospital_and_in_total(
    client, manager, admin_user, engineer, model, icu, patrol, other_device
):
    _device(model, icu, "SN-0002")  # its April patrol stays undone
    complete(patrol, engineer)  # done today, within its window
    client.force_login(manager)
    response = client.get(reverse("maintenance:completion"))  # this month: April 2026
    assert response.status_code == 200
    assert _rows(response) == {
        "Qingdao Municipal Hospital": (2, 1, 1, Decimal("50.0")),
        "Other Hospital": (1, 0, 0, Decimal("0.0")),
        "total": (3, 1, 1, Decimal("33.3")),
    }
    assert "50.0 %" in response.content.decode()
    # A period instead of the month.
    response = client.get(
        reverse("maintenance:completion"), {"start": "2026-04-10", "end": "2026-04-10"}
    )
    assert _rows(response)["total"] == (3, 1, 1, Decimal("33.3"))
    response = client.get(reverse("maintenance:completion"), {"month": "2026-05"})
    assert _rows(response)["total"] == (3, 0, 0, Decimal("0.0"))
    # Hospital users see their own hospital only.
    client.force_login(admin_user)
    response = client.get(reverse("maintenance:completion"))
    assert _rows(response) == {
        "Qingdao Municipal Hospital": (2, 1, 1, Decimal("50.0")),
        "total": (2, 1, 1, Decimal("50.0")),
    }
    assert "Other Hospital" not in response.content.decode()


def test_completion_period_needs_both_ends(client, manager):
    client.force_login(manager)
    response = client.get(reverse("maintenance:completion"), {"start": "2026-03-01"})
    assert response.status_code == 200
    assert response.context["form"].errors["end"]
    assert (response.context["start"], response.context["end"]) == (
        dt.date(2026, 4, 1),
        dt.date(2026, 4, 30),
    )
    assert re.search(r"2026-04-01", response.content.decode())


def test_an_unjustified_failure_reshows_the_form_with_the_drawing_kept(client, engineer, patrol):
    """Issue 12 §1: a failed reading neither raising a request nor justified in its note is
    refused next to the item; nothing is saved, the hospital's drawing is kept on the page."""
    client.force_login(engineer)
    drawing = signature_data_url()
    response = client.post(
        checklist_url(patrol),
        good_post(
            item_leakage_current="150",
            sign_mode="now",
            signer_name="Director Wang",
            signature=drawing,
        ),
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "write in its note" in " ".join(errors["item_leakage_current"])
    body = response.content.decode()
    assert drawing in body  # the drawn signature comes back with the page
    patrol.refresh_from_db()
    assert (patrol.state, patrol.results, patrol.content_hash) == (VisitState.PLANNED, {}, "")
    assert not ServiceRequest.objects.exists()

    justified = good_post(item_leakage_current="150", note_leakage_current="Re-measured: 90 µA")
    assert client.post(checklist_url(patrol), justified).status_code == 302
    patrol.refresh_from_db()
    assert patrol.results["leakage_current"]["note"] == "Re-measured: 90 µA"

"""The installed-base pages: search, registration by UDI, go-live (R-5.1), labels,
components, emergency procedures, and who may see or change what."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.models import Device, DeviceStatus, EmergencyProcedure, MainComponent, ProductModel
from assets.tests.factories import (
    DeviceFactory,
    EmergencyProcedureFactory,
    MainComponentFactory,
    ProductModelFactory,
)
from customers.models import HospitalRole, ServiceOrganisation
from customers.tests.factories import ContactFactory, DepartmentFactory, hospital_user

pytestmark = pytest.mark.django_db

GTIN = "06971234567895"
BAD_GTIN = "06971234567896"  # wrong check digit
NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER)


@pytest.fixture
def department():
    return DepartmentFactory(name="Radiology")


@pytest.fixture
def other_department():
    return DepartmentFactory(name="ICU")


@pytest.fixture
def model():
    return ProductModelFactory(manufacturer="Qingdun", name="QD-100", gtin=GTIN)


@pytest.fixture
def device(model, department):
    return DeviceFactory(
        product_model=model,
        department=department,
        serial_number="SN1",
        asset_tag="AT-0001",
        udi=f"(01){GTIN}(21)SN1",
        udi_di=GTIN,
        udi_serial="SN1",
    )


def login(client, user):
    client.force_login(user)
    return client


def url(name, *args):
    return reverse(f"assets:{name}", args=args)


# --- search ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "SN1",
        "sn1",
        "AT-0001",
        f"(01){GTIN}(21)SN1",
        f"01{GTIN}21SN1",
        f"]d201{GTIN}11250101\x1d21SN1",
        "https://service.example.com/d/{public_id}/",
    ],
    ids=["serial", "serial-any-case", "asset-tag", "udi-hri", "udi-raw", "udi-raw-gs", "label"],
)
def test_search_finds_the_device_and_opens_it(client, engineer, device, model, text):
    DeviceFactory(product_model=model, serial_number="SN2", asset_tag="AT-0002")
    login(client, engineer)
    response = client.get(url("device_list"), {"q": text.format(public_id=device.public_id)})
    assert response.status_code == 302
    assert response.url == url("device_detail", device.pk)


def test_search_with_several_matches_lists_them(client, engineer, model):
    first = DeviceFactory(product_model=model, serial_number="ABC-1")
    second = DeviceFactory(product_model=model, serial_number="ABC-2")
    login(client, engineer)
    response = client.get(url("device_list"), {"q": "ABC"})
    assert response.status_code == 200
    assert set(response.context["page"]) == {first, second}


def test_search_without_match_offers_registration_of_the_udi(client, engineer, device):
    login(client, engineer)
    response = client.get(url("device_list"), {"q": f"(01){GTIN}(21)UNKNOWN"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert url("device_create") + "?udi=" in response.content.decode()


def test_device_list_filters(client, engineer, device, model, other_department):
    other = DeviceFactory(department=other_department, status=DeviceStatus.DOWN)
    login(client, engineer)
    response = client.get(url("device_list"), {"hospital": device.hospital_id})
    assert list(response.context["page"]) == [device]
    response = client.get(url("device_list"), {"status": "down"})
    assert list(response.context["page"]) == [other]
    response = client.get(url("device_list"), {"model": model.pk})
    assert list(response.context["page"]) == [device]


def test_department_user_sees_only_their_departments_devices(client, device):
    neighbour = DepartmentFactory(hospital=device.hospital, name="Cardiology")
    hidden = DeviceFactory(department=neighbour)
    user = hospital_user(
        device.hospital, role=HospitalRole.DEPARTMENT_USER, departments=[device.department]
    )
    login(client, user)
    response = client.get(url("device_list"))
    assert list(response.context["page"]) == [device]
    assert client.get(url("device_detail", hidden.pk)).status_code == 404
    assert client.get(url("device_detail", device.pk)).status_code == 200
    # Hidden buttons: a department user registers nothing.
    assert url("device_create") not in response.content.decode()


# --- registering a device -----------------------------------------------------------------
def device_post(department, /, **overrides):
    data = {
        "udi": f"(01){GTIN}(11)251201(21)SCAN-7",
        "product_model": "",
        "serial_number": "",
        "asset_tag": "RAD-7",
        "hospital": department.hospital_id,
        "department": department.pk,
        "location": "Room 3",
        "installed_on": "2026-01-05",
        "acceptance_certificate_no": "YS-2026-7",
        "accepted_on": "2026-01-10",
        "live_on": "",
        "responsible_contact": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_register_a_device_from_its_udi(client, engineer, model, department):
    contact = ContactFactory(hospital=department.hospital)
    login(client, engineer)
    assert client.get(url("device_create")).status_code == 200
    response = client.post(
        url("device_create"), device_post(department, responsible_contact=contact.pk)
    )
    assert response.status_code == 302, response.context["form"].errors
    device = Device.objects.get()
    assert response.url == url("device_detail", device.pk)
    assert device.product_model == model  # inferred from the GTIN
    assert device.serial_number == "SCAN-7"  # taken from AI 21
    assert (device.udi_di, device.udi_serial) == (GTIN, "SCAN-7")
    assert device.udi_production_date == dt.date(2025, 12, 1)
    assert device.responsible_contact == contact
    assert device.status == DeviceStatus.INSTALLED

    page = client.get(response.url)
    assert page.status_code == 200
    content = page.content.decode()
    assert "SCAN-7" in content
    assert "2025-12-01" in content  # UDI production date, parsed
    assert "not yet received" in content  # warning


def test_register_accepts_the_raw_scanner_form(client, engineer, model, department):
    login(client, engineer)
    response = client.post(
        url("device_create"), device_post(department, udi=f"01{GTIN}10LOT9\x1d21RAW-1")
    )
    assert response.status_code == 302, response.context["form"].errors
    device = Device.objects.get()
    assert (device.serial_number, device.udi_lot) == ("RAW-1", "LOT9")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"udi": f"(01){GTIN}(21)SN1"}, "serial_number"),  # duplicate serial of the model
        ({"udi": "", "product_model": "{model}", "serial_number": "SN1"}, "serial_number"),
        ({"udi": f"(01){BAD_GTIN}(21)X-1"}, "udi"),
        ({"installed_on": "2026-01-10", "accepted_on": "2026-01-05"}, "accepted_on"),
        ({"accepted_on": "2026-03-03"}, "accepted_on"),  # tomorrow in Shanghai
        ({"department": "{other_hospital_department}"}, "department"),
        ({"live_on": "2026-02-01"}, "live_on"),  # no emergency procedure received
        ({"udi": "", "product_model": "", "serial_number": "X-2"}, "product_model"),
    ],
    ids=[
        "duplicate-serial-from-udi",
        "duplicate-serial-typed",
        "gtin-check-digit",
        "accepted-before-installed",
        "accepted-in-future",
        "department-of-other-hospital",
        "go-live-without-procedure",
        "no-model",
    ],
)
def test_bad_input_gives_a_field_error_and_saves_nothing(
    client, engineer, device, model, department, overrides, field
):
    other_department = DepartmentFactory()
    values = {
        key: str(value).format(model=model.pk, other_hospital_department=other_department.pk)
        for key, value in overrides.items()
    }
    login(client, engineer)
    before = Device.objects.count()
    response = client.post(url("device_create"), device_post(department, **values))
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert Device.objects.count() == before
    assert "is-invalid" in response.content.decode()


def test_department_options_follow_the_hospital(client, engineer, department, other_department):
    login(client, engineer)
    response = client.get(
        url("options"), {"kind": "departments", "hospital": department.hospital_id}
    )
    content = response.content.decode()
    assert f'value="{department.pk}"' in content
    assert f'value="{other_department.pk}"' not in content
    assert client.get(url("options"), {"kind": "nothing"}).status_code == 404


def test_options_stay_in_the_viewers_scope(client, department, other_department):
    user = hospital_user(department.hospital)
    login(client, user)
    response = client.get(
        url("options"), {"kind": "departments", "hospital": other_department.hospital_id}
    )
    assert f'value="{other_department.pk}"' not in response.content.decode()


def test_contact_and_device_options(client, engineer, device):
    contact = ContactFactory(hospital=device.hospital)
    stranger = ContactFactory()
    login(client, engineer)
    page = client.get(url("device_create")).content.decode()
    assert f'hx-get="{url("options")}?kind=departments"' in page
    response = client.get(url("options"), {"kind": "contacts", "hospital": device.hospital_id})
    content = response.content.decode()
    assert f'value="{contact.pk}"' in content
    assert f'value="{stranger.pk}"' not in content
    response = client.get(url("options"), {"kind": "devices", "department": device.department_id})
    assert f'value="{device.pk}"' in response.content.decode()


def test_hotline_agent_cannot_register_devices(client, department):
    login(client, vendor_user(VendorRole.DISPATCHER))
    assert client.get(url("device_create")).status_code == 403
    assert client.post(url("device_create"), device_post(department)).status_code == 403
    assert not Device.objects.exists()
    assert url("device_create") not in client.get(url("device_list")).content.decode()


def test_edit_a_device(client, engineer, device):
    login(client, engineer)
    assert client.get(url("device_edit", device.pk)).status_code == 200
    data = {
        "udi": device.udi,
        "serial_number": "SN1",
        "asset_tag": "AT-0009",
        "department": device.department_id,
        "location": "Room 9",
        "installed_on": "2026-01-05",
        "acceptance_certificate_no": "",
        "accepted_on": "2026-01-10",
        "live_on": "",
        "status": "down",
        "responsible_contact": "",
        "notes": "fan noisy",
    }
    response = client.post(url("device_edit", device.pk), data)
    assert response.status_code == 302, response.context["form"].errors
    device.refresh_from_db()
    assert (device.asset_tag, device.location, device.status) == ("AT-0009", "Room 9", "down")
    # The history shows who changed what.
    page = client.get(url("device_detail", device.pk)).content.decode()
    assert "AT-0001 → AT-0009" in page
    assert str(engineer) in page


def test_edit_with_bad_input_changes_nothing(client, engineer, device):
    login(client, engineer)
    response = client.post(
        url("device_edit", device.pk),
        {
            "udi": device.udi,
            "serial_number": "SN1",
            "department": device.department_id,
            "installed_on": "2026-01-05",
            "accepted_on": "2026-01-01",
            "status": "installed",
            "asset_tag": "CHANGED",
        },
    )
    assert response.status_code == 200
    assert "accepted_on" in response.context["form"].errors
    device.refresh_from_db()
    assert device.asset_tag == "AT-0001"


# --- go-live (R-5.1) -----------------------------------------------------------------------
def test_go_live_is_refused_until_the_department_received_a_procedure(client, engineer, device):
    login(client, engineer)
    detail = client.get(url("device_detail", device.pk)).content.decode()
    assert url("device_go_live", device.pk) in detail

    response = client.post(url("device_go_live", device.pk), {"live_on": "2026-02-01"})
    assert response.status_code == 200
    assert "live_on" in response.context["form"].errors
    assert "emergency procedure" in str(response.context["form"].errors["live_on"])
    device.refresh_from_db()
    assert device.live_on is None

    procedure = EmergencyProcedureFactory(
        department=device.department, product_model=device.product_model
    )
    response = client.post(url("device_go_live", device.pk), {"live_on": "2026-02-01"})
    assert response.status_code == 200  # written but not yet received
    assert "live_on" in response.context["form"].errors

    response = client.post(
        url("procedure_receipt", procedure.pk),
        {"received_by": "Dr. Wang", "received_at": "2026-01-20T09:30"},
    )
    assert response.status_code == 302
    procedure.refresh_from_db()
    # Typed in the hospital's zone (Shanghai, UTC+8).
    assert procedure.received_at == dt.datetime(2026, 1, 20, 1, 30, tzinfo=dt.UTC)
    assert procedure.recorded_by == engineer

    response = client.post(url("device_go_live", device.pk), {"live_on": "2026-02-01"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.live_on == dt.date(2026, 2, 1)
    assert device.status == DeviceStatus.IN_SERVICE


def test_go_live_page_explains_the_missing_procedure(client, engineer, device):
    login(client, engineer)
    response = client.get(url("device_go_live", device.pk))
    assert response.status_code == 200
    assert url("procedure_create") in response.content.decode()


def test_hospital_user_cannot_set_a_device_live(client, device):
    login(client, hospital_user(device.hospital))
    assert client.post(url("device_go_live", device.pk), {"live_on": "2026-02-01"}).status_code == (
        403
    )
    assert client.get(url("device_edit", device.pk)).status_code == 403


# --- labels ------------------------------------------------------------------------------
def test_label_svg_and_png(client, engineer, device, settings):
    settings.SITE_URL = "https://service.example.com"
    login(client, engineer)
    svg = client.get(url("device_label", device.pk, "svg"))
    assert svg.status_code == 200
    assert svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content and b"<path" in svg.content
    png = client.get(url("device_label", device.pk, "png"))
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert client.get(url("device_label", device.pk, "gif")).status_code == 404


def test_label_encodes_the_public_url(client, engineer, device, settings, monkeypatch):
    seen = []

    def qr_svg(value, **kw):
        seen.append(value)
        return "<svg/>"

    monkeypatch.setattr("assets.views.labels.qr_svg", qr_svg)
    login(client, engineer)
    settings.SITE_URL = ""
    client.get(url("device_label", device.pk, "svg"))
    settings.SITE_URL = "https://service.example.com"
    client.get(url("device_label", device.pk, "svg"))
    path = f"/d/{device.public_id}/"
    assert seen == [f"http://testserver{path}", f"https://service.example.com{path}"]


def test_label_sheet(client, engineer, device, model):
    ServiceOrganisation.objects.update_or_create(
        pk=1, defaults={"name": "Qingdun", "hotline": "400-800-1234"}
    )
    second = DeviceFactory(product_model=model, department=device.department)
    hidden = DeviceFactory()
    login(client, engineer)
    response = client.get(url("device_labels"), {"ids": f"{device.pk},{second.pk}"})
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count('class="qr-label"') == 2
    assert content.count("<svg") == 2
    assert "AT-0001" in content and second.serial_number in content
    assert "400-800-1234" in content
    assert hidden.serial_number not in content
    # Ticked checkboxes arrive as ids=1&ids=2; a whole hospital works too.
    response = client.get(url("device_labels") + f"?ids={device.pk}&ids={second.pk}")
    assert len(response.context["labels"]) == 2
    response = client.get(url("device_labels"), {"hospital": device.hospital_id})
    assert len(response.context["labels"]) == 2


def test_scanned_label_url_opens_the_device(client, engineer, device):
    target = url("device_by_public_id", device.public_id)
    assert target == f"/d/{device.public_id}/"
    anonymous = client.get(target)
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("accounts:login"))
    assert "next=" in anonymous.url
    login(client, engineer)
    response = client.get(target)
    assert response.status_code == 302
    assert response.url == url("device_detail", device.pk)


def test_device_page_includes_the_coverage_fragment(client, engineer, device):
    login(client, engineer)
    content = client.get(url("device_detail", device.pk)).content.decode()
    try:
        coverage = reverse("contracts:device_coverage", args=[device.pk])
    except Exception:  # built by another app; the page must render without it
        coverage = None
    if coverage:
        assert f'hx-get="{coverage}"' in content


# --- components ------------------------------------------------------------------------
def test_add_a_main_component(client, engineer, device):
    login(client, engineer)
    response = client.get(url("component_add", device.pk), {"name": "main board"})
    assert response.status_code == 200
    response = client.post(
        url("component_add", device.pk), {"name": "main board", "serial_number": "MB-1"}
    )
    assert response.status_code == 302
    component = device.components.get()
    assert (component.serial_number, component.installed_on) == ("MB-1", device.installed_on)


def test_replace_a_main_component(client, engineer, device):
    old = MainComponentFactory(device=device, name="X-ray tube", serial_number="T-1")
    login(client, engineer)
    page = client.get(url("component_replace", old.pk))
    assert page.status_code == 200
    assert "own warranty" in page.content.decode()
    response = client.post(
        url("component_replace", old.pk),
        {"new_serial_number": "T-2", "replaced_on": "2026-02-20", "removal_fate": "returned"},
    )
    assert response.status_code == 302
    old.refresh_from_db()
    new = MainComponent.objects.get(serial_number="T-2")
    assert old.removed_on == dt.date(2026, 2, 20)
    assert (new.replaces, new.replaced_on, new.device) == (old, dt.date(2026, 2, 20), device)
    detail = client.get(url("device_detail", device.pk)).content.decode()
    assert "T-1" in detail and "T-2" in detail


def test_replace_in_the_future_is_refused(client, engineer, device):
    old = MainComponentFactory(device=device)
    login(client, engineer)
    response = client.post(
        url("component_replace", old.pk),
        {"new_serial_number": "T-9", "replaced_on": "2026-04-01", "removal_fate": "returned"},
    )
    assert response.status_code == 200
    assert "replaced_on" in response.context["form"].errors
    assert device.components.count() == 1
    old.refresh_from_db()
    assert old.removed_on is None


# --- product models ------------------------------------------------------------------------
def test_create_and_edit_a_product_model(client, engineer):
    login(client, engineer)
    assert client.get(url("product_model_create")).status_code == 200
    response = client.post(
        url("product_model_create"),
        {
            "manufacturer": "Qingdun",
            "name": "CT-5",
            "gtin": GTIN,
            "category": "imaging",
            "risk_class": "III",
            "main_components": "X-ray tube\n detector \n\nX-ray tube",
        },
    )
    assert response.status_code == 302
    product_model = ProductModel.objects.get(name="CT-5")
    assert product_model.main_components == ["X-ray tube", "detector"]
    edit = client.get(url("product_model_edit", product_model.pk))
    assert "X-ray tube\ndetector" in edit.content.decode()
    response = client.post(
        url("product_model_edit", product_model.pk),
        {
            "manufacturer": "Qingdun",
            "name": "CT-5",
            "gtin": BAD_GTIN,
            "category": "imaging",
            "risk_class": "III",
            "main_components": "",
        },
    )
    assert response.status_code == 200
    assert "gtin" in response.context["form"].errors
    product_model.refresh_from_db()
    assert product_model.gtin == GTIN
    assert client.get(url("product_model_list"), {"q": "CT"}).status_code == 200
    assert client.get(url("product_model_detail", product_model.pk)).status_code == 200


def test_hospital_user_reads_but_cannot_change_product_models(client, model, department):
    login(client, hospital_user(department.hospital))
    assert client.get(url("product_model_list")).status_code == 200
    assert client.get(url("product_model_detail", model.pk)).status_code == 200
    assert client.get(url("product_model_create")).status_code == 403
    assert client.get(url("product_model_edit", model.pk)).status_code == 403


# --- emergency procedures ---------------------------------------------------------------
def test_create_a_procedure_with_a_document_for_a_device(client, engineer, device):
    login(client, engineer)
    page = client.get(
        url("procedure_create"), {"department": device.department_id, "device": device.pk}
    )
    assert page.status_code == 200
    assert page.context["form"].initial["device"] == device
    response = client.post(
        url("procedure_create"),
        {
            "department": device.department_id,
            "device": device.pk,
            "product_model": "",
            "title": "If the CT stops",
            "text": "",
            "document": SimpleUploadedFile("plan.pdf", b"%PDF-1.4 test", "application/pdf"),
            "received_by": "Nurse Li",
            "received_at": "2026-03-01T08:00",
        },
    )
    assert response.status_code == 302
    procedure = EmergencyProcedure.objects.get()
    assert procedure.device == device and procedure.product_model == device.product_model
    assert procedure.received_at == dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC)
    document = client.get(url("procedure_document", procedure.pk))
    assert document.status_code == 200
    assert b"".join(document.streaming_content) == b"%PDF-1.4 test"
    assert document["Content-Security-Policy"] == "sandbox"
    assert client.get(url("procedure_detail", procedure.pk)).status_code == 200


def test_procedure_needs_text_or_document(client, engineer, device):
    login(client, engineer)
    response = client.post(
        url("procedure_create"),
        {
            "department": device.department_id,
            "product_model": device.product_model_id,
            "title": "T",
        },
    )
    assert response.status_code == 200
    assert "text" in response.context["form"].errors
    assert not EmergencyProcedure.objects.exists()


def test_a_procedure_upload_that_is_not_a_document_is_refused_in_chinese(client, engineer, device):
    login(client, engineer)
    page = client.get(url("procedure_create"), {"device": device.pk}).content.decode()
    assert 'accept=".doc,.docx,.jpeg,.jpg,.ods,.odt,.pdf,.png,.pptx,.txt,.xls,.xlsx"' in page
    response = client.post(
        url("procedure_create"),
        {
            "department": device.department_id,
            "device": device.pk,
            "title": "If the CT stops",
            "document": SimpleUploadedFile("plan.svg", b"<svg onload=alert(1)>", "image/svg+xml"),
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    (error,) = response.context["form"].errors["document"]
    assert error.startswith("不接受此文件类型：请上传以下类型之一：DOC, DOCX"), error
    assert not EmergencyProcedure.objects.exists()


def test_procedure_list_filters_by_receipt(client, engineer, department, other_department):
    received = EmergencyProcedureFactory(
        department=department, received_by="A", received_at=NOW - dt.timedelta(days=1)
    )
    pending = EmergencyProcedureFactory(department=other_department)
    login(client, engineer)
    response = client.get(url("procedure_list"))
    assert set(response.context["page"]) == {received, pending}
    assert list(client.get(url("procedure_list"), {"received": "no"}).context["page"]) == [pending]
    response = client.get(url("procedure_list"), {"department": department.pk})
    assert list(response.context["page"]) == [received]


def test_equipment_admin_records_the_receipt_of_their_hospital(client, department):
    procedure = EmergencyProcedureFactory(department=department)
    login(client, hospital_user(department.hospital))
    assert client.get(url("procedure_receipt", procedure.pk)).status_code == 200
    assert client.get(url("procedure_create")).status_code == 403


# --- hospital A never sees hospital B --------------------------------------------------------
def test_hospital_a_gets_404_on_hospital_b(client, device):
    procedure = EmergencyProcedureFactory(
        department=device.department,
        device=device,
        product_model=device.product_model,
        document=SimpleUploadedFile("b.pdf", b"%PDF secret"),
    )
    component = MainComponentFactory(device=device)
    other = DepartmentFactory()
    for user in (
        hospital_user(other.hospital),
        hospital_user(other.hospital, role=HospitalRole.DEPARTMENT_USER, departments=[other]),
    ):
        login(client, user)
        for target in (
            url("device_detail", device.pk),
            url("device_edit", device.pk),
            url("device_go_live", device.pk),
            url("device_label", device.pk, "svg"),
            url("device_label", device.pk, "png"),
            url("device_by_public_id", device.public_id),
            url("component_add", device.pk),
            url("component_replace", component.pk),
            url("procedure_detail", procedure.pk),
            url("procedure_receipt", procedure.pk),
            url("procedure_document", procedure.pk),
        ):
            assert client.get(target).status_code == 404, target
        assert client.post(url("procedure_receipt", procedure.pk), {}).status_code == 404
        labels = client.get(url("device_labels"), {"ids": device.pk})
        assert labels.context["labels"] == []
        assert client.get(url("device_list"), {"q": "SN1"}).context["page"].paginator.count == 0
        procedures = client.get(url("procedure_list")).context["page"]
        assert procedure not in list(procedures)


def test_anonymous_users_are_sent_to_login(client, device):
    for target in (url("device_list"), url("device_detail", device.pk), url("procedure_list")):
        response = client.get(target)
        assert response.status_code == 302
        assert re.match(reverse("accounts:login"), response.url)

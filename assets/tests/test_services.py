"""Services of the installed base: devices, UDI, go-live (R-5.1), main components (R-6.5)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets import services
from assets.models import Device, DeviceStatus, EmergencyProcedure, MainComponent, ProductModel
from assets.selectors import device_search
from assets.udi import UdiError, looks_like_udi, parse_udi
from customers.tests.factories import ContactFactory, DepartmentFactory

from .factories import (
    DeviceFactory,
    EmergencyProcedureFactory,
    MainComponentFactory,
    ProductModelFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
GTIN = "06971234567895"  # valid check digit
OTHER_GTIN = "06971234567901"
BAD_GTIN = "06971234567896"  # check digit off by one
# Frozen "now": 2026-05-01 10:00 in Shanghai.
NOW = dt.datetime(2026, 5, 1, 10, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def register(**data):
    department = data.pop("department", None) or DepartmentFactory()
    data.setdefault("hospital", department.hospital)
    return services.device_register(department=department, **data)


def fields(exc_info) -> set[str]:
    return set(exc_info.value.message_dict)


# --- UDI parsing ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        f"(01){GTIN}(11)240115(17)290114(10)LOT7(21)SN123",
        f"01{GTIN}11240115172901141" + "0LOT7\x1d21SN123",
        f"]d201{GTIN}11240115172901141" + "0LOT7\x1d21SN123",
    ],
    ids=["hri", "raw-with-gs", "symbology-prefix"],
)
def test_parse_udi_forms(text):
    parsed = parse_udi(text)
    assert parsed.device_identifier == GTIN
    assert parsed.serial == "SN123"
    assert parsed.lot == "LOT7"
    assert parsed.production_date == dt.date(2024, 1, 15)
    assert parsed.expiry_date == dt.date(2029, 1, 14)
    assert looks_like_udi(text)


@pytest.mark.parametrize(
    "text",
    ["", "hello", f"(01){BAD_GTIN}(21)X", "(21)SN-ONLY"],
    ids=["empty", "not-gs1", "bad-check-digit", "no-device-identifier"],
)
def test_parse_udi_refuses(text):
    with pytest.raises(UdiError):
        parse_udi(text)


# --- register ---------------------------------------------------------------------------
def test_register_with_udi_takes_serial_from_ai_21_and_stores_identifiers():
    """Issue 2 §4: the device identifier and production identifiers are stored separately."""
    model = ProductModelFactory(gtin=GTIN)
    device = register(product_model=model, udi=f"(01){GTIN}(11)240115(10)L1(21)SN-UDI-1")
    device.refresh_from_db()
    assert device.serial_number == "SN-UDI-1"
    assert (device.udi_di, device.udi_serial, device.udi_lot) == (GTIN, "SN-UDI-1", "L1")
    assert device.udi_production_date == dt.date(2024, 1, 15)
    assert device.udi == f"(01){GTIN}(11)240115(10)L1(21)SN-UDI-1"


def test_register_infers_model_from_gtin():
    model = ProductModelFactory(gtin=GTIN)
    ProductModelFactory(gtin=OTHER_GTIN)
    device = register(udi=f"(01){GTIN}(21)SN-9")
    assert device.product_model == model


def test_register_without_model_and_unknown_gtin_is_a_field_error():
    with pytest.raises(ValidationError) as exc_info:
        register(udi=f"(01){GTIN}(21)SN-9")
    assert fields(exc_info) == {"product_model"}
    assert not Device.objects.exists()


def test_register_wrong_gtin_check_digit_is_a_udi_error_and_nothing_saved():
    """Issue 2 "Bad input": malformed UDI (wrong GTIN check digit)."""
    model = ProductModelFactory(gtin=GTIN)
    with pytest.raises(ValidationError) as exc_info, translation.override("en"):
        register(product_model=model, serial_number="SN-1", udi=f"(01){BAD_GTIN}(21)SN-1")
    assert fields(exc_info) == {"udi"}
    assert "check digit" in exc_info.value.message_dict["udi"][0]
    assert not Device.objects.exists()


def test_register_udi_of_another_model_is_refused():
    model = ProductModelFactory(gtin=GTIN)
    with pytest.raises(ValidationError) as exc_info:
        register(product_model=model, udi=f"(01){OTHER_GTIN}(21)SN-1")
    assert fields(exc_info) == {"udi"}


def test_register_serial_differing_from_udi_is_refused():
    model = ProductModelFactory(gtin=GTIN)
    with pytest.raises(ValidationError) as exc_info:
        register(product_model=model, serial_number="TYPED", udi=f"(01){GTIN}(21)SCANNED")
    assert fields(exc_info) == {"serial_number"}


def test_duplicate_serial_per_model_is_a_serial_number_error():
    """Issue 2 "Bad input": duplicate serial; unique per model only."""
    model, other_model = ProductModelFactory(), ProductModelFactory()
    register(product_model=model, serial_number="SN-1")
    with pytest.raises(ValidationError) as exc_info:
        register(product_model=model, serial_number="SN-1")
    assert fields(exc_info) == {"serial_number"}
    register(product_model=other_model, serial_number="SN-1")
    assert Device.objects.filter(serial_number="SN-1").count() == 2


def test_department_of_another_hospital_is_refused():
    department = DepartmentFactory()
    with pytest.raises(ValidationError) as exc_info:
        services.device_register(
            product_model=ProductModelFactory(),
            serial_number="SN-1",
            hospital=DepartmentFactory().hospital,
            department=department,
        )
    assert fields(exc_info) == {"department"}


def test_responsible_contact_of_another_hospital_is_refused():
    """R-2.3: the responsible person belongs to the device's hospital."""
    with pytest.raises(ValidationError) as exc_info:
        register(
            product_model=ProductModelFactory(),
            serial_number="SN-1",
            responsible_contact=ContactFactory(),
        )
    assert fields(exc_info) == {"responsible_contact"}


def test_asset_tag_unique_per_hospital():
    department = DepartmentFactory()
    register(
        department=department,
        product_model=ProductModelFactory(),
        serial_number="1",
        asset_tag="QD-001",
    )
    with pytest.raises(ValidationError) as exc_info:
        register(
            department=department,
            product_model=ProductModelFactory(),
            serial_number="2",
            asset_tag="QD-001",
        )
    assert fields(exc_info) == {"asset_tag"}
    register(product_model=ProductModelFactory(), serial_number="3", asset_tag="QD-001")


# --- dates ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"installed_on": dt.date(2026, 4, 10), "accepted_on": dt.date(2026, 4, 9)}, "accepted_on"),
        ({"installed_on": dt.date(2026, 4, 10), "accepted_on": dt.date(2026, 5, 2)}, "accepted_on"),
        ({"installed_on": dt.date(2026, 5, 2)}, "installed_on"),
        ({"installed_on": dt.date(2026, 4, 10), "live_on": dt.date(2026, 4, 1)}, "live_on"),
    ],
    ids=[
        "acceptance-before-installation",
        "acceptance-in-future",
        "installation-in-future",
        "live-before-installation",
    ],
)
def test_bad_dates_are_field_errors_and_nothing_saved(data, field):
    """Issue 2 "Bad input": acceptance before installation or in the future."""
    with pytest.raises(ValidationError) as exc_info:
        register(product_model=ProductModelFactory(), serial_number="SN-1", **data)
    assert field in fields(exc_info)
    assert not Device.objects.exists()


def test_acceptance_today_in_the_hospital_zone_is_not_the_future():
    """ "Today" is the hospital's local date: at 2026-05-01 17:00 UTC it is already
    2026-05-02 in Shanghai, so an acceptance dated 2026-05-02 is not in the future."""
    with time_machine.travel(dt.datetime(2026, 5, 1, 17, tzinfo=dt.UTC), tick=False):
        device = register(
            product_model=ProductModelFactory(),
            serial_number="SN-1",
            installed_on=dt.date(2026, 5, 1),
            accepted_on=dt.date(2026, 5, 2),
        )
    assert device.accepted_on == dt.date(2026, 5, 2)


def test_acceptance_same_day_as_installation_is_fine():
    device = register(
        product_model=ProductModelFactory(),
        serial_number="SN-1",
        installed_on=dt.date(2026, 4, 10),
        accepted_on=dt.date(2026, 4, 10),
    )
    assert device.pk is not None


def test_update_acceptance_in_future_is_refused_and_unchanged():
    device = register(
        product_model=ProductModelFactory(),
        serial_number="SN-1",
        installed_on=dt.date(2026, 4, 1),
        accepted_on=dt.date(2026, 4, 2),
    )
    with pytest.raises(ValidationError):
        services.device_update(device=device, accepted_on=dt.date(2026, 6, 1))
    assert Device.objects.get(pk=device.pk).accepted_on == dt.date(2026, 4, 2)


# --- go-live and the emergency procedure (R-5.1) ----------------------------------------
@pytest.fixture
def installed_device():
    return register(
        product_model=ProductModelFactory(),
        serial_number="SN-LIVE",
        installed_on=dt.date(2026, 4, 1),
        accepted_on=dt.date(2026, 4, 2),
    )


def test_go_live_refused_without_emergency_procedure(installed_device):
    """R-5.1: no device goes into operation before its department received a procedure."""
    with pytest.raises(ValidationError) as exc_info, translation.override("en"):
        services.device_go_live(device=installed_device, live_on=dt.date(2026, 4, 20))
    assert fields(exc_info) == {"live_on"}
    assert "emergency procedure" in exc_info.value.message_dict["live_on"][0]
    installed_device.refresh_from_db()
    assert (installed_device.live_on, installed_device.status) == (None, DeviceStatus.INSTALLED)


def test_go_live_refused_while_procedure_not_yet_received(installed_device):
    EmergencyProcedureFactory(
        department=installed_device.department,
        product_model=installed_device.product_model,
    )
    with pytest.raises(ValidationError):
        services.device_go_live(device=installed_device, live_on=dt.date(2026, 4, 20))


def test_go_live_refused_with_procedure_of_another_department(installed_device):
    EmergencyProcedureFactory(
        department=DepartmentFactory(hospital=installed_device.hospital),
        product_model=installed_device.product_model,
        received_by="王五",
        received_at=NOW - dt.timedelta(days=1),
    )
    with pytest.raises(ValidationError):
        services.device_go_live(device=installed_device, live_on=dt.date(2026, 4, 20))


def test_status_in_service_is_also_going_live(installed_device):
    with pytest.raises(ValidationError) as exc_info:
        services.device_update(device=installed_device, status=DeviceStatus.IN_SERVICE)
    assert fields(exc_info) == {"status"}


def test_register_live_without_procedure_is_refused():
    with pytest.raises(ValidationError) as exc_info:
        register(
            product_model=ProductModelFactory(),
            serial_number="SN-1",
            installed_on=dt.date(2026, 4, 1),
            live_on=dt.date(2026, 4, 2),
        )
    assert fields(exc_info) == {"live_on"}
    assert not Device.objects.exists()


def test_go_live_after_device_procedure_received(installed_device):
    """R-5.1: a procedure for this very device, created and then received."""
    engineer = vendor_user(VendorRole.ENGINEER)
    procedure = services.emergency_procedure_create(
        department=installed_device.department,
        device=installed_device,
        title="CT emergency procedure",
        text="Switch to the backup, call the hotline.",
        recorded_by=engineer,
    )
    assert procedure.product_model == installed_device.product_model
    with pytest.raises(ValidationError):
        services.device_go_live(device=installed_device, live_on=dt.date(2026, 4, 20))
    services.emergency_procedure_record_receipt(
        procedure=procedure,
        received_by="科室主任",
        received_at=NOW - dt.timedelta(hours=1),
        recorded_by=engineer,
    )
    device = services.device_go_live(device=installed_device, live_on=dt.date(2026, 4, 20))
    device.refresh_from_db()
    assert device.live_on == dt.date(2026, 4, 20)
    assert device.status == DeviceStatus.IN_SERVICE


def test_go_live_after_product_model_procedure_received(installed_device):
    """R-5.1: a procedure for the product model in that department covers the device."""
    services.emergency_procedure_create(
        department=installed_device.department,
        product_model=installed_device.product_model,
        title="Model procedure",
        text="…",
        received_by="护士长",
        received_at=NOW - dt.timedelta(days=2),
        recorded_by=None,
    )
    device = services.device_go_live(device=installed_device, live_on=dt.date(2026, 4, 20))
    assert device.status == DeviceStatus.IN_SERVICE


def test_procedure_of_another_device_of_same_model_does_not_count(installed_device):
    sibling = register(
        department=installed_device.department,
        product_model=installed_device.product_model,
        serial_number="SN-SIB",
    )
    EmergencyProcedureFactory(
        department=installed_device.department,
        device=sibling,
        product_model=installed_device.product_model,
        received_by="x",
        received_at=NOW - dt.timedelta(days=1),
    )
    with pytest.raises(ValidationError):
        services.device_go_live(device=installed_device, live_on=dt.date(2026, 4, 20))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"text": ""}, "text"),
        ({"received_at": NOW + dt.timedelta(hours=1), "received_by": "x"}, "received_at"),
        ({"received_at": NOW - dt.timedelta(hours=1), "received_by": " "}, "received_by"),
    ],
    ids=["no-text-no-document", "receipt-in-future", "receipt-without-receiver"],
)
def test_emergency_procedure_bad_input(installed_device, data, field):
    kwargs = {
        "department": installed_device.department,
        "product_model": installed_device.product_model,
        "title": "P",
        "text": "do this",
        "recorded_by": None,
    } | data
    with pytest.raises(ValidationError) as exc_info:
        services.emergency_procedure_create(**kwargs)
    assert field in fields(exc_info)
    assert not EmergencyProcedure.objects.exists()


def test_emergency_procedure_device_of_another_department_is_refused(installed_device):
    with pytest.raises(ValidationError) as exc_info:
        services.emergency_procedure_create(
            department=DepartmentFactory(hospital=installed_device.hospital),
            device=installed_device,
            title="P",
            text="x",
            recorded_by=None,
        )
    assert "device" in fields(exc_info)


def _procedure_with(installed_device, document):
    return services.emergency_procedure_create(
        department=installed_device.department,
        product_model=installed_device.product_model,
        title="P",
        document=document,
        recorded_by=None,
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("plan.exe", b"MZ\x90\x00", "This file type is not accepted"),
        ("plan.html", b"<script>alert(1)</script>", "This file type is not accepted"),
        ("plan.pdf", b"<html>not a pdf</html>", "does not match its type"),
        ("plan.docx", b"%PDF-1.4 a pdf named docx", "does not match its type"),
        ("plan.txt", b"\xff\xfe\x00binary", "does not match its type"),
    ],
)
def test_an_emergency_procedure_document_must_be_an_accepted_document(
    installed_device, settings, name, content, message
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError) as exc_info:
        _procedure_with(installed_device, SimpleUploadedFile(name, content))
    assert message in exc_info.value.message_dict["document"][0]
    assert not EmergencyProcedure.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_an_emergency_procedure_document_has_the_regime_documents_size_cap(
    installed_device, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.EMERGENCY_PROCEDURE_MAX_BYTES = 100
    with pytest.raises(ValidationError) as exc_info:
        _procedure_with(installed_device, SimpleUploadedFile("plan.pdf", b"%PDF-1.4" + b"x" * 200))
    assert exc_info.value.message_dict["document"][0].startswith("The file is too large")
    procedure = _procedure_with(installed_device, SimpleUploadedFile("../../plan.pdf", b"%PDF-1.4"))
    assert procedure.document.name.endswith("/plan.pdf") and ".." not in procedure.document.name


# --- main components (R-6.5) ------------------------------------------------------------
def test_main_component_replace_registers_the_new_one():
    """R-6.5: the replaced component is removed, the new one carries its replacement date."""
    old = MainComponentFactory(installed_on=dt.date(2026, 1, 5))
    new = services.main_component_replace(
        component=old,
        new_serial_number=" MB-NEW ",
        replaced_on=dt.date(2026, 4, 30),
        removal_fate="scrapped",
    )
    old.refresh_from_db()
    assert old.removed_on == dt.date(2026, 4, 30)
    assert (new.serial_number, new.name, new.device) == ("MB-NEW", old.name, old.device)
    assert new.replaced_on == new.installed_on == dt.date(2026, 4, 30)
    assert new.replaces == old
    assert list(MainComponent.objects.filter(device=old.device).installed()) == [new]


@pytest.mark.parametrize(
    ("replaced_on", "field"),
    [(dt.date(2026, 5, 2), "replaced_on"), (dt.date(2026, 1, 4), "replaced_on")],
    ids=["in-future", "before-installation"],
)
def test_main_component_replace_bad_dates(replaced_on, field):
    old = MainComponentFactory(installed_on=dt.date(2026, 1, 5))
    with pytest.raises(ValidationError) as exc_info:
        services.main_component_replace(
            component=old,
            new_serial_number="MB-NEW",
            replaced_on=replaced_on,
            removal_fate="returned",
        )
    assert fields(exc_info) == {field}
    old.refresh_from_db()
    assert old.removed_on is None
    assert MainComponent.objects.count() == 1


def test_main_component_cannot_be_replaced_twice():
    old = MainComponentFactory()
    services.main_component_replace(
        component=old,
        new_serial_number="MB-2",
        replaced_on=dt.date(2026, 3, 1),
        removal_fate="returned",
    )
    with pytest.raises(ValidationError) as exc_info:
        services.main_component_replace(
            component=old,
            new_serial_number="MB-3",
            replaced_on=dt.date(2026, 4, 1),
            removal_fate="returned",
        )
    assert fields(exc_info) == {"component"}


def test_main_component_duplicate_serial_is_a_serial_error():
    old = MainComponentFactory(name="main board", serial_number="MB-1")
    with pytest.raises(ValidationError) as exc_info:
        services.main_component_add(device=old.device, name="main board", serial_number="MB-1")
    assert fields(exc_info) == {"serial_number"}
    with pytest.raises(ValidationError) as exc_info:
        services.main_component_replace(
            component=old,
            new_serial_number=" MB-1 ",
            replaced_on=dt.date(2026, 4, 1),
            removal_fate="returned",
        )
    assert fields(exc_info) == {"new_serial_number"}
    old.refresh_from_db()
    assert old.removed_on is None
    assert MainComponent.objects.count() == 1


def test_main_component_add_defaults_to_device_installation():
    device = DeviceFactory(installed_on=dt.date(2026, 1, 5))
    component = services.main_component_add(device=device, name=" X-ray tube ", serial_number="T1")
    assert (component.name, component.installed_on) == ("X-ray tube", dt.date(2026, 1, 5))


# --- product models ---------------------------------------------------------------------
def test_product_model_bad_gtin_is_a_gtin_error():
    with pytest.raises(ValidationError) as exc_info:
        services.product_model_create(manufacturer="Q", name="M", gtin=BAD_GTIN)
    assert fields(exc_info) == {"gtin"}
    assert not ProductModel.objects.exists()


@pytest.mark.parametrize(
    "printed", ["6971234567895", " 06971234567895 "], ids=["gtin-13", "gtin-14"]
)
def test_product_model_gtin_stored_as_the_udi_device_identifier(printed):
    """A GTIN-13 as printed on the box is the (01) of a UDI with a leading zero, so a scanned
    UDI finds the model."""
    model = services.product_model_create(manufacturer="Q", name="M", gtin=printed)
    assert model.gtin == GTIN
    assert register(udi=f"(01){GTIN}(21)SN-1").product_model == model


@pytest.mark.parametrize("gtin", ["123", "69712345678ab"], ids=["too-short", "not-digits"])
def test_product_model_malformed_gtin(gtin):
    with pytest.raises(ValidationError) as exc_info:
        services.product_model_create(manufacturer="Q", name="M", gtin=gtin)
    assert fields(exc_info) == {"gtin"}


def test_product_model_duplicate_name_is_a_name_error():
    services.product_model_create(manufacturer="Q", name="M")
    other = services.product_model_create(manufacturer="Other", name="M")  # fine
    with pytest.raises(ValidationError) as exc_info:
        services.product_model_create(manufacturer="Q", name="M")
    assert fields(exc_info) == {"name"}
    with pytest.raises(ValidationError) as exc_info:
        services.product_model_update(product_model=other, manufacturer="Q")
    assert fields(exc_info) == {"name"}
    other.refresh_from_db()
    services.product_model_update(product_model=other, category="imaging")  # itself: fine


def test_clearing_optional_text_with_none_stores_empty():
    """An API PATCH sends null for "clear": an optional text column stores "", it never
    reaches the database as NULL."""
    device = DeviceFactory(asset_tag="T-1", udi="")
    device = services.device_update(device=device, asset_tag=None, udi=None, location=None)
    device.refresh_from_db()
    assert (device.asset_tag, device.udi, device.location) == ("", "", "")


def test_product_model_components_are_cleaned():
    model = services.product_model_create(
        manufacturer="Q", name="M", gtin=GTIN, main_components="tube\n\n board \ntube"
    )
    assert model.main_components == ["tube", "board"]


# --- search -----------------------------------------------------------------------------
def test_device_search_by_scanned_udi_serial_and_asset_tag():
    model = ProductModelFactory(gtin=GTIN)
    device = register(product_model=model, udi=f"(01){GTIN}(21)SN-77", asset_tag="TAG-1")
    register(product_model=model, udi=f"(01){GTIN}(21)SN-78")
    devices = Device.objects.all()
    assert list(device_search(devices=devices, text=f"01{GTIN}21SN-77")) == [device]
    assert list(device_search(devices=devices, text="sn-77")) == [device]
    assert list(device_search(devices=devices, text="TAG-1")) == [device]
    assert list(device_search(devices=devices, text=f"/d/{device.public_id}")) == [device]
    assert not device_search(devices=devices, text=f"(01){BAD_GTIN}(21)SN-77").exists()

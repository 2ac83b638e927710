"""Writes about the installed base: product models, devices, main components, emergency
procedures (R-5.1)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import Conflict
from core.modeling import validated_save
from core.timeutil import local_today
from core.uploads import (
    DEFAULT_MAX_BYTES,
    CheckedFile,
    DocumentFileError,
    check_document_file,
    document_file_error_message,
)
from customers.models import Department, Hospital

from .models import (
    ComponentFate,
    Device,
    DeviceOutOfUse,
    DeviceStatus,
    EmergencyProcedure,
    MainComponent,
    ProductModel,
)
from .selectors import emergency_procedures_for
from .udi import UdiError, parse_udi

PRODUCT_MODEL_FIELDS = ("manufacturer", "name", "gtin", "category", "risk_class")
DEVICE_FIELDS = (
    "product_model",
    "serial_number",
    "udi",
    "asset_tag",
    "hospital",
    "department",
    "location",
    "installed_on",
    "acceptance_certificate_no",
    "accepted_on",
    "live_on",
    "status",
    "responsible_contact",
    "notes",
)


# --- product models -------------------------------------------------------------------
def _clean_component_names(names: Any) -> list[str]:
    if isinstance(names, str):
        names = names.splitlines()
    seen: list[str] = []
    for name in names or []:
        name = str(name).strip()
        if name and name not in seen:
            seen.append(name)
    return seen


def _normalized_gtin(gtin: str) -> str:
    """GTIN-8/12/13 as printed on a box become the 14 digits a UDI's (01) carries."""
    gtin = (gtin or "").strip()
    if not gtin:
        return ""
    if not gtin.isdigit() or len(gtin) not in (8, 12, 13, 14):
        raise ValidationError(
            {"gtin": _("A GTIN has 8, 12, 13 or 14 digits.")}, code="invalid_gtin"
        )
    gtin = gtin.zfill(14)
    try:
        parse_udi(f"(01){gtin}")
    except UdiError as exc:
        raise ValidationError({"gtin": str(exc)}, code="invalid_gtin") from exc
    return gtin


def _check_product_model_name(product_model: ProductModel) -> None:
    # The model's unique constraint would answer without a field; the name is the field.
    clash = ProductModel.objects.filter(
        manufacturer=product_model.manufacturer, name=product_model.name
    ).exclude(pk=product_model.pk)
    if product_model.name and clash.exists():
        raise ValidationError(
            {"name": _("This manufacturer already has a model with this name.")}, code="unique"
        )


@transaction.atomic
def product_model_create(*, main_components: Any = (), **data: Any) -> ProductModel:
    product_model = ProductModel(
        **{k: v for k, v in data.items() if k in PRODUCT_MODEL_FIELDS},
        main_components=_clean_component_names(main_components),
    )
    product_model.gtin = _normalized_gtin(product_model.gtin)
    _check_product_model_name(product_model)
    return validated_save(product_model)


@transaction.atomic
def product_model_update(*, product_model: ProductModel, **data: Any) -> ProductModel:
    for field in PRODUCT_MODEL_FIELDS:
        if field in data:
            setattr(product_model, field, data[field])
    if "main_components" in data:
        product_model.main_components = _clean_component_names(data["main_components"])
    product_model.gtin = _normalized_gtin(product_model.gtin)
    _check_product_model_name(product_model)
    return validated_save(product_model)


# --- devices --------------------------------------------------------------------------
def hospital_today(hospital: Hospital) -> date:
    return local_today(hospital.time_zone)


def _apply_udi(device: Device, errors: dict[str, list[str]]) -> None:
    """Parse the scanned UDI into its identifiers; the serial may come from it."""
    if not (device.udi or "").strip():
        device.udi = ""
        device.udi_di = device.udi_lot = device.udi_serial = ""
        device.udi_production_date = device.udi_expiry_date = None
        return
    try:
        parsed = parse_udi(device.udi)
    except UdiError as exc:
        errors.setdefault("udi", []).append(str(exc))
        return
    device.udi = parsed.hri
    device.udi_di = parsed.device_identifier
    device.udi_lot = parsed.lot
    device.udi_serial = parsed.serial
    device.udi_production_date = parsed.production_date
    device.udi_expiry_date = parsed.expiry_date
    if parsed.serial:
        if not device.serial_number:
            device.serial_number = parsed.serial
        elif device.serial_number != parsed.serial:
            errors.setdefault("serial_number", []).append(
                _("The serial number differs from the one in the UDI (%(serial)s).")
                % {"serial": parsed.serial}
            )
    if device.product_model_id is None:
        device.product_model = ProductModel.objects.filter(gtin=parsed.device_identifier).first()
    elif device.product_model.gtin and device.product_model.gtin != parsed.device_identifier:
        errors.setdefault("udi", []).append(
            _("The UDI belongs to another product model (GTIN %(gtin)s).")
            % {"gtin": parsed.device_identifier}
        )


def _check_device(device: Device, errors: dict[str, list[str]]) -> None:
    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    hospital = device.hospital if device.hospital_id else None
    if (
        hospital is not None
        and device.department_id is not None
        and (device.department.hospital_id != hospital.pk)
    ):
        add("department", _("This department belongs to another hospital."))
    contact = device.responsible_contact if device.responsible_contact_id else None
    if hospital is not None and contact is not None and contact.hospital_id != hospital.pk:
        add("responsible_contact", _("This person belongs to another hospital."))

    today = hospital_today(hospital) if hospital else timezone.localdate()
    if device.installed_on and device.installed_on > today:
        add("installed_on", _("The installation date cannot be in the future."))
    if device.accepted_on:
        if device.accepted_on > today:
            add("accepted_on", _("The acceptance date cannot be in the future."))
        if device.installed_on and device.accepted_on < device.installed_on:
            add("accepted_on", _("The acceptance date cannot be before the installation date."))
    if device.live_on:
        if device.live_on > today:
            add("live_on", _("The go-live date cannot be in the future."))
        if device.installed_on and device.live_on < device.installed_on:
            add("live_on", _("The go-live date cannot be before the installation date."))

    if device.product_model_id and device.serial_number:
        duplicate = Device.objects.filter(
            product_model_id=device.product_model_id, serial_number=device.serial_number
        ).exclude(pk=device.pk)
        if duplicate.exists():
            add(
                "serial_number",
                _("A device of this model with serial number %(serial)s is already registered.")
                % {"serial": device.serial_number},
            )
    if device.asset_tag and hospital is not None:
        clash = Device.objects.filter(hospital=hospital, asset_tag=device.asset_tag).exclude(
            pk=device.pk
        )
        if clash.exists():
            add("asset_tag", _("Another device of this hospital has this asset tag."))


def _goes_live(device: Device, before: Device | None) -> bool:
    went_live_now = device.live_on is not None and (before is None or before.live_on is None)
    in_service_now = device.status == DeviceStatus.IN_SERVICE and (
        before is None or before.status != DeviceStatus.IN_SERVICE
    )
    return went_live_now or in_service_now


def emergency_procedure_received_for(device: Device) -> bool:
    """Has the device's department received an emergency procedure for it (R-5.1)?"""
    return emergency_procedures_for(device).filter(received_at__isnull=False).exists()


def _check_go_live(device: Device, errors: dict[str, list[str]]) -> None:
    if device.department_id is None or device.product_model_id is None:
        return
    if not emergency_procedure_received_for(device):
        field = "live_on" if device.live_on else "status"
        errors.setdefault(field, []).append(
            _(
                "The device cannot go live: department %(department)s has not yet received "
                "an emergency procedure for it."
            )
            % {"department": device.department.name}
        )


def _save_device(device: Device, before: Device | None) -> Device:
    errors: dict[str, list[str]] = {}
    _apply_udi(device, errors)
    if device.product_model_id is None and "product_model" not in errors:
        errors["product_model"] = [_("Choose the product model (the UDI did not name one).")]
    if device.live_on and device.status == DeviceStatus.INSTALLED:
        device.status = DeviceStatus.IN_SERVICE
    _check_device(device, errors)
    if not errors and _goes_live(device, before):
        _check_go_live(device, errors)
    if errors:
        raise ValidationError(errors)
    return validated_save(device)


@transaction.atomic
def device_register(**data: Any) -> Device:
    device = Device(**{k: v for k, v in data.items() if k in DEVICE_FIELDS})
    return _save_device(device, before=None)


@transaction.atomic
def device_update(*, device: Device, **data: Any) -> Device:
    before = Device.objects.get(pk=device.pk)
    for field in DEVICE_FIELDS:
        if field in data:
            setattr(device, field, data[field])
    return _save_device(device, before=before)


@transaction.atomic
def device_go_live(*, device: Device, live_on: date) -> Device:
    return device_update(device=device, live_on=live_on, status=DeviceStatus.IN_SERVICE)


# --- main components ------------------------------------------------------------------
@transaction.atomic
def main_component_add(
    *, device: Device, name: str, serial_number: str, installed_on: date | None = None
) -> MainComponent:
    component = MainComponent(
        device=device,
        name=name.strip(),
        serial_number=serial_number.strip(),
        installed_on=installed_on or device.installed_on,
    )
    taken = _component_serial_taken(component.name, component.serial_number)
    if taken:
        raise ValidationError({"serial_number": taken}, code="unique")
    return validated_save(component)


def _component_serial_taken(name: str, serial_number: str) -> str:
    """The error for a (name, serial) pair already registered, else "": the model's
    constraint would answer without naming the serial field."""
    if MainComponent.objects.filter(name=name, serial_number=serial_number).exists():
        return _("A %(name)s with this serial number is already registered.") % {"name": name}
    return ""


@transaction.atomic
def main_component_replace(
    *, component: MainComponent, new_serial_number: str, replaced_on: date, removal_fate: str
) -> MainComponent:
    """Take ``component`` out of its device, saying where it goes (returned, scrapped or
    sent for repair, issue 5 §2), and register its replacement, whose own warranty runs
    from ``replaced_on`` (R-6.5; the term is a coverage rule)."""
    component = MainComponent.objects.select_for_update().get(pk=component.pk)
    errors: dict[str, str] = {}
    if component.removed_on is not None:
        errors["component"] = _("This component was already removed.")
    if removal_fate not in ComponentFate.values:
        errors["removal_fate"] = _(
            "Say where the removed component goes: returned, scrapped or sent for repair."
        )
    if replaced_on > hospital_today(component.device.hospital):
        errors["replaced_on"] = _("The replacement date cannot be in the future.")
    elif component.installed_on and replaced_on < component.installed_on:
        errors["replaced_on"] = _(
            "The replacement date cannot be before the component was installed."
        )
    new_serial_number = new_serial_number.strip()
    taken = _component_serial_taken(component.name, new_serial_number)
    if taken:
        errors["new_serial_number"] = taken
    if errors:
        raise ValidationError(errors)
    component.removed_on, component.removal_fate = replaced_on, removal_fate
    component.save(update_fields=["removed_on", "removal_fate", "updated_at"])
    replacement = MainComponent(
        device=component.device,
        name=component.name,
        serial_number=new_serial_number,
        installed_on=replaced_on,
        replaced_on=replaced_on,
        replaces=component,
    )
    return validated_save(replacement)


# --- emergency procedures (R-5.1) -----------------------------------------------------
def procedure_document_max_bytes() -> int:
    """The cap on an uploaded procedure: the same as on regime documents unless set."""
    return int(getattr(settings, "EMERGENCY_PROCEDURE_MAX_BYTES", DEFAULT_MAX_BYTES))


def _check_document(document: Any, errors: dict) -> CheckedFile | None:
    """The uploaded procedure by extension, first bytes and size (``core.uploads``), before
    anything is stored: a PDF, an Office document, a photo or a text file."""
    if not document:
        return None
    max_bytes = procedure_document_max_bytes()
    try:
        return check_document_file(
            document, name=getattr(document, "name", "") or "", max_bytes=max_bytes
        )
    except DocumentFileError as exc:
        errors["document"] = document_file_error_message(exc.code, max_bytes=max_bytes)
        return None


def _check_receipt(received_at: datetime | None, received_by: str, errors: dict) -> None:
    if received_at is not None:
        if received_at > timezone.now():
            errors["received_at"] = _("The receipt cannot be in the future.")
        if not received_by.strip():
            errors["received_by"] = _("Say who received the procedure.")


@transaction.atomic
def emergency_procedure_create(
    *,
    department: Department,
    title: str,
    recorded_by: User | None,
    device: Device | None = None,
    product_model: ProductModel | None = None,
    text: str = "",
    document: Any = None,
    received_by: str = "",
    received_at: datetime | None = None,
) -> EmergencyProcedure:
    errors: dict[str, str] = {}
    if device is None and product_model is None:
        errors["product_model"] = _("Name the device or the product model it applies to.")
    if device is not None:
        if device.department_id != department.pk:
            errors["device"] = _("This device is in another department.")
        product_model = product_model or device.product_model
    if not text.strip() and not document:
        errors["text"] = _("Write the procedure or upload its document.")
    checked = _check_document(document, errors)
    _check_receipt(received_at, received_by, errors)
    if errors:
        raise ValidationError(errors)
    procedure = EmergencyProcedure(
        department=department,
        device=device,
        product_model=product_model,
        title=title,
        text=text,
        received_by=received_by.strip(),
        received_at=received_at,
        recorded_by=recorded_by,
    )
    if checked is not None:
        procedure.document.save(checked.name, document, save=False)
    try:
        return validated_save(procedure)
    except Exception:
        if procedure.document:  # a refused row leaves no file behind
            procedure.document.storage.delete(procedure.document.name)
        raise


@transaction.atomic
def emergency_procedure_record_receipt(
    *,
    procedure: EmergencyProcedure,
    received_by: str,
    received_at: datetime,
    recorded_by: User | None,
) -> EmergencyProcedure:
    errors: dict[str, str] = {}
    _check_receipt(received_at, received_by, errors)
    if errors:
        raise ValidationError(errors)
    procedure.received_by = received_by.strip()
    procedure.received_at = received_at
    procedure.recorded_by = recorded_by
    return validated_save(procedure)


# --- out of use (停用) after a failed safety check ------------------------------------
OUT_OF_USE_NOTE_MAX = 2000


def _out_of_use_summarise(device: Device) -> None:
    """Write the device's summary of its open out-of-use rows (the earliest start, every
    reason) and save it; the device's history records the change."""
    open_rows = list(
        device.out_of_use_periods.filter(cleared_at__isnull=True).order_by("started_at", "pk")
    )
    since = open_rows[0].started_at if open_rows else None
    reason = "\n".join(row.reason for row in open_rows)
    if (device.out_of_use_since, device.out_of_use_reason) != (since, reason):
        device.out_of_use_since, device.out_of_use_reason = since, reason
        device.save(update_fields=["out_of_use_since", "out_of_use_reason", "updated_at"])


def _locked_device(device: Device) -> Device:
    locked = Device.objects.select_for_update().get(pk=device.pk)
    device.out_of_use_since = locked.out_of_use_since
    device.out_of_use_reason = locked.out_of_use_reason
    return locked


@transaction.atomic
def device_out_of_use_mark(
    *,
    device: Device,
    user: User | None,
    reason: str,
    visit_ref: int | None = None,
    item_keys: list[str] | tuple[str, ...] = (),
    now: datetime | None = None,
) -> DeviceOutOfUse:
    """Mark the device out of use (停用) for ``reason``: a safety item failed on the visit
    ``visit_ref`` (R-4.2: hidden risks found on an inspection). Called by the app that found
    it, in its own transaction. A device already out of use gets one more open reason; it is
    usable again once every open reason is cleared."""
    now = now or timezone.now()
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why the device is out of use.")})
    locked = _locked_device(device)
    row = DeviceOutOfUse.objects.create(
        device=locked,
        started_at=now,
        started_by=user,
        reason=reason,
        visit_ref=visit_ref,
        item_keys=list(item_keys),
    )
    _out_of_use_summarise(locked)
    device.out_of_use_since = locked.out_of_use_since
    device.out_of_use_reason = locked.out_of_use_reason
    return row


def may_clear_out_of_use(user: User, device: Device) -> bool:
    return bool(user and user.has_perm("assets.clear_out_of_use", device))


@transaction.atomic
def device_out_of_use_clear(
    *, device: Device, user: User, note: str, now: datetime | None = None
) -> Device:
    """The vendor's engineer or manager declares the device fit for use again, with a note
    saying why (every open reason is cleared). Refused (PermissionDenied) for anybody else,
    hospital users included; a missing note is refused on ``note``; a device that is not out
    of use is a ``Conflict``. Nothing changes when refused."""
    now = now or timezone.now()
    if not may_clear_out_of_use(user, device):
        raise PermissionDenied(
            _("Only the vendor's engineers and service managers can put a device back in use.")
        )
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Write why the device may be used again.")})
    if len(note) > OUT_OF_USE_NOTE_MAX:
        raise ValidationError(
            {"note": _("Use at most %(n)s characters.") % {"n": OUT_OF_USE_NOTE_MAX}}
        )
    locked = _locked_device(device)
    cleared = DeviceOutOfUse.objects.filter(device=locked, cleared_at__isnull=True).update(
        cleared_at=now, cleared_by=user, clear_note=note
    )
    if not cleared:
        raise Conflict("not_out_of_use", _("This device is not out of use: nothing to clear."))
    _out_of_use_summarise(locked)
    device.refresh_from_db()
    return device


@transaction.atomic
def device_out_of_use_clear_for_request(
    *,
    device: Device,
    request_number: str,
    request_reported_at: datetime,
    resolved_at: datetime,
    user: User | None,
) -> int:
    """A service request on the device was resolved: the reasons it answers are cleared,
    those that began at or before the request was reported (the request raised on the visit
    itself, or any later one). A request reported before the device went out of use was
    about something else and clears nothing. Returns how many reasons were cleared."""
    locked = _locked_device(device)
    cleared = DeviceOutOfUse.objects.filter(
        device=locked,
        cleared_at__isnull=True,
        started_at__lte=min(request_reported_at, resolved_at),
    ).update(
        cleared_at=resolved_at,
        cleared_by=user,
        cleared_by_request=request_number,
    )
    if cleared:
        _out_of_use_summarise(locked)
        device.refresh_from_db()
    return cleared

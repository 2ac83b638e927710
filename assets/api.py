"""API: product models, devices, main components, emergency procedures."""

from __future__ import annotations

from datetime import date, datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from pydantic import AwareDatetime

from core.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    Day,
    ErrorOut,
    Id,
    Input,
    Moment,
    PageIn,
    page,
    page_of,
    resolve,
)
from core.exports import EXPORT_OPENAPI, ExportQuery
from core.filtering import api_filter, filter_query
from core.permissions import require_perm
from customers.models import Contact, Department, Hospital

from . import services
from .exports import DEVICES, PROCEDURES, PRODUCT_MODELS
from .filters import DeviceFilterSet, ProcedureFilterSet, ProductModelFilterSet
from .models import (
    ComponentFate,
    Device,
    DeviceOutOfUse,
    DeviceStatus,
    EmergencyProcedure,
    MainComponent,
    ProductModel,
)

router = Router(tags=["installed base"])


class ProductModelIn(Input):
    manufacturer: str = Field(min_length=1, max_length=120)
    name: str = Field(min_length=1, max_length=120)
    gtin: str = ""
    category: str = "other"
    risk_class: str = "II"
    main_components: list[str] = []


class ProductModelPatch(Input):
    manufacturer: str | None = Field(None, min_length=1, max_length=120)
    name: str | None = Field(None, min_length=1, max_length=120)
    gtin: str | None = None
    category: str | None = None
    risk_class: str | None = None
    main_components: list[str] | None = None


class ProductModelOut(Schema):
    id: int
    manufacturer: str
    name: str
    gtin: str
    category: str
    risk_class: str
    main_components: list[str]


@filter_query(ProductModelFilterSet)
class ProductModelQuery(Input):
    """The filters of GET /product-models."""


class DeviceIn(Input):
    product_model_id: Id | None = None
    serial_number: str = Field("", max_length=100)
    udi: str = ""
    asset_tag: str = ""
    hospital_id: Id
    department_id: Id
    location: str = ""
    installed_on: Day | None = None
    acceptance_certificate_no: str = ""
    accepted_on: Day | None = None
    live_on: Day | None = None
    status: DeviceStatus = DeviceStatus.INSTALLED
    responsible_contact_id: Id | None = None
    notes: str = ""


class DevicePatch(Input):
    serial_number: str | None = Field(None, min_length=1, max_length=100)
    udi: str | None = None
    asset_tag: str | None = None
    department_id: Id | None = None
    location: str | None = None
    installed_on: Day | None = None
    acceptance_certificate_no: str | None = None
    accepted_on: Day | None = None
    live_on: Day | None = None
    status: DeviceStatus | None = None
    responsible_contact_id: Id | None = None
    notes: str | None = None


class DeviceOut(Schema):
    id: int
    public_id: str
    product_model_id: int
    serial_number: str
    udi: str
    udi_di: str
    udi_lot: str
    udi_serial: str
    udi_production_date: date | None
    udi_expiry_date: date | None
    asset_tag: str
    hospital_id: int
    department_id: int
    location: str
    installed_on: date | None
    acceptance_certificate_no: str
    accepted_on: date | None
    live_on: date | None
    status: str
    responsible_contact_id: int | None
    notes: str
    out_of_use: bool = Field(
        description="Out of use (停用) after a failed safety check: do not use the device"
    )
    out_of_use_since: datetime | None
    out_of_use_reason: str = Field(description="Why, one line per open reason")

    @staticmethod
    def resolve_public_id(obj: Device) -> str:
        return str(obj.public_id)

    @staticmethod
    def resolve_out_of_use(obj: Device) -> bool:
        return obj.is_out_of_use


class OutOfUseClearIn(Input):
    note: str = Field(min_length=1, max_length=2000, description="Why the device may be used again")


class OutOfUseOut(Schema):
    id: int
    started_at: datetime
    started_by_id: int | None
    reason: str
    visit_id: int | None = Field(description="The visit that found it")
    item_keys: list[str]
    cleared_at: datetime | None
    cleared_by_id: int | None
    clear_note: str
    cleared_by_request: str = Field(description="The resolved service request's number")

    @staticmethod
    def resolve_visit_id(obj: DeviceOutOfUse) -> int | None:
        return obj.visit_ref


@filter_query(DeviceFilterSet)
class DeviceQuery(Input):
    """The filters of GET /devices."""


class GoLiveIn(Input):
    live_on: Day


class ComponentIn(Input):
    name: str = Field(min_length=1, max_length=120)
    serial_number: str = Field(min_length=1, max_length=100)
    installed_on: Day | None = None


class ComponentReplaceIn(Input):
    new_serial_number: str = Field(min_length=1, max_length=100)
    replaced_on: Day
    removal_fate: ComponentFate = Field(description="returned, scrapped or sent_for_repair")


class ComponentOut(Schema):
    id: int
    device_id: int
    name: str
    serial_number: str
    installed_on: date | None
    removed_on: date | None
    replaced_on: date | None
    replaces_id: int | None


class ProcedureIn(Input):
    department_id: Id
    device_id: Id | None = None
    product_model_id: Id | None = None
    title: str = Field(min_length=1, max_length=200)
    text: str = ""
    received_by: str = ""
    received_at: Moment | None = None


class ReceiptIn(Input):
    received_by: str = Field(min_length=1, max_length=100)
    received_at: Moment


class ProcedureOut(Schema):
    id: int
    department_id: int
    device_id: int | None
    product_model_id: int | None
    title: str
    text: str
    has_document: bool
    received_by: str
    received_at: AwareDatetime | None

    @staticmethod
    def resolve_has_document(obj: EmergencyProcedure) -> bool:
        return bool(obj.document)


@filter_query(ProcedureFilterSet)
class ProcedureQuery(Input):
    """The filters of GET /emergency-procedures."""


# --- product models ---------------------------------------------------------------------
@router.get(
    "/product-models",
    response={200: page_of(ProductModelOut), **READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def product_model_list(
    request, filters: Query[ProductModelQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    models = api_filter(filters, ProductModel.objects.for_user(request.user), request=request)
    if output.format:
        return PRODUCT_MODELS.response(models, fmt=output.format)
    return page(models, paging)


@router.post("/product-models", response={201: ProductModelOut, **WRITE_ERRORS})
def product_model_create(request, payload: ProductModelIn):
    require_perm(request, "assets.add_productmodel")
    return Status(201, services.product_model_create(**payload.dict()))


@router.get("/product-models/{model_id}", response={200: ProductModelOut, **READ_ERRORS})
def product_model_read(request, model_id: Id):
    return get_object_or_404(ProductModel.objects.for_user(request.user), pk=model_id)


@router.patch("/product-models/{model_id}", response={200: ProductModelOut, **WRITE_ERRORS})
def product_model_patch(request, model_id: Id, payload: ProductModelPatch):
    product_model = get_object_or_404(ProductModel.objects.for_user(request.user), pk=model_id)
    require_perm(request, "assets.change_productmodel", product_model)
    return services.product_model_update(
        product_model=product_model, **payload.dict(exclude_unset=True)
    )


# --- devices ----------------------------------------------------------------------------
def _device_references(request, data: dict) -> dict:
    user = request.user
    lookups = {
        "product_model_id": ("product_model", ProductModel.objects.for_user(user)),
        "hospital_id": ("hospital", Hospital.objects.for_user(user)),
        "department_id": ("department", Department.objects.for_user(user)),
        "responsible_contact_id": ("responsible_contact", Contact.objects.for_user(user)),
    }
    for key, (field, queryset) in lookups.items():
        if key in data:
            data[field] = resolve(queryset, data.pop(key), key)
    return data


@router.get(
    "/devices", response={200: page_of(DeviceOut), **READ_ERRORS}, openapi_extra=EXPORT_OPENAPI
)
def device_list(
    request, filters: Query[DeviceQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    devices = api_filter(filters, Device.objects.for_user(request.user), request=request)
    if output.format:
        return DEVICES.response(devices, fmt=output.format)
    return page(devices.order_by("pk"), paging)


@router.post("/devices", response={201: DeviceOut, **WRITE_ERRORS})
def device_create(request, payload: DeviceIn):
    data = _device_references(request, payload.dict())
    require_perm(request, "assets.add_device", data["hospital"])
    return Status(201, services.device_register(**data))


@router.get("/devices/{device_id}", response={200: DeviceOut, **READ_ERRORS})
def device_read(request, device_id: Id):
    return get_object_or_404(Device.objects.for_user(request.user), pk=device_id)


@router.patch("/devices/{device_id}", response={200: DeviceOut, **WRITE_ERRORS})
def device_patch(request, device_id: Id, payload: DevicePatch):
    device = get_object_or_404(Device.objects.for_user(request.user), pk=device_id)
    require_perm(request, "assets.change_device", device)
    data = _device_references(request, payload.dict(exclude_unset=True))
    return services.device_update(device=device, **data)


@router.post("/devices/{device_id}/go-live", response={200: DeviceOut, **WRITE_ERRORS})
def device_go_live(request, device_id: Id, payload: GoLiveIn):
    device = get_object_or_404(Device.objects.for_user(request.user), pk=device_id)
    require_perm(request, "assets.change_device", device)
    return services.device_go_live(device=device, live_on=payload.live_on)


@router.post(
    "/devices/{device_id}/clear-out-of-use",
    response={200: DeviceOut, **WRITE_ERRORS, 409: ErrorOut},
)
def device_clear_out_of_use(request, device_id: Id, payload: OutOfUseClearIn):
    """The device may be used again: every open out-of-use reason is cleared with the note.
    The vendor's engineers and managers (403 otherwise, hospital users included); 409 when
    the device is not out of use."""
    device = get_object_or_404(Device.objects.for_user(request.user), pk=device_id)
    require_perm(request, "assets.clear_out_of_use", device)
    return services.device_out_of_use_clear(device=device, user=request.user, note=payload.note)


@router.get("/devices/{device_id}/out-of-use", response={200: list[OutOfUseOut], **READ_ERRORS})
def device_out_of_use_history(request, device_id: Id):
    """Every time the device was put out of use, newest first, open or cleared."""
    device = get_object_or_404(Device.objects.for_user(request.user), pk=device_id)
    return list(device.out_of_use_periods.all())


# --- main components --------------------------------------------------------------------
@router.get("/devices/{device_id}/components", response={200: list[ComponentOut], **READ_ERRORS})
def component_list(request, device_id: Id):
    device = get_object_or_404(Device.objects.for_user(request.user), pk=device_id)
    return list(device.components.all())


@router.post("/devices/{device_id}/components", response={201: ComponentOut, **WRITE_ERRORS})
def component_add(request, device_id: Id, payload: ComponentIn):
    device = get_object_or_404(Device.objects.for_user(request.user), pk=device_id)
    require_perm(request, "assets.add_maincomponent", device)
    return Status(201, services.main_component_add(device=device, **payload.dict()))


@router.post("/components/{component_id}/replace", response={201: ComponentOut, **WRITE_ERRORS})
def component_replace(request, component_id: Id, payload: ComponentReplaceIn):
    component = get_object_or_404(MainComponent.objects.for_user(request.user), pk=component_id)
    require_perm(request, "assets.add_maincomponent", component.device)
    return Status(201, services.main_component_replace(component=component, **payload.dict()))


# --- emergency procedures (R-5.1) -------------------------------------------------------
@router.get(
    "/emergency-procedures",
    response={200: page_of(ProcedureOut), **READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def procedure_list(
    request, filters: Query[ProcedureQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    scoped = EmergencyProcedure.objects.for_user(request.user)
    procedures = api_filter(filters, scoped, request=request)
    if output.format:
        return PROCEDURES.response(procedures, fmt=output.format)
    return page(procedures, paging)


@router.post("/emergency-procedures", response={201: ProcedureOut, **WRITE_ERRORS})
def procedure_create(request, payload: ProcedureIn):
    user = request.user
    department = resolve(Department.objects.for_user(user), payload.department_id, "department_id")
    require_perm(request, "assets.add_emergencyprocedure", department)
    procedure = services.emergency_procedure_create(
        department=department,
        device=resolve(Device.objects.for_user(user), payload.device_id, "device_id"),
        product_model=resolve(
            ProductModel.objects.for_user(user), payload.product_model_id, "product_model_id"
        ),
        title=payload.title,
        text=payload.text,
        received_by=payload.received_by,
        received_at=payload.received_at,
        recorded_by=user,
    )
    return Status(201, procedure)


@router.get("/emergency-procedures/{procedure_id}", response={200: ProcedureOut, **READ_ERRORS})
def procedure_read(request, procedure_id: Id):
    return get_object_or_404(EmergencyProcedure.objects.for_user(request.user), pk=procedure_id)


@router.post(
    "/emergency-procedures/{procedure_id}/receipt", response={200: ProcedureOut, **WRITE_ERRORS}
)
def procedure_receipt(request, procedure_id: Id, payload: ReceiptIn):
    procedure = get_object_or_404(
        EmergencyProcedure.objects.for_user(request.user), pk=procedure_id
    )
    require_perm(request, "assets.change_emergencyprocedure", procedure)
    return services.emergency_procedure_record_receipt(
        procedure=procedure, recorded_by=request.user, **payload.dict()
    )

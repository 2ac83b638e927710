"""API: the service organisation, hospitals, departments, contacts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from core.api import READ_ERRORS, WRITE_ERRORS, Id, Input, PageIn, page, page_of, resolve
from core.exports import EXPORT_OPENAPI, ExportQuery
from core.filtering import api_filter, filter_query
from core.permissions import require_perm

from . import services
from .exports import CONTACTS, DEPARTMENTS, HOSPITALS
from .filters import ContactFilterSet, DepartmentFilterSet, HospitalFilterSet
from .models import Contact, Department, Hospital, ServiceRegion

router = Router(tags=["customers"])


class OrganisationOut(Schema):
    name: str
    address: str
    hotline: str
    manager_name: str
    manager_phone: str
    email: str


class OrganisationPatch(Input):
    name: str | None = None
    address: str | None = None
    hotline: str | None = None
    manager_name: str | None = None
    manager_phone: str | None = None
    email: str | None = None


class HospitalIn(Input):
    name: str = Field(min_length=1, max_length=200)
    code: str = ""
    address: str = ""
    phone: str = ""
    time_zone: str = "Asia/Shanghai"
    region_id: Id | None = Field(
        None, description="The service region; the default one if left out."
    )
    notes: str = ""


class HospitalPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=200)
    code: str | None = None
    address: str | None = None
    phone: str | None = None
    time_zone: str | None = None
    region_id: Id | None = None
    notes: str | None = None


class HospitalOut(Schema):
    id: int
    name: str
    code: str
    address: str
    phone: str
    time_zone: str
    region_id: int
    notes: str


@filter_query(HospitalFilterSet)
class HospitalQuery(Input):
    """The filters of GET /hospitals."""


class DepartmentIn(Input):
    hospital_id: Id
    name: str = Field(min_length=1, max_length=120)
    responsible_contact_id: Id | None = None


class DepartmentPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=120)
    responsible_contact_id: Id | None = None


class DepartmentOut(Schema):
    id: int
    hospital_id: int
    name: str
    responsible_contact_id: int | None


@filter_query(DepartmentFilterSet)
class DepartmentQuery(Input):
    """The filters of GET /departments."""


class ContactIn(Input):
    hospital_id: Id
    department_id: Id | None = None
    name: str = Field(min_length=1, max_length=100)
    title: str = ""
    phone: str = ""
    email: str = ""


class ContactPatch(Input):
    department_id: Id | None = None
    name: str | None = Field(None, min_length=1, max_length=100)
    title: str | None = None
    phone: str | None = None
    email: str | None = None


class ContactOut(Schema):
    id: int
    hospital_id: int
    department_id: int | None
    name: str
    title: str
    phone: str
    email: str


@filter_query(ContactFilterSet)
class ContactQuery(Input):
    """The filters of GET /contacts."""


# --- service organisation (R-1.1) -------------------------------------------------------
@router.get("/service-organisation", response={200: OrganisationOut, **READ_ERRORS})
def service_organisation_read(request):
    return services.service_organisation_get()


@router.patch("/service-organisation", response={200: OrganisationOut, **WRITE_ERRORS})
def service_organisation_patch(request, payload: OrganisationPatch):
    require_perm(request, "customers.change_serviceorganisation")
    return services.service_organisation_update(**payload.dict(exclude_unset=True))


# --- hospitals --------------------------------------------------------------------------
@router.get(
    "/hospitals", response={200: page_of(HospitalOut), **READ_ERRORS}, openapi_extra=EXPORT_OPENAPI
)
def hospital_list(
    request, filters: Query[HospitalQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    hospitals = api_filter(filters, Hospital.objects.for_user(request.user), request=request)
    if output.format:
        return HOSPITALS.response(hospitals, fmt=output.format)
    return page(hospitals, paging)


@router.post("/hospitals", response={201: HospitalOut, **WRITE_ERRORS})
def hospital_create(request, payload: HospitalIn):
    require_perm(request, "customers.add_hospital")
    data = payload.dict()
    region_id = data.pop("region_id")
    if region_id is not None:
        data["region"] = resolve(ServiceRegion.objects.all(), region_id, "region")
    return Status(201, services.hospital_create(**data))


@router.get("/hospitals/{hospital_id}", response={200: HospitalOut, **READ_ERRORS})
def hospital_read(request, hospital_id: Id):
    return get_object_or_404(Hospital.objects.for_user(request.user), pk=hospital_id)


@router.patch("/hospitals/{hospital_id}", response={200: HospitalOut, **WRITE_ERRORS})
def hospital_patch(request, hospital_id: Id, payload: HospitalPatch):
    hospital = get_object_or_404(Hospital.objects.for_user(request.user), pk=hospital_id)
    require_perm(request, "customers.change_hospital", hospital)
    data = payload.dict(exclude_unset=True)
    if "region_id" in data:
        region_id = data.pop("region_id")
        if region_id is None:
            raise ValidationError({"region": _("Every hospital belongs to a service region.")})
        data["region"] = resolve(ServiceRegion.objects.all(), region_id, "region")
    return services.hospital_update(hospital=hospital, **data)


# --- departments ------------------------------------------------------------------------
@router.get(
    "/departments",
    response={200: page_of(DepartmentOut), **READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def department_list(
    request, filters: Query[DepartmentQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    departments = api_filter(filters, Department.objects.for_user(request.user), request=request)
    if output.format:
        return DEPARTMENTS.response(departments, fmt=output.format)
    return page(departments, paging)


@router.post("/departments", response={201: DepartmentOut, **WRITE_ERRORS})
def department_create(request, payload: DepartmentIn):
    hospital = resolve(Hospital.objects.for_user(request.user), payload.hospital_id, "hospital_id")
    require_perm(request, "customers.add_department", hospital)
    contact = resolve(
        Contact.objects.for_user(request.user),
        payload.responsible_contact_id,
        "responsible_contact_id",
    )
    department = services.department_create(
        hospital=hospital, name=payload.name, responsible_contact=contact
    )
    return Status(201, department)


@router.get("/departments/{department_id}", response={200: DepartmentOut, **READ_ERRORS})
def department_read(request, department_id: Id):
    return get_object_or_404(Department.objects.for_user(request.user), pk=department_id)


@router.patch("/departments/{department_id}", response={200: DepartmentOut, **WRITE_ERRORS})
def department_patch(request, department_id: Id, payload: DepartmentPatch):
    department = get_object_or_404(Department.objects.for_user(request.user), pk=department_id)
    require_perm(request, "customers.change_department", department)
    data = payload.dict(exclude_unset=True)
    if "responsible_contact_id" in data:
        data["responsible_contact"] = resolve(
            Contact.objects.for_user(request.user),
            data.pop("responsible_contact_id"),
            "responsible_contact_id",
        )
    return services.department_update(department=department, **data)


# --- contacts ---------------------------------------------------------------------------
@router.get(
    "/contacts", response={200: page_of(ContactOut), **READ_ERRORS}, openapi_extra=EXPORT_OPENAPI
)
def contact_list(
    request, filters: Query[ContactQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    contacts = api_filter(filters, Contact.objects.for_user(request.user), request=request)
    if output.format:
        return CONTACTS.response(contacts, fmt=output.format)
    return page(contacts, paging)


@router.post("/contacts", response={201: ContactOut, **WRITE_ERRORS})
def contact_create(request, payload: ContactIn):
    hospital = resolve(Hospital.objects.for_user(request.user), payload.hospital_id, "hospital_id")
    require_perm(request, "customers.add_contact", hospital)
    department = resolve(
        Department.objects.for_user(request.user), payload.department_id, "department_id"
    )
    data = payload.dict(exclude={"hospital_id", "department_id"})
    return Status(201, services.contact_create(hospital=hospital, department=department, **data))


@router.get("/contacts/{contact_id}", response={200: ContactOut, **READ_ERRORS})
def contact_read(request, contact_id: Id):
    return get_object_or_404(Contact.objects.for_user(request.user), pk=contact_id)


@router.patch("/contacts/{contact_id}", response={200: ContactOut, **WRITE_ERRORS})
def contact_patch(request, contact_id: Id, payload: ContactPatch):
    contact = get_object_or_404(Contact.objects.for_user(request.user), pk=contact_id)
    require_perm(request, "customers.change_contact", contact)
    data = payload.dict(exclude_unset=True)
    if "department_id" in data:
        data["department"] = resolve(
            Department.objects.for_user(request.user), data.pop("department_id"), "department_id"
        )
    return services.contact_update(contact=contact, **data)

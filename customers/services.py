"""Writes about the service organisation, hospitals, departments, contacts and memberships."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.modeling import model_update, validated_save

from .models import (
    Contact,
    Department,
    Hospital,
    HospitalMembership,
    HospitalRole,
    ServiceOrganisation,
    ServiceRegion,
)

ORGANISATION_FIELDS = ("name", "address", "hotline", "manager_name", "manager_phone", "email")
HOSPITAL_FIELDS = ("name", "code", "address", "phone", "time_zone", "region", "notes")
DEPARTMENT_FIELDS = ("name", "responsible_contact")
CONTACT_FIELDS = ("department", "name", "title", "phone", "email")


def service_organisation_get() -> ServiceOrganisation:
    organisation, _created = ServiceOrganisation.objects.get_or_create(
        pk=1, defaults={"name": "medservice"}
    )
    return organisation


@transaction.atomic
def service_organisation_update(**data: Any) -> ServiceOrganisation:
    return model_update(instance=service_organisation_get(), data=data, fields=ORGANISATION_FIELDS)


@transaction.atomic
def service_region_create(*, name: str, code: str, time_zone: str = "") -> ServiceRegion:
    region = ServiceRegion(name=name, code=code)
    if time_zone:
        region.time_zone = time_zone
    return validated_save(region)


@transaction.atomic
def hospital_create(**data: Any) -> Hospital:
    return validated_save(Hospital(**{k: v for k, v in data.items() if k in HOSPITAL_FIELDS}))


@transaction.atomic
def hospital_update(*, hospital: Hospital, **data: Any) -> Hospital:
    return model_update(instance=hospital, data=data, fields=HOSPITAL_FIELDS)


def _check_contact_hospital(contact: Contact | None, hospital: Hospital, field: str) -> None:
    if contact is not None and contact.hospital_id != hospital.pk:
        raise ValidationError(
            {field: _("This person belongs to another hospital.")}, code="other_hospital"
        )


def _check_department_name(department: Department, name: str | None) -> None:
    # The (hospital, name) constraint would answer without a field; the name is the field.
    clash = Department.objects.filter(hospital_id=department.hospital_id, name=name).exclude(
        pk=department.pk
    )
    if name and clash.exists():
        raise ValidationError(
            {"name": _("This hospital already has a department with this name.")},
            code="unique",
        )


@transaction.atomic
def department_create(*, hospital: Hospital, **data: Any) -> Department:
    department = Department(
        hospital=hospital, **{k: v for k, v in data.items() if k in DEPARTMENT_FIELDS}
    )
    _check_contact_hospital(department.responsible_contact, hospital, "responsible_contact")
    _check_department_name(department, department.name)
    return validated_save(department)


@transaction.atomic
def department_update(*, department: Department, **data: Any) -> Department:
    if "responsible_contact" in data:
        _check_contact_hospital(
            data["responsible_contact"], department.hospital, "responsible_contact"
        )
    if "name" in data:
        _check_department_name(department, data["name"])
    return model_update(instance=department, data=data, fields=DEPARTMENT_FIELDS)


def _check_department_hospital(department: Department | None, hospital: Hospital) -> None:
    if department is not None and department.hospital_id != hospital.pk:
        raise ValidationError(
            {"department": _("This department belongs to another hospital.")},
            code="other_hospital",
        )


@transaction.atomic
def contact_create(*, hospital: Hospital, **data: Any) -> Contact:
    contact = Contact(hospital=hospital, **{k: v for k, v in data.items() if k in CONTACT_FIELDS})
    _check_department_hospital(contact.department, hospital)
    return validated_save(contact)


@transaction.atomic
def contact_update(*, contact: Contact, **data: Any) -> Contact:
    if "department" in data:
        _check_department_hospital(data["department"], contact.hospital)
    return model_update(instance=contact, data=data, fields=CONTACT_FIELDS)


@transaction.atomic
def hospital_membership_set(
    *,
    user: User,
    hospital: Hospital,
    role: str,
    departments: Iterable[Department] = (),
    actor: User | None = None,
) -> HospitalMembership:
    """Make ``user`` a hospital user (replacing any earlier membership).

    ``actor`` is who made the change, for the membership's history; without it the history
    takes the request's user (simple_history's middleware), or nobody for a command.
    """
    if user.is_vendor_staff:
        raise ValidationError(
            {"user": _("Vendor staff cannot also be hospital users.")}, code="vendor_staff"
        )
    departments = list(departments)
    for department in departments:
        _check_department_hospital(department, hospital)
    if role == HospitalRole.DEPARTMENT_USER and not departments:
        raise ValidationError(
            {"departments": _("A department user needs at least one department.")},
            code="required",
        )
    membership = HospitalMembership.objects.filter(user=user).first() or HospitalMembership(
        user=user
    )
    membership.hospital = hospital
    membership.role = role
    if actor is not None:
        membership._history_user = actor  # type: ignore[attr-defined]  # simple_history
    membership.full_clean()
    membership.save()
    membership.departments.set(departments if role == HospitalRole.DEPARTMENT_USER else [])
    return membership

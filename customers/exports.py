"""The hospital, department and contact lists as files (issue 14 §5): ``GET /hospitals``,
``/departments`` and ``/contacts`` with ``format=csv|xlsx`` write the rows their page
would list, with the same filters and scope."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.exports import Column, ListExport, text_of

from .filters import ContactFilterSet, DepartmentFilterSet, HospitalFilterSet
from .models import Contact, Department, Hospital


def _hospitals(request: HttpRequest):
    return Hospital.objects.for_user(request.user).order_by("name", "pk")


def _departments(request: HttpRequest):
    return Department.objects.for_user(request.user).order_by("hospital__name", "name", "pk")


def _contacts(request: HttpRequest):
    return Contact.objects.for_user(request.user).order_by("hospital__name", "name", "pk")


HOSPITALS = ListExport(
    name="hospitals",
    title=_("Hospitals"),
    filterset=HospitalFilterSet,
    rows=_hospitals,
    select_related=("region",),
    columns=(
        Column(_("Name"), lambda h: h.name, 28),
        Column(_("Code"), lambda h: h.code, 10),
        Column(_("Service region"), lambda h: text_of(h.region), 16),
        Column(_("Address"), lambda h: h.address, 32),
        Column(_("Phone"), lambda h: h.phone, 16),
        Column(_("Time zone"), lambda h: h.time_zone, 16),
        Column(_("Notes"), lambda h: h.notes, 30),
    ),
)

DEPARTMENTS = ListExport(
    name="departments",
    title=_("Departments"),
    filterset=DepartmentFilterSet,
    rows=_departments,
    select_related=("hospital", "responsible_contact"),
    columns=(
        Column(_("Hospital"), lambda d: d.hospital.name, 28),
        Column(_("Department"), lambda d: d.name, 20),
        Column(_("Responsible contact"), lambda d: text_of(d.responsible_contact), 20),
        Column(
            _("Phone"), lambda d: d.responsible_contact.phone if d.responsible_contact else "", 16
        ),
    ),
)

CONTACTS = ListExport(
    name="contacts",
    title=_("Contacts"),
    filterset=ContactFilterSet,
    rows=_contacts,
    select_related=("hospital", "department"),
    columns=(
        Column(_("Name"), lambda c: c.name, 16),
        Column(_("Job title"), lambda c: c.title, 16),
        Column(_("Hospital"), lambda c: c.hospital.name, 28),
        Column(_("Department"), lambda c: text_of(c.department), 16),
        Column(_("Phone"), lambda c: c.phone, 16),
        Column(_("E-mail"), lambda c: c.email, 24),
    ),
)

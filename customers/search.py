"""The search box's hospitals, departments and contacts (``core.search``): by part of a
name (Chinese too: "东海" finds 东海市人民医院), a hospital by its code, a contact by phone
in any written form. Small tables: a substring of any length is searched."""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.phone_match import phone_match
from core.search import Group, Hit, SearchQuery, group_of

from .models import Contact, Department, Hospital

KINDS = {
    "hospital": _("Hospitals"),
    "department": _("Departments"),
    "contact": _("Contacts"),
}


def _hospital_hit(hospital: Hospital) -> Hit:
    return Hit(
        title=hospital.name,
        url=reverse("customers:hospital_detail", args=[hospital.pk]),
        object_id=hospital.pk,
        detail=hospital.code,
    )


def _department_hit(department: Department) -> Hit:
    return Hit(
        title=department.name,
        url=reverse("customers:department_detail", args=[department.pk]),
        object_id=department.pk,
        detail=department.hospital.name,
    )


def _contact_hit(contact: Contact) -> Hit:
    where = [contact.hospital.name]
    if contact.department is not None:
        where.append(contact.department.name)
    if contact.phone:
        where.append(contact.phone)
    # The hospital's page lists its contacts, and every user who sees a contact sees it
    # (a department user sees the contacts of the whole hospital, not every department).
    return Hit(
        title=str(contact),
        url=reverse("customers:hospital_detail", args=[contact.hospital_id]),
        object_id=contact.pk,
        detail=" · ".join(where),
    )


def search(query: SearchQuery) -> list[Group]:
    user, text = query.visible_to, query.text
    groups = []
    if query.wants("hospital"):
        hospitals = Hospital.objects.for_user(user).filter(
            Q(name__icontains=text) | Q(code__icontains=text)
        )
        groups.append(
            group_of(
                kind="hospital",
                label=str(KINDS["hospital"]),
                queryset=hospitals.order_by("name"),
                query=query,
                hit=_hospital_hit,
                all_url=f"{reverse('customers:hospital_list')}?{urlencode({'q': text})}",
            )
        )
    if query.wants("department"):
        departments = Department.objects.for_user(user).filter(name__icontains=text)
        groups.append(
            group_of(
                kind="department",
                label=str(KINDS["department"]),
                queryset=departments.select_related("hospital").order_by("hospital__name", "name"),
                query=query,
                hit=_department_hit,
                all_url="",  # no list of departments: the search page lists them all
            )
        )
    if query.wants("contact"):
        contacts = Contact.objects.for_user(user)
        by_phone = list(phone_match(contacts, "phone", text).values_list("pk", flat=True))
        found = contacts.filter(Q(name__icontains=text) | Q(pk__in=by_phone))
        groups.append(
            group_of(
                kind="contact",
                label=str(KINDS["contact"]),
                queryset=found.select_related("hospital", "department").order_by(
                    "hospital__name", "name", "pk"
                ),
                query=query,
                hit=_contact_hit,
                all_url="",  # no list of contacts: the search page lists them all
            )
        )
    return groups

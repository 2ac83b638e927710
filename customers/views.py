"""Web pages for the service organisation, hospitals, departments and contacts.

Every page reads through ``for_user`` (another hospital's object is a 404) and every write
checks the ``rules`` permission on the object (403), then calls one service. Imports point
one way (assets and contracts build on customers), so the hospital's devices, contracts and
agreements are links to those apps' pages, not lists read here.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.forms import add_service_errors, id_from
from core.permissions import require_perm

from . import services
from .filters import HospitalFilterSet
from .forms import ContactForm, DepartmentForm, HospitalForm, ServiceOrganisationForm
from .models import Contact, Department, Hospital
from .scoping import scope_for

PAGE_SIZE = 50


def _sees_commercial_documents(user, hospital: Hospital) -> bool:
    """Contracts and agreements are for vendor staff and the equipment administrator
    (the same scope as ``Contract.objects.for_user``)."""
    scope = scope_for(user)
    return scope.all_hospitals or hospital.pk in scope.hospital_ids


# --- the service organisation (R-1.1) ---------------------------------------------------
@login_required
def organisation_edit(request: HttpRequest) -> HttpResponse:
    require_perm(request, "customers.change_serviceorganisation")
    organisation = services.service_organisation_get()
    form = ServiceOrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.service_organisation_update(**form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The service organisation profile was saved."))
            return redirect("home")
    return render(request, "customers/organisation_form.html", {"form": form})


# --- hospitals --------------------------------------------------------------------------
@login_required
def hospital_list(request: HttpRequest) -> HttpResponse:
    filters = HospitalFilterSet(
        request.GET, Hospital.objects.for_user(request.user), request=request
    )
    page_obj = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "customers/hospital_list.html",
        {
            "form": filters.form,
            "page_obj": page_obj,
            "can_add": request.user.has_perm("customers.add_hospital"),
        },
    )


@login_required
def hospital_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, "customers.add_hospital")
    form = HospitalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            hospital = services.hospital_create(**form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Hospital “%(name)s” was created.") % {"name": hospital})
            return redirect("customers:hospital_detail", pk=hospital.pk)
    return render(request, "customers/hospital_form.html", {"form": form, "hospital": None})


@login_required
def hospital_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    hospital = get_object_or_404(Hospital.objects.for_user(user), pk=pk)
    departments = (
        Department.objects.for_user(user)
        .filter(hospital=hospital)
        .select_related("responsible_contact")
        .annotate(contact_count=Count("contacts"))
    )
    contacts = Contact.objects.for_user(user).filter(hospital=hospital).select_related("department")
    context = {
        "hospital": hospital,
        "departments": departments,
        "contacts": contacts,
        "sees_contracts": _sees_commercial_documents(user, hospital),
        "can_edit": user.has_perm("customers.change_hospital", hospital),
        "can_add_department": user.has_perm("customers.add_department", hospital),
        "can_add_contact": user.has_perm("customers.add_contact", hospital),
        "can_change_contact": user.has_perm("customers.change_contact", hospital),
        "can_change_department": user.has_perm("customers.change_department", hospital),
        "can_add_contract": user.has_perm("contracts.add_contract", hospital),
        "can_add_agreement": user.has_perm("contracts.add_maintenanceagreement", hospital),
    }
    return render(request, "customers/hospital_detail.html", context)


@login_required
def hospital_edit(request: HttpRequest, pk: int) -> HttpResponse:
    hospital = get_object_or_404(Hospital.objects.for_user(request.user), pk=pk)
    require_perm(request, "customers.change_hospital", hospital)
    form = HospitalForm(request.POST or None, instance=hospital)
    if request.method == "POST" and form.is_valid():
        try:
            services.hospital_update(hospital=hospital, **form.cleaned_data)
        except ValidationError as exc:
            hospital.refresh_from_db()
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The hospital was saved."))
            return redirect("customers:hospital_detail", pk=hospital.pk)
    return render(request, "customers/hospital_form.html", {"form": form, "hospital": hospital})


# --- departments ------------------------------------------------------------------------
@login_required
def department_create(request: HttpRequest, hospital_pk: int) -> HttpResponse:
    hospital = get_object_or_404(Hospital.objects.for_user(request.user), pk=hospital_pk)
    require_perm(request, "customers.add_department", hospital)
    form = DepartmentForm(request.POST or None, hospital=hospital)
    if request.method == "POST" and form.is_valid():
        try:
            department = services.department_create(hospital=hospital, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Department “%(name)s” was created.") % {"name": department}
            )
            return redirect("customers:department_detail", pk=department.pk)
    return render(
        request,
        "customers/department_form.html",
        {"form": form, "hospital": hospital, "department": None},
    )


@login_required
def department_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    department = get_object_or_404(
        Department.objects.for_user(user).select_related("hospital", "responsible_contact"),
        pk=pk,
    )
    context = {
        "department": department,
        "hospital": department.hospital,
        "contacts": Contact.objects.for_user(user).filter(department=department),
        "can_edit": user.has_perm("customers.change_department", department),
        "can_add_contact": user.has_perm("customers.add_contact", department.hospital),
        "can_change_contact": user.has_perm("customers.change_contact", department.hospital),
    }
    return render(request, "customers/department_detail.html", context)


@login_required
def department_edit(request: HttpRequest, pk: int) -> HttpResponse:
    department = get_object_or_404(
        Department.objects.for_user(request.user).select_related("hospital"), pk=pk
    )
    require_perm(request, "customers.change_department", department)
    form = DepartmentForm(request.POST or None, instance=department, hospital=department.hospital)
    if request.method == "POST" and form.is_valid():
        try:
            services.department_update(department=department, **form.cleaned_data)
        except ValidationError as exc:
            department.refresh_from_db()
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The department was saved."))
            return redirect("customers:department_detail", pk=department.pk)
    return render(
        request,
        "customers/department_form.html",
        {"form": form, "hospital": department.hospital, "department": department},
    )


# --- contacts ---------------------------------------------------------------------------
@login_required
def contact_create(request: HttpRequest, hospital_pk: int) -> HttpResponse:
    hospital = get_object_or_404(Hospital.objects.for_user(request.user), pk=hospital_pk)
    require_perm(request, "customers.add_contact", hospital)
    initial = {}
    department_pk = id_from(request.GET.get("department"))
    if department_pk is not None:
        initial["department"] = department_pk
    form = ContactForm(request.POST or None, hospital=hospital, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(hospital=hospital, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Contact “%(name)s” was added.") % {"name": contact.name})
            return redirect("customers:hospital_detail", pk=hospital.pk)
    return render(
        request,
        "customers/contact_form.html",
        {"form": form, "hospital": hospital, "contact": None},
    )


@login_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(
        Contact.objects.for_user(request.user).select_related("hospital"), pk=pk
    )
    require_perm(request, "customers.change_contact", contact)
    form = ContactForm(request.POST or None, instance=contact, hospital=contact.hospital)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(contact=contact, **form.cleaned_data)
        except ValidationError as exc:
            contact.refresh_from_db()
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The contact was saved."))
            return redirect("customers:hospital_detail", pk=contact.hospital_id)
    return render(
        request,
        "customers/contact_form.html",
        {"form": form, "hospital": contact.hospital, "contact": contact},
    )

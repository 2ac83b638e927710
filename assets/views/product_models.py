"""Product model pages: the vendor's catalogue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.forms import add_service_errors
from core.permissions import require_perm

from .. import services
from ..filters import ProductModelFilterSet
from ..forms import ProductModelForm
from ..models import EmergencyProcedure, ProductModel
from ._common import (
    GET_POST,
    _devices,
    _page,
)


# --- product models -------------------------------------------------------------------
@login_required
def product_model_list(request: HttpRequest) -> HttpResponse:
    filters = ProductModelFilterSet(
        request.GET, ProductModel.objects.for_user(request.user), request=request
    )
    return render(
        request,
        "assets/product_model_list.html",
        {
            "form": filters.form,
            "page": _page(request, filters.qs),
            "can_add": request.user.has_perm("assets.add_productmodel"),
        },
    )


@login_required
def product_model_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product_model = get_object_or_404(ProductModel.objects.for_user(request.user), pk=pk)
    devices = _devices(request).filter(product_model=product_model)
    procedures = (
        EmergencyProcedure.objects.for_user(request.user)
        .filter(product_model=product_model, device__isnull=True)
        .select_related("department__hospital")
    )
    return render(
        request,
        "assets/product_model_detail.html",
        {
            "product_model": product_model,
            "device_count": devices.count(),
            "devices": devices[:20],
            "procedures": procedures,
            "can_change": request.user.has_perm("assets.change_productmodel", product_model),
            "can_add_device": request.user.has_perm("assets.add_device"),
        },
    )


@login_required
@GET_POST
def product_model_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, "assets.add_productmodel")
    form = ProductModelForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            product_model = services.product_model_create(**form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Product model %(name)s created.") % {"name": product_model}
            )
            return redirect("assets:product_model_detail", pk=product_model.pk)
    return render(request, "assets/product_model_form.html", {"form": form})


@login_required
@GET_POST
def product_model_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product_model = get_object_or_404(ProductModel.objects.for_user(request.user), pk=pk)
    require_perm(request, "assets.change_productmodel", product_model)
    if request.method == "POST":
        form = ProductModelForm(request.POST)
    else:
        form = ProductModelForm(initial=ProductModelForm.initial_for(product_model))
    if form.is_bound and form.is_valid():
        try:
            services.product_model_update(product_model=product_model, **form.cleaned_data)
        except ValidationError as exc:
            product_model.refresh_from_db()
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Product model saved."))
            return redirect("assets:product_model_detail", pk=product_model.pk)
    return render(
        request,
        "assets/product_model_form.html",
        {"form": form, "product_model": product_model},
    )

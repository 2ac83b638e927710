"""Main components: add one, replace one (the replacement keeps its own warranty, R-6.5)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.forms import add_service_errors
from core.permissions import require_perm

from .. import services
from ..forms import (
    ComponentAddForm,
    ComponentReplaceForm,
)
from ..models import MainComponent
from ._common import (
    GET_POST,
    _device_or_404,
)


# --- main components ------------------------------------------------------------------
@login_required
@GET_POST
def component_add(request: HttpRequest, pk: int) -> HttpResponse:
    device = _device_or_404(request, pk)
    require_perm(request, "assets.add_maincomponent", device)
    if request.method == "POST":
        form = ComponentAddForm(request.POST)
    else:
        form = ComponentAddForm(initial={"name": request.GET.get("name", "")})
    if form.is_bound and form.is_valid():
        try:
            services.main_component_add(device=device, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Component added."))
            return redirect(reverse("assets:device_detail", args=[device.pk]) + "#components")
    return render(request, "assets/component_form.html", {"form": form, "device": device})


@login_required
@GET_POST
def component_replace(request: HttpRequest, pk: int) -> HttpResponse:
    component = get_object_or_404(
        MainComponent.objects.for_user(request.user).select_related(
            "device__hospital", "device__product_model", "device__department"
        ),
        pk=pk,
    )
    device = component.device
    require_perm(request, "assets.add_maincomponent", device)
    if request.method == "POST":
        form = ComponentReplaceForm(request.POST)
    else:
        form = ComponentReplaceForm(
            initial={"replaced_on": services.hospital_today(device.hospital)}
        )
    if form.is_bound and form.is_valid():
        try:
            replacement = services.main_component_replace(component=component, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(component)s replaced. The new one has its own warranty from %(date)s.")
                % {"component": replacement, "date": replacement.replaced_on},
            )
            return redirect(reverse("assets:device_detail", args=[device.pk]) + "#components")
    return render(
        request,
        "assets/component_replace.html",
        {"form": form, "component": component, "device": device},
    )

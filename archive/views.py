"""The service archive of a device (R-7.6): one timeline, newest first, filtered by kind and
local days, 50 entries a page. The device page loads it with htmx (the fragment); alone it
is a page of its own."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from assets.models import Device
from core.bounds import MAX_OFFSET

from .filters import PAGE_SIZE, ArchiveFilterForm, archive_query
from .selectors import timeline


@login_required
@require_GET
def device_archive(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    device = get_object_or_404(
        Device.objects.for_user(request.user).select_related("hospital", "product_model"), pk=pk
    )
    form = ArchiveFilterForm(request.GET or None)
    query = form.query(device=device, visible_to=request.user) if form.is_bound else None
    if query is None:  # unfiltered, or a filter with errors (shown on the form)
        query = archive_query(device=device, visible_to=request.user)
    page = _page_number(request.GET.get("page"))
    found = timeline(query, offset=(page - 1) * PAGE_SIZE)
    params = request.GET.copy()
    params.pop("page", None)
    template = "archive/_timeline.html" if request.htmx else "archive/device_archive.html"
    with timezone.override(ZoneInfo(device.hospital.time_zone)):
        return render(
            request,
            template,
            {
                "device": device,
                "form": form if form.is_bound else ArchiveFilterForm(),
                "selected_kinds": request.GET.getlist("kind"),
                "timeline": found,
                "page": page,
                "filter_query": params.urlencode(),
            },
        )


def _page_number(value: str | None) -> int:
    """A page number as typed in the address: anything else is the first page."""
    if value is None or not value.isdigit() or not 1 <= int(value) <= MAX_OFFSET // PAGE_SIZE:
        return 1
    return int(value)

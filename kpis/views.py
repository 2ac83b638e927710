"""The key figures page (issue 14 §2): the office's for every hospital, a hospital's own
for its users (the selectors scope by user)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from core.exports import CONTENT_TYPES, table_response
from core.permissions import require_perm

from . import selectors
from .dashboard import sections
from .exports import TABLES
from .forms import KpiFilterForm
from .query import KpiQuery, kpi_query


def _query(request: AuthenticatedHttpRequest) -> tuple[KpiFilterForm, KpiQuery]:
    """The page's filter and the query it asks for (the default when unfiltered or wrong:
    the errors stay on the form)."""
    form = KpiFilterForm(request.GET or None, user=request.user)
    query = form.query() if form.is_bound else None
    return form, query or kpi_query(user=request.user)


@login_required
@require_GET
def mtbf_devices(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The devices with the lowest MTBF, loaded by the page after it shows (htmx): over
    every hospital it counts a year of requests per device, which the roll-ups do not
    keep (docs/kpis.md)."""
    require_perm(request, "kpis.view_kpis")
    _form, query = _query(request)
    rows = selectors.mtbf(query, per="device")
    return render(request, "kpis/_mtbf_devices.html", {"mtbf_devices": rows})


@login_required
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_perm(request, "kpis.view_kpis")
    form, query = _query(request)
    if not form.is_bound:
        form = KpiFilterForm(
            initial={"from": query.first_day, "to": query.last_day, "group_by": query.group_by},
            user=request.user,
        )
    with timezone.override(ZoneInfo(query.time_zone)):
        return render(
            request,
            "kpis/dashboard.html",
            {
                "form": form,
                "query": query,
                # The downloads take the page's filters.
                "filter_query": request.GET.urlencode(),
                **sections(query),
            },
        )


@login_required
@require_GET
def export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """One of the page's tables as a file (``?table=…&format=xlsx|csv`` and the page's own
    filters), from the same selector as the page."""
    require_perm(request, "kpis.view_kpis")
    table = request.GET.get("table", "")
    kind = TABLES.get(table)
    fmt = request.GET.get("format", "xlsx")
    if kind is None or fmt not in CONTENT_TYPES:
        raise Http404
    _form, query = _query(request)
    if kind.vendor_only and not query.sees_engineers:
        raise Http404
    zone = ZoneInfo(query.time_zone)
    with timezone.override(zone):
        return table_response(kind.build(query), fmt=fmt, name=f"kpis-{table}", zone=zone)

"""The key figures page (issue 14 §2): the office's for every hospital, a hospital's own
for its users (the selectors scope by user)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from core.permissions import require_perm

from .dashboard import sections
from .forms import KpiFilterForm
from .query import kpi_query


@login_required
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_perm(request, "kpis.view_kpis")
    form = KpiFilterForm(request.GET or None, user=request.user)
    query = form.query() if form.is_bound else None
    if query is None:  # unfiltered, or a filter with errors (shown on the form)
        query = kpi_query(user=request.user)
    if not form.is_bound:
        form = KpiFilterForm(
            initial={"from": query.first_day, "to": query.last_day, "group_by": query.group_by},
            user=request.user,
        )
    with timezone.override(ZoneInfo(query.time_zone)):
        return render(
            request, "kpis/dashboard.html", {"form": form, "query": query, **sections(query)}
        )

"""The dispatch board: open requests by their nearest deadline, live countdowns, filters,
engineers assigned from the row. htmx reloads the table every 30 s."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from core.permissions import require_perm

from .. import selectors
from ..filters import BoardFilterSet
from ..forms import engineers_queryset, new_idempotency_key
from ._common import BOARD_PAGE_SIZE, iso, page_of, requests_for, with_live_state


@login_required
@require_GET
def dispatch_board(request: AuthenticatedHttpRequest) -> HttpResponse:
    # The board is where steps are dispatched: the people who record steps use it.
    require_perm(request, "service.add_serviceevent")
    now = timezone.now()
    # A filter value outside the viewer's scope is simply ignored.
    filters = BoardFilterSet(request.GET, requests_for(request), request=request, now=now)
    requests = selectors.dispatch_board(requests=filters.qs)
    page = page_of(request, requests, per_page=BOARD_PAGE_SIZE)
    rows = with_live_state(page.object_list, now=now)
    for row in rows:
        # Attributes the template reads (mypy sees only the model's fields).
        row.assign_key = new_idempotency_key()  # type: ignore[attr-defined]
        row.engineer_ids = {u.pk for u in row.engineers.all()}  # type: ignore[attr-defined]
    context = {
        "form": filters.form,
        "page": page,
        "rows": rows,
        "engineers": list(engineers_queryset()),
        "server_now": iso(now),
    }
    template = "service/_board_table.html" if request.htmx else "service/board.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response

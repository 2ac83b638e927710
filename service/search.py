"""The search box's service requests (``core.search``): by number, part of the symptom, or
a device's serial number or asset tag, the same match as the request list's search."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from core.search import Group, Hit, SearchQuery, group_of

from .models import ServiceRequest
from .selectors import request_search

KINDS = {"request": _("Service requests")}


def _hit(request: ServiceRequest) -> Hit:
    where = f"{request.hospital.name} · {request.department.name}"
    return Hit(
        title=request.number,
        url=reverse("service:request_detail", args=[request.pk]),
        object_id=request.pk,
        detail=f"{where} · {Truncator(request.description).chars(60)}",
    )


def search(query: SearchQuery) -> list[Group]:
    if not query.wants("request"):
        return []
    requests = (
        ServiceRequest.objects.for_user(query.visible_to)
        # Fetched for the five shown, after the sort: joined before it, the names would be
        # joined to every match of a common word (25,000 of a million) and slow it.
        .prefetch_related("hospital", "department")
        .order_by("-reported_at", "-pk")
    )
    # A request number is written in capitals (SR-2026-000123); the unique index finds it.
    # Without a digit the text is no number: one query less.
    names_a_number = any(char.isdigit() for char in query.text)
    exact = requests.filter(number=query.text.upper()) if names_a_number else requests.none()
    found = exact if exact.exists() else request_search(requests=requests, text=query.text)
    all_url = f"{reverse('service:request_list')}?{urlencode({'q': query.text})}"
    return [
        group_of(
            kind="request",
            label=str(KINDS["request"]),
            queryset=found,
            query=query,
            hit=_hit,
            all_url=all_url,
            exact=found is exact,
        )
    ]

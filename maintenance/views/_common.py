"""What the maintenance pages share: scoping, a visit's state as the page shows it, the
checklist with its results.

Every page reads through ``Visit.objects.for_user`` (another hospital's visit is a 404),
checks the ``rules`` permission before a write (403) and makes exactly one service call
per write.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from core.timeutil import local_today

from .. import selectors
from ..forms import STATE_BADGES, STATE_LABELS
from ..models import ChecklistItemType, Kind, Visit

PAGE_SIZE = 25


def page_of(request: HttpRequest, queryset, *, per_page: int = PAGE_SIZE):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def visits_of(request: HttpRequest):
    return (
        Visit.objects.for_user(request.user)
        .select_related("device__product_model", "hospital", "department", "done_by")
        .prefetch_related("engineers")
    )


def visit_or_404(request: HttpRequest, pk: int) -> Visit:
    return get_object_or_404(visits_of(request), pk=pk)


class Todays:
    """Each hospital's today in its own zone, asked once per zone."""

    def __init__(self) -> None:
        self._days: dict[str, date] = {}

    def of(self, visit: Visit) -> date:
        zone = visit.hospital.time_zone
        if zone not in self._days:
            self._days[zone] = local_today(zone)
        return self._days[zone]


def kind_label(kind: str) -> str:
    try:
        return str(Kind(kind).label)
    except ValueError:
        return kind


def with_state(visits, todays: Todays | None = None) -> list[Visit]:
    """Attach ``.display_state``, ``.state_label``, ``.state_badge`` and ``.kind_labels``."""
    todays = todays or Todays()
    items = list(visits)
    for visit in items:
        state = selectors.visit_display_state(visit, todays.of(visit))
        visit.display_state = state  # type: ignore[attr-defined]
        visit.state_label = STATE_LABELS.get(state, state)  # type: ignore[attr-defined]
        visit.state_badge = STATE_BADGES.get(state, "text-bg-light")  # type: ignore[attr-defined]
        visit.kind_labels = [kind_label(k) for k in visit.kinds or [visit.main_kind]]  # type: ignore[attr-defined]
    return items


def limits_text(item: dict[str, Any]) -> str:
    """``≤ 100 µA``, ``≥ 5``, ``5 - 10 V``: the limits of a number item, as shown beside it."""
    low, high, unit = item.get("min"), item.get("max"), item.get("unit") or ""
    if low is not None and high is not None:
        text = f"{low} \u2013 {high}"
    elif high is not None:
        text = f"≤ {high}"
    elif low is not None:
        text = f"≥ {low}"
    else:
        return ""
    return f"{text} {unit}".strip()


def result_rows(visit: Visit, checklist: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The checklist with the recorded result of each item, its photos and the service
    request a failure raised, read-only."""
    results = visit.results or {}
    findings = {f.item_key: f.request for f in visit.findings.select_related("request")}
    photos: dict[str, list] = {}
    for photo in visit.photos.all():
        photos.setdefault(photo.item_key, []).append(photo)
    rows = []
    known = set()
    for item in checklist:
        key = item["key"]
        known.add(key)
        rows.append(_row(item, results.get(key), photos.get(key, []), findings.get(key)))
    for key, result in results.items():  # an item no longer in the templates
        if key not in known:
            item = {"key": key, "label": key, "type": ChecklistItemType.TEXT}
            rows.append(_row(item, result, photos.get(key, []), findings.get(key)))
    return rows


def _row(item: dict[str, Any], result: dict | None, photos: list, request) -> dict[str, Any]:
    result = result or {}
    value = result.get("value")
    return {
        "item": item,
        "key": item["key"],
        "type": item["type"],
        "value": value,
        "has_value": value is not None and value != "",
        "ok": result.get("ok", True),
        "note": result.get("note") or "",
        "unit": item.get("unit") or "",
        "limits": limits_text(item),
        "photos": photos,
        "request": request,
    }
